//! An in-memory client and server (as quinn-proto's tests have): a
//! simulated clock, a wire that can split and cut, a fake TLS layer that
//! only reports its data, and an application on each side that answers
//! the machines' requests.

use std::collections::{HashMap, VecDeque};

use xmpp_jid::BareJid;
use xmpp_sasl::{
    ChannelBinding, ChannelBindingType, Credentials, FastTokenSlot, Hash, Mechanism, Prep,
    ServerSecret, StoredCredentials,
};
use xmpp_session::{
    Client, ClientConfig, ClientEvent, Error, Instant, ResumptionState, Seed, Server, ServerConfig,
    ServerEvent, TlsInfo, TlsVersion,
};
use xmpp_stanza::{DefinedCondition, FastUse, Stanza};

pub(crate) const DOMAIN: &str = "example.com";
pub(crate) const PASSWORD: &str = "r0m30myr0m30";

/// The server application's account database: SCRAM keys of every hash,
/// and what it does for unknown users.
pub(crate) struct Accounts {
    keys: HashMap<(String, Hash), StoredCredentials>,
}

impl Accounts {
    /// The test accounts, derived once for the whole run.
    pub(crate) fn shared() -> Self {
        static ACCOUNTS: std::sync::OnceLock<HashMap<(String, Hash), StoredCredentials>> =
            std::sync::OnceLock::new();
        let keys =
            ACCOUNTS.get_or_init(|| Self::new(&[("juliet", PASSWORD), ("romeo", "montague")]).keys);
        Self { keys: keys.clone() }
    }

    pub(crate) fn new(users: &[(&str, &str)]) -> Self {
        let mut keys = HashMap::new();
        for (user, password) in users {
            for hash in [Hash::Sha1, Hash::Sha256, Hash::Sha512] {
                let salt = format!("{user:-<16}");
                let stored = StoredCredentials::from_password(
                    hash,
                    Prep::SaslPrep,
                    password,
                    salt.as_bytes(),
                    4096,
                )
                .expect("derive");
                keys.insert(((*user).to_owned(), hash), stored);
            }
        }
        Self { keys }
    }

    fn answer(&self, request: &xmpp_sasl::CredentialsRequest) -> Credentials {
        let user = request.authcid.clone().unwrap_or_default();
        let hash = request.mechanism.scram_hash().unwrap_or(Hash::Sha256);
        match self.keys.get(&(user.clone(), hash)) {
            Some(stored) => Credentials::Scram(stored.clone()),
            // The same fake exchange a wrong password gets.
            None => Credentials::UnknownUser,
        }
    }
}

/// The server secret of the tests (a real server draws it at random).
pub(crate) fn secret() -> ServerSecret {
    ServerSecret::new(*b"a test server secret, 32 bytes!!")
        .and_then(|s| s.accounts(Hash::Sha256, 16, 4096))
        .expect("secret")
}

/// How the server application answers bind requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BindPolicy {
    /// The requested resource, or the suggested one.
    Accept,
    /// `conflict` when the resource was asked for, the suggestion otherwise.
    Conflict,
}

/// One side's TLS channel as the fake TLS layer reports it.
pub(crate) fn tls_info(version: TlsVersion, types: &[ChannelBindingType]) -> TlsInfo {
    let mut info = TlsInfo::new(version);
    for (i, t) in types.iter().enumerate() {
        info = info.with_channel_binding(ChannelBinding::new(*t, vec![i as u8 + 1; 32]));
    }
    info
}

/// When the test server application issues its tokens (2023-11-14), in
/// seconds since the Unix epoch; they expire [`TOKEN_LIFETIME`] later.
pub(crate) const ISSUED_AT: u64 = 1_700_000_000;
/// How long a token lives: 30 days.
pub(crate) const TOKEN_LIFETIME: u64 = 30 * 86_400;

/// A FAST token the server application issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issued {
    pub(crate) mechanism: Mechanism,
    pub(crate) token: String,
    /// The highest count processed.
    pub(crate) processed: Option<u64>,
    /// Seconds since the Unix epoch.
    pub(crate) expiry: u64,
}

/// The server application's record of a proven token use, checked and
/// written in one step: whether `fast` may succeed. It may not when its
/// count is no longer above the highest processed, or the token is gone.
pub(crate) fn record_token_use(
    tokens: &mut HashMap<String, Issued>,
    user: &str,
    fast: &FastUse,
) -> bool {
    let Some(t) = tokens.get_mut(user) else {
        return false;
    };
    if fast
        .count
        .is_some_and(|c| t.processed.is_some_and(|p| c <= p))
    {
        return false;
    }
    if fast.invalidate {
        tokens.remove(user);
    } else {
        t.processed = fast.count.max(t.processed);
    }
    true
}

pub(crate) struct Pair {
    pub(crate) client: Client,
    pub(crate) server: Server,
    pub(crate) now: Instant,
    /// Bytes in flight each way.
    c2s: VecDeque<Vec<u8>>,
    s2c: VecDeque<Vec<u8>>,
    /// Delivery chunk sizes, cycled (empty: whole transmits).
    pub(crate) chunks: Vec<usize>,
    chunk_at: usize,
    pub(crate) client_events: Vec<ClientEvent>,
    pub(crate) server_events: Vec<ServerEvent>,
    pub(crate) accounts: Accounts,
    pub(crate) bind: BindPolicy,
    /// What the fake TLS layer reports on both sides.
    pub(crate) tls: TlsInfo,
    /// Resumable sessions the server application keeps, by SM-ID.
    pub(crate) sessions: HashMap<String, ResumptionState>,
    /// SM-IDs of sessions whose resumption window closed, with the count
    /// of the client's stanzas each handled.
    pub(crate) timed_out: HashMap<String, u32>,
    /// Every byte each way, for assertions on the wire.
    pub(crate) c2s_log: Vec<u8>,
    pub(crate) s2c_log: Vec<u8>,
    /// FAST tokens the server application issued, by user.
    pub(crate) tokens: HashMap<String, Issued>,
    /// The server application's wall clock, in seconds since the Unix
    /// epoch (token expiry).
    pub(crate) unix_now: u64,
    /// Rewrites what the client sends before the server reads it (a
    /// client that sends what `Client` would not).
    pub(crate) c2s_rewrite: Option<fn(Vec<u8>) -> Vec<u8>>,
    /// Rewrites what the server sends before the client reads it (a
    /// server that sends what `Server` would not).
    pub(crate) s2c_rewrite: Option<fn(Vec<u8>) -> Vec<u8>>,
    issued: u32,
    /// Leave `TokenUsed` unanswered (the test answers it).
    pub(crate) hold_token_use: bool,
    /// Accept each token use with a rotation (XEP-0484 §3.5).
    pub(crate) rotate: bool,
    /// The client's and server's first fatal errors.
    pub(crate) client_error: Option<Error>,
    pub(crate) server_error: Option<Error>,
}

impl Pair {
    pub(crate) fn new(client: ClientConfig, server: ServerConfig) -> Self {
        let now = Instant::from_millis(0);
        Self {
            client: Client::new(client, Seed::new([1; 32]), now),
            server: Server::new(server, Seed::new([2; 32]), now),
            now,
            c2s: VecDeque::new(),
            s2c: VecDeque::new(),
            chunks: Vec::new(),
            chunk_at: 0,
            client_events: Vec::new(),
            server_events: Vec::new(),
            accounts: Accounts::shared(),
            bind: BindPolicy::Accept,
            tls: tls_info(TlsVersion::Tls13, &[ChannelBindingType::TlsExporter]),
            sessions: HashMap::new(),
            timed_out: HashMap::new(),
            tokens: HashMap::new(),
            unix_now: ISSUED_AT,
            c2s_rewrite: None,
            s2c_rewrite: None,
            issued: 0,
            hold_token_use: false,
            rotate: false,
            c2s_log: Vec::new(),
            s2c_log: Vec::new(),
            client_error: None,
            server_error: None,
        }
    }

    /// The server's policy for `DOMAIN`, with a secret that fakes accounts
    /// like the test ones (4,096 iterations, as derived above).
    pub(crate) fn server_config() -> ServerConfig {
        ServerConfig::new(DOMAIN, secret())
    }

    /// A client of `user`, with a SASL2 user agent: an installation id,
    /// which FAST needs (XEP-0484 §4.1).
    pub(crate) fn client_config(user: &str, password: &str) -> ClientConfig {
        let agent = xmpp_stanza::UserAgent {
            id: Some("0f4e7a5c-3b1d-4c8e-9a2f-6d7b8c9e0a1b".into()),
            ..xmpp_stanza::UserAgent::default()
        };
        ClientConfig::new(
            BareJid::new(&format!("{user}@{DOMAIN}")).expect("jid"),
            password,
        )
        .user_agent(agent)
    }

    fn next_chunk(&mut self) -> usize {
        if self.chunks.is_empty() {
            return usize::MAX;
        }
        let c = self.chunks[self.chunk_at % self.chunks.len()];
        self.chunk_at += 1;
        c.max(1)
    }

    /// Runs both sides until nothing moves.
    pub(crate) fn drive(&mut self) {
        for _ in 0..10_000 {
            if !self.step() {
                return;
            }
        }
        panic!("the pair did not settle");
    }

    /// One round; whether anything happened.
    pub(crate) fn step(&mut self) -> bool {
        let mut moved = false;
        while let Some(t) = self.client.poll_transmit() {
            self.c2s_log.extend_from_slice(&t);
            self.c2s.push_back(t);
            moved = true;
        }
        while let Some(t) = self.server.poll_transmit() {
            self.s2c_log.extend_from_slice(&t);
            self.s2c.push_back(t);
            moved = true;
        }
        let ws = self.chunks.is_empty();
        if let Some(mut msg) = self.c2s.pop_front() {
            moved = true;
            if let Some(rewrite) = self.c2s_rewrite {
                msg = rewrite(msg);
            }
            if ws {
                self.server_input(&msg);
            } else {
                let mut rest = &msg[..];
                while !rest.is_empty() {
                    let n = self.next_chunk().min(rest.len());
                    self.server_input(&rest[..n]);
                    rest = &rest[n..];
                }
            }
        }
        if let Some(mut msg) = self.s2c.pop_front() {
            moved = true;
            if let Some(rewrite) = self.s2c_rewrite {
                msg = rewrite(msg);
            }
            if ws {
                self.client_input(&msg);
            } else {
                let mut rest = &msg[..];
                while !rest.is_empty() {
                    let n = self.next_chunk().min(rest.len());
                    self.client_input(&rest[..n]);
                    rest = &rest[n..];
                }
            }
        }
        while let Some(e) = self.server.poll_event() {
            moved = true;
            self.on_server_event(e);
        }
        while let Some(e) = self.client.poll_event() {
            moved = true;
            self.on_client_event(e);
        }
        moved
    }

    fn server_input(&mut self, bytes: &[u8]) {
        if self.server.is_closed() {
            return;
        }
        if let Err(e) = self.server.handle_input(bytes) {
            self.server_error.get_or_insert(e);
        }
    }

    fn client_input(&mut self, bytes: &[u8]) {
        if self.client.is_closed() {
            return;
        }
        if let Err(e) = self.client.handle_input(bytes) {
            self.client_error.get_or_insert(e);
        }
    }

    fn on_server_event(&mut self, e: ServerEvent) {
        match &e {
            ServerEvent::StartTls { tls_bytes } => {
                assert!(tls_bytes.is_empty());
                self.server
                    .tls_established(self.tls.clone())
                    .expect("server tls");
            }
            ServerEvent::CredentialsRequest { request, fast, .. } => {
                let user = request.authcid.as_deref().unwrap_or("");
                let answer = match fast {
                    // FAST: the token the application issued for the
                    // mechanism, the highest count it processed, and its
                    // expiry. Nothing is recorded before it is proven.
                    Some(used) => match self
                        .tokens
                        .get(user)
                        .filter(|t| t.mechanism == request.mechanism)
                    {
                        Some(t) => Credentials::FastToken {
                            current: Some(FastTokenSlot::new(
                                t.token.clone(),
                                t.processed,
                                Some(t.expiry),
                            )),
                            new: None,
                            count: used.count,
                            now: self.unix_now,
                        },
                        None => Credentials::UnknownUser,
                    },
                    None => self.accounts.answer(request),
                };
                if let Err(e) = self.server.provide_credentials(answer) {
                    self.server_error.get_or_insert(e);
                }
            }
            // The token is proven: its count is checked and recorded in
            // one step, and the token dropped when the client asked
            // (XEP-0484 §3.4, §3.6). A count recorded meanwhile by another
            // connection makes this one a replay.
            ServerEvent::TokenUsed { .. } if self.hold_token_use => {}
            ServerEvent::TokenUsed { jid, fast, .. } => {
                let user = jid.localpart().unwrap_or_default();
                let answer = if record_token_use(&mut self.tokens, user, fast) {
                    self.server.accept_token_use(self.rotate)
                } else {
                    self.server.refuse_token_use()
                };
                if let Err(e) = answer {
                    self.server_error.get_or_insert(e);
                }
            }
            ServerEvent::BindRequest {
                requested,
                suggested,
            } => {
                let r = match (self.bind, requested) {
                    (BindPolicy::Conflict, Some(_)) => {
                        self.server
                            .reject_bind(DefinedCondition::Conflict)
                            .expect("reject");
                        None
                    }
                    (_, Some(r)) => Some(r.clone()),
                    (_, None) => Some(suggested.clone()),
                };
                if let Some(r) = r {
                    self.server.accept_bind(&r).expect("accept");
                }
            }
            ServerEvent::TokenRequest { mechanism } => {
                self.issued += 1;
                let token = format!("token-{}", self.issued);
                let user = self
                    .server
                    .account()
                    .and_then(|a| a.localpart().map(str::to_owned))
                    .unwrap_or_default();
                let expiry = self.unix_now + TOKEN_LIFETIME;
                self.tokens.insert(
                    user,
                    Issued {
                        mechanism: *mechanism,
                        token: token.clone(),
                        processed: None,
                        expiry,
                    },
                );
                // (The DateTime sent is the harness's; only the client
                // reads it.)
                self.server
                    .issue_token(&token, "2030-01-01T00:00:00Z")
                    .expect("issue token");
            }
            ServerEvent::ResumeRequest { previd, .. } => match self.sessions.remove(previd) {
                Some(state) => {
                    if let Err(e) = self.server.accept_resume(state) {
                        self.server_error.get_or_insert(e);
                    }
                }
                None => match self.timed_out.get(previd) {
                    Some(&h) => self
                        .server
                        .reject_resume_timed_out(h)
                        .expect("reject resume"),
                    None => self.server.reject_resume().expect("reject resume"),
                },
            },
            _ => {}
        }
        self.server_events.push(e);
    }

    fn on_client_event(&mut self, e: ClientEvent) {
        if let ClientEvent::StartTls { tls_bytes } = &e {
            assert!(tls_bytes.is_empty());
            self.client
                .tls_established(self.tls.clone())
                .expect("client tls");
        }
        self.client_events.push(e);
    }

    /// Drops everything in flight and tells both sides the connection
    /// was lost.
    pub(crate) fn cut(&mut self) {
        self.c2s.clear();
        self.s2c.clear();
        self.client.connection_lost();
        self.server.connection_lost();
        while let Some(e) = self.server.poll_event() {
            self.server_events.push(e);
        }
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
    }

    pub(crate) fn bound_jid(&self) -> Option<String> {
        self.client_events.iter().find_map(|e| match e {
            ClientEvent::Bound { jid } => Some(jid.as_str().to_owned()),
            _ => None,
        })
    }

    pub(crate) fn server_stanzas(&self) -> Vec<&Stanza> {
        self.server_events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Stanza(s) => Some(s.stanza()),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn client_stanzas(&self) -> Vec<&Stanza> {
        self.client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Stanza(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn authenticated_with(&self) -> Option<String> {
        self.client_events.iter().find_map(|e| match e {
            ClientEvent::Authenticated { mechanism, .. } => Some(mechanism.name().to_owned()),
            _ => None,
        })
    }
}
