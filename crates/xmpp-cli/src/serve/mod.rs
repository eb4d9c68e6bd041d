//! `xmpp serve`: an XMPP server built from the workspace's crates (the
//! session machines driven by xmpp-tokio), for interop and load runs
//! against real clients. Loopback by default; see the usage text for the
//! flags and ARCHITECTURE.md for the output contract.

mod limiter;
mod lines;
mod state;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand_core::RngCore as _;
use serde_json::json;
use xmpp_jid::{BareJid, FullJid};
use xmpp_precis::Profile as _;
use xmpp_sasl::{Hash, Prep, ServerSecret, StoredCredentials};
use xmpp_session::{ServerConfig, ServerEvent, TlsPolicy};
use xmpp_stanza::{DefinedCondition, StreamCondition, StreamError};
use xmpp_tokio::{
    Direction, Listener, ListenerKind, ServerSession, ServerSessionEvent, ServerTls, Tap,
    WEBSOCKET_PATH,
};

use crate::io::{Exit, usage};
use lines::emit;
use state::{Account, State, Waiting};

pub(crate) const USAGE: &str =
    "usage: xmpp serve [--listen ADDR] [--direct-tls-listen ADDR] [--ws-listen ADDR]
                  [--domain D] [--user NAME:PASSWORD]... [--tls required|optional|off]
                  [--tls-cert PEM --tls-key PEM] [--allow-plain] [--trace]
                  [--max-resources N] [--max-connections N]
                  [--max-connections-per-address N] [--users-file PATH]
      --users-file PATH: more accounts, as NAME:PASSWORD lines (blank lines and
      lines starting with # skipped), kept out of the command line that
      other local users can read in ps";

/// The iteration count of the accounts' SCRAM keys.
const ITERATIONS: u32 = 4096;
/// The salt length of the accounts' SCRAM keys, bytes.
const SALT_LEN: usize = 16;
/// Resources an account may have bound at once unless `--max-resources`
/// says otherwise: ejabberd's `max_user_sessions` default, enough for a
/// person's devices, and a bound on the presence fan-out between them
/// (each presence goes to every other resource).
pub(crate) const MAX_RESOURCES: usize = 10;
/// Connections a listener holds at once unless `--max-connections` says
/// otherwise: well past what a test or a small deployment opens, and
/// short of the file-descriptor limits systems set by default.
pub(crate) const MAX_CONNECTIONS: usize = 10_000;

/// What `xmpp serve` was asked for.
pub(crate) struct Options {
    pub(crate) listen: SocketAddr,
    pub(crate) direct_tls: Option<SocketAddr>,
    pub(crate) ws: Option<SocketAddr>,
    pub(crate) domain: String,
    pub(crate) users: Vec<(String, String)>,
    pub(crate) tls: TlsPolicy,
    pub(crate) cert: Option<(String, String)>,
    pub(crate) allow_plain: bool,
    pub(crate) trace: bool,
    /// Resources an account may have bound at once (RFC 6120 §7.6.2.1).
    pub(crate) max_resources: usize,
    /// Connections a listener holds at once, in all and per client
    /// address (`None`: no bound).
    pub(crate) max_connections: (Option<usize>, Option<usize>),
    /// No JSON lines (the demo prints its own transcript).
    pub(crate) quiet: bool,
}

/// A count from 1, for `flag`.
fn count(v: &str, flag: &str) -> Result<usize, String> {
    v.parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or(format!("{flag} {v}: a count from 1"))
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        listen: ([127, 0, 0, 1], 5222).into(),
        direct_tls: None,
        ws: None,
        domain: "localhost".into(),
        users: Vec::new(),
        tls: TlsPolicy::Required,
        cert: None,
        allow_plain: false,
        trace: false,
        max_resources: MAX_RESOURCES,
        max_connections: (Some(MAX_CONNECTIONS), None),
        quiet: false,
    };
    let (mut cert, mut key) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        let addr = |v: String| v.parse::<SocketAddr>().map_err(|e| format!("{v}: {e}"));
        match a.as_str() {
            "--listen" => o.listen = addr(value()?)?,
            "--direct-tls-listen" => o.direct_tls = Some(addr(value()?)?),
            "--ws-listen" => o.ws = Some(addr(value()?)?),
            "--domain" => o.domain = value()?,
            "--user" => {
                let v = value()?;
                let (name, password) = v.split_once(':').ok_or("--user takes NAME:PASSWORD")?;
                o.users.push((name.to_owned(), password.to_owned()));
            }
            "--users-file" => o.users.extend(crate::secrets::users_file(&value()?)?),
            "--tls" => {
                o.tls = match value()?.as_str() {
                    "required" => TlsPolicy::Required,
                    "optional" => TlsPolicy::Optional,
                    "off" => TlsPolicy::Off,
                    other => return Err(format!("--tls {other}: required, optional or off")),
                }
            }
            "--tls-cert" => cert = Some(value()?),
            "--tls-key" => key = Some(value()?),
            "--allow-plain" => o.allow_plain = true,
            "--trace" => o.trace = true,
            "--max-resources" => {
                let v = value()?;
                o.max_resources = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--max-resources {v}: a count from 1"))?;
            }
            "--max-connections" => {
                let v = value()?;
                o.max_connections.0 = Some(count(&v, "--max-connections")?);
            }
            "--max-connections-per-address" => {
                let v = value()?;
                o.max_connections.1 = Some(count(&v, "--max-connections-per-address")?);
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    match (cert, key) {
        (Some(c), Some(k)) => o.cert = Some((c, k)),
        (None, None) => {}
        _ => return Err("--tls-cert and --tls-key go together".into()),
    }
    if o.tls == TlsPolicy::Off && o.direct_tls.is_some() {
        return Err("--direct-tls-listen needs TLS".into());
    }
    Ok(o)
}

pub(crate) fn run(args: &[String]) -> Exit {
    let options = match parse(args) {
        Ok(o) => o,
        Err(e) => return usage(&format!("xmpp serve: {e}\n{USAGE}")),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xmpp serve: {e}");
            return Exit::Invalid;
        }
    };
    match runtime.block_on(serve(options)) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!("xmpp serve: {e}");
            Exit::Invalid
        }
    }
}

/// The accounts' SCRAM keys for every hash, from the passwords (which are
/// then dropped), each with its own random salt.
fn accounts(users: &[(String, String)]) -> Result<HashMap<String, Account>, String> {
    let mut rng = rand_core::OsRng;
    let mut accounts = HashMap::new();
    for (name, password) in users {
        let local = xmpp_precis::UsernameCaseMapped
            .enforce(name)
            .map_err(|e| format!("--user {name}: {e}"))?
            .into_owned();
        let mut keys = HashMap::new();
        for hash in [Hash::Sha1, Hash::Sha256, Hash::Sha512] {
            let mut salt = [0u8; SALT_LEN];
            rng.fill_bytes(&mut salt);
            let stored =
                StoredCredentials::from_password(hash, Prep::SaslPrep, password, &salt, ITERATIONS)
                    .map_err(|e| format!("--user {name}: {e}"))?;
            keys.insert(hash, stored);
        }
        accounts.insert(local, Account::new(keys));
    }
    Ok(accounts)
}

/// A running server: its addresses, its certificate, its sessions.
pub(crate) struct Running {
    pub(crate) c2s: SocketAddr,
    pub(crate) direct_tls: Option<SocketAddr>,
    pub(crate) ws: Option<SocketAddr>,
    pub(crate) tls: Option<ServerTls>,
    senders: Arc<Mutex<Senders<xmpp_tokio::SessionSender>>>,
}

/// Every session's sender, for the shutdown. Those of ended sessions go
/// when the list has doubled since the last sweep, so an accept costs
/// constant time amortized (a sweep at every accept cost one lock per
/// session, quadratic over a run), for at most twice the live senders
/// kept.
struct Senders<T> {
    all: Vec<T>,
    sweep_at: usize,
}

impl<T> Senders<T> {
    /// The fewest senders a sweep waits for.
    const FIRST_SWEEP: usize = 64;

    fn new() -> Self {
        Self {
            all: Vec::new(),
            sweep_at: Self::FIRST_SWEEP,
        }
    }

    fn add(&mut self, sender: T, alive: impl Fn(&T) -> bool) {
        if self.all.len() >= self.sweep_at {
            self.all.retain(&alive);
            self.sweep_at = (2 * self.all.len()).max(Self::FIRST_SWEEP);
        }
        self.all.push(sender);
    }
}

impl Running {
    /// Closes every stream with `<system-shutdown/>` (RFC 6120 §4.9.3.20)
    /// and waits a moment for the last bytes to go out.
    pub(crate) async fn shutdown(&self) {
        let all: Vec<_> = lock(&self.senders).all.clone();
        for s in &all {
            s.close_with_error(StreamError::new(StreamCondition::SystemShutdown));
        }
        for _ in 0..50 {
            if all.iter().all(|s| !s.is_alive()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

async fn serve(o: Options) -> Result<(), String> {
    let domain = o.domain.clone();
    let running = start(o).await?;
    // The handlers are in place before the listening line: a caller may
    // send SIGTERM as soon as it reads it.
    let stop = shutdown_signal()?;
    emit(&json!({
        "event": "listening",
        "c2s": running.c2s.to_string(),
        "direct_tls": running.direct_tls.map(|a| a.to_string()),
        "ws": running.ws.map(|a| format!("ws://{a}{WEBSOCKET_PATH}")),
        "domain": domain,
        "tls": running.tls.as_ref().map_or("off", |t| t.source().name()),
    }));
    stop.await;
    running.shutdown().await;
    lines::flush(std::time::Duration::from_secs(1)).await;
    Ok(())
}

/// Binds every listener and starts accepting.
pub(crate) async fn start(o: Options) -> Result<Running, String> {
    let tls = match (&o.cert, o.tls) {
        (_, TlsPolicy::Off) => None,
        (Some((cert, key)), _) => {
            let cert = std::fs::read(cert).map_err(|e| format!("{cert}: {e}"))?;
            let key = std::fs::read(key).map_err(|e| format!("{key}: {e}"))?;
            Some(ServerTls::from_pem(&cert, &key).map_err(|e| e.to_string())?)
        }
        (None, _) => Some(ServerTls::self_signed(&o.domain).map_err(|e| e.to_string())?),
    };
    let secret = ServerSecret::random(&mut rand_core::OsRng)
        .and_then(|s| s.accounts(Hash::Sha256, SALT_LEN, ITERATIONS))
        .map_err(|e| e.to_string())?;
    let mut config = ServerConfig::new(o.domain.clone(), secret)
        .tls(o.tls)
        .allow_plain_unencrypted(o.allow_plain);
    if o.tls == TlsPolicy::Off && !o.allow_plain {
        // PLAIN stays off the wire in the clear.
        config.mechanisms.retain(|m| !m.is_plaintext());
    }
    let state = Arc::new(Mutex::new(
        State::new(o.domain.clone(), accounts(&o.users)?).with_max_resources(o.max_resources),
    ));

    let trace = o.trace;
    let (max_total, max_per_address) = o.max_connections;
    let bind = |addr, kind, config: ServerConfig| {
        let tls = tls.clone();
        async move {
            let listener = Listener::bind(addr, kind, config, tls)
                .await
                .map_err(|e| format!("{addr}: {e}"))?
                .with_max_connections(max_total, max_per_address);
            Ok::<_, String>(if trace {
                listener.with_tap(Tap::new(trace_line))
            } else {
                listener
            })
        }
    };
    let c2s = bind(o.listen, ListenerKind::Tcp, config.clone()).await?;
    let direct = match o.direct_tls {
        Some(a) => Some(bind(a, ListenerKind::DirectTls, config.clone()).await?),
        None => None,
    };
    // WebSocket is served as ws://: its TLS belongs to a proxy in front.
    let ws = match o.ws {
        Some(a) => Some(
            bind(
                a,
                ListenerKind::WebSocket,
                config.clone().tls(TlsPolicy::Off),
            )
            .await?,
        ),
        None => None,
    };
    let addr = |l: &Listener| l.local_addr().map_err(|e| e.to_string());
    let (c2s_addr, direct_addr, ws_addr) = (
        addr(&c2s)?,
        direct.as_ref().map(addr).transpose()?,
        ws.as_ref().map(addr).transpose()?,
    );
    let senders = Arc::new(Mutex::new(Senders::new()));
    for listener in [Some(c2s), direct, ws].into_iter().flatten() {
        let state = Arc::clone(&state);
        let senders = Arc::clone(&senders);
        let (trace, quiet) = (o.trace, o.quiet);
        tokio::spawn(async move {
            loop {
                let Ok(session) = listener.accept().await else {
                    // A failed WebSocket handshake or an aborted accept:
                    // keep listening.
                    continue;
                };
                lock(&senders).add(session.sender(), xmpp_tokio::SessionSender::is_alive);
                tokio::spawn(run_session(session, Arc::clone(&state), trace, quiet));
            }
        });
    }
    Ok(Running {
        c2s: c2s_addr,
        direct_tls: direct_addr,
        ws: ws_addr,
        tls,
        senders,
    })
}

/// SIGINT or SIGTERM: the handlers are installed now, and the future
/// ends at the first signal.
fn shutdown_signal() -> Result<impl Future<Output = ()>, String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM: {e}"))?;
        let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT: {e}"))?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// One session: the application's answers to the machine, routing of
/// what the client sends, and the JSON lines.
fn run_session(
    session: ServerSession,
    state: Arc<Mutex<State>>,
    trace: bool,
    quiet: bool,
) -> impl Future<Output = ()> {
    let mut s = Session {
        transport: session.kind().transport(),
        session,
        state,
        trace,
        quiet,
        tls: None,
        mechanism: None,
        client: None,
        account: None,
        jid: None,
        reason: "closed".to_owned(),
    };
    async move { s.run().await }
}

/// What one session's task knows. Its task is this struct and a few
/// words, since every connection holds it for its whole life: the struct
/// is captured once and used in place (an async fn keeps an argument it
/// moves into a local twice), and every event is handled by
/// [`Session::handle`], which is not async, so no event (a few hundred
/// bytes) is part of the task.
struct Session {
    session: ServerSession,
    state: Arc<Mutex<State>>,
    trace: bool,
    quiet: bool,
    transport: &'static str,
    tls: Option<&'static str>,
    mechanism: Option<&'static str>,
    /// The client installation logging in (its SASL2 user agent's id),
    /// which FAST tokens are kept for (XEP-0484 §4.1); `None` while no
    /// login is under way, or for an id too long to keep.
    client: Option<Box<str>>,
    account: Option<BareJid>,
    jid: Option<FullJid>,
    reason: String,
}

impl Session {
    async fn run(&mut self) {
        loop {
            let Some(event) = self.session.next_event().await else {
                break;
            };
            let waiting = self.handle(event);
            // Boxed: rare, and an await point's state is part of every
            // session task's size for its whole life.
            if !waiting.is_empty() {
                Box::pin(deliver(&self.state, waiting)).await;
            }
        }
        if !self.quiet {
            emit(&json!({
                "event": "closed",
                "jid": self.jid.as_ref().map(FullJid::as_str),
                "reason": self.reason,
            }));
        }
    }

    /// Answers one event; gives the stanzas that wait for room in their
    /// recipients' queues.
    fn handle(&mut self, event: ServerSessionEvent) -> Vec<Waiting> {
        let event = match event {
            ServerSessionEvent::TlsEstablished(v) => {
                self.tls = Some(v.name());
                return Vec::new();
            }
            ServerSessionEvent::Resumable(s) => {
                if let Some(j) = &self.jid {
                    hibernate(&self.state, j, s);
                    self.reason = "resumable".into();
                }
                return Vec::new();
            }
            ServerSessionEvent::Session(e) => e,
            _ => return Vec::new(),
        };
        if self.trace {
            eprintln!("{}: {event:?}", self.session.peer());
        }
        let session = &self.session;
        let mut st = lock(&self.state);
        // A resource taken, announced once the state is let go.
        let mut bound = None;
        match event {
            // (A resumable session's state follows as the last event.)
            ServerEvent::Closed { resumable: false } => {
                // An authentication that had not succeeded failed. (A
                // resumable session had succeeded.)
                st.auth_ended(session.peer(), std::time::Instant::now());
                if let Some(j) = &self.jid {
                    st.unbound(j);
                }
            }
            ServerEvent::CredentialsRequest {
                request,
                fast,
                user_agent,
            } => {
                self.client = state::client_key(user_agent.as_ref()).map(String::into_boxed_str);
                let now = std::time::Instant::now();
                let client = self.client.as_deref();
                let answer =
                    st.credentials(&request, fast, client, session.peer(), unix_now(), now);
                session.provide_credentials(answer);
            }
            // The token is proven: its count is checked and recorded under
            // the lock, so that of two connections replaying one count only
            // one gets in (the client hears nothing before the answer).
            ServerEvent::TokenUsed {
                jid: who,
                mechanism: m,
                fast,
                slot,
            } => {
                let recorded = who
                    .localpart()
                    .zip(self.client.as_deref())
                    .and_then(|(user, c)| {
                        st.token_used(user, c, (m, slot), fast.count, fast.invalidate)
                    });
                match recorded {
                    // XEP-0484 §3.5: a token past half its life is rotated.
                    Some(expiry) => session.accept_token_use(rotation_due(expiry, unix_now())),
                    None => session.refuse_token_use(),
                };
            }
            ServerEvent::Authenticated {
                jid: who,
                mechanism: m,
            } => {
                st.auth_succeeded(session.peer());
                self.mechanism = Some(m.name());
                self.account = Some(who);
            }
            ServerEvent::AuthFailed { .. } => {
                st.auth_ended(session.peer(), std::time::Instant::now());
            }
            ServerEvent::BindRequest {
                requested,
                suggested,
            } => {
                // A reservation of an earlier bind that failed.
                if let Some(old) = self.jid.take() {
                    st.unbound(&old);
                }
                match &self.account {
                    // RFC 6120 §7.6.2.1: the account has as many live
                    // resources as it may.
                    Some(a) if !st.make_room(a) => {
                        session.reject_bind(DefinedCondition::ResourceConstraint);
                    }
                    Some(a) => {
                        // RFC 6120 §7.7.2.2: a resource in use gets a server
                        // one. It is taken now, so that a bind of the same
                        // name at the same time gets another.
                        let resource = match &requested {
                            Some(r) if !st.in_use(a, r) => r.clone(),
                            _ => suggested,
                        };
                        if let Ok(jid) = FullJid::new(&format!("{}/{resource}", a.as_str())) {
                            st.reserve(&jid, session.sender());
                            self.jid = Some(jid);
                        }
                        session.accept_bind(&resource);
                    }
                    None => {
                        session.accept_bind(&suggested);
                    }
                }
            }
            ServerEvent::Bound { jid } => {
                // Tokens are issued before the bind (XEP-0388 §2.6).
                self.client = None;
                if let Some(reserved) = self.jid.take().filter(|r| *r != jid) {
                    st.unbound(&reserved);
                }
                st.bound(&jid, session.sender());
                bound = Some(jid);
            }
            ServerEvent::Resumed { jid, .. } => {
                if st.resumed(&jid, session.sender()) {
                    bound = Some(jid);
                } else {
                    // Resumed elsewhere first, or its window closed
                    // meanwhile: this stream must not take the resource
                    // (RFC 6120 §4.9.3.3).
                    session
                        .sender()
                        .close_with_error(StreamError::new(StreamCondition::Conflict));
                }
            }
            ServerEvent::ResumeRequest { previd, .. } => {
                match st.resumable(&previd, self.account.as_ref()) {
                    Some(s) => {
                        session.accept_resume(s);
                    }
                    None => match st.timed_out(&previd, self.account.as_ref()) {
                        Some(h) => {
                            session.reject_resume_timed_out(h);
                        }
                        None => {
                            session.reject_resume();
                        }
                    },
                }
            }
            ServerEvent::TokenRequest { mechanism: m } => {
                let user = self.account.as_ref().and_then(BareJid::localpart);
                match user.zip(self.client.as_deref()) {
                    Some((user, client)) => {
                        let token = random_token();
                        let expiry = unix_now().saturating_add(TOKEN_LIFETIME);
                        st.issued(user, client, m, token.clone(), expiry);
                        session.issue_token(&token, &datetime(expiry));
                    }
                    None => {
                        session.decline_token();
                    }
                }
            }
            ServerEvent::Stanza(stanza) => {
                if let Some(from) = &self.jid {
                    st.route(from, stanza);
                }
            }
            ServerEvent::Undelivered(stanzas) => st.undelivered(stanzas),
            ServerEvent::StreamError(e) => self.reason = e.condition.as_str().to_owned(),
            _ => {}
        }
        let mut waiting = st.take_waiting();
        let rosters = st.take_rosters();
        drop(st);
        for roster in rosters {
            let to = roster.to.clone();
            let Some(reply) = roster.reply() else {
                continue;
            };
            let sender = self.session.sender();
            if let Err(reply) = sender.try_send(reply) {
                waiting.push(Waiting {
                    to,
                    sender,
                    stanza: *reply,
                });
            }
        }
        if let Some(jid) = bound {
            self.bound(jid);
        }
        waiting
    }

    /// The session has a resource: the `bound` line.
    fn bound(&mut self, jid: FullJid) {
        if !self.quiet {
            emit(&json!({
                "event": "bound",
                "jid": jid.as_str(),
                "mechanism": self.mechanism,
                "tls": self.tls,
                "transport": self.transport,
            }));
        }
        self.jid = Some(jid);
    }
}

/// Takes a lock shared by the sessions, poisoned or not. A panic while
/// one was held (none is known to be reachable) must not silently stop
/// every later session, as giving up on a poisoned lock did: each State
/// method changes its maps one complete step at a time (an entry
/// inserted or removed whole), so what a panic leaves is a state some
/// steps short, which later calls handle like any other, not a broken
/// one. Ending the process instead would cut every client for the fault
/// of one.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// XEP-0198 §5: the session waits `max` seconds for its client.
fn hibernate(state: &Arc<Mutex<State>>, jid: &FullJid, s: xmpp_session::ResumptionState) {
    let wait = u64::from(s.max_resumption().unwrap_or(300));
    let id = s.id().to_owned();
    let generation = lock(state).hibernate(jid, s);
    let state = Arc::clone(state);
    let jid = jid.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        let waiting = {
            let mut st = lock(&state);
            st.expire(&jid, &id, generation);
            st.take_waiting()
        };
        deliver(&state, waiting).await;
    });
}

/// Delivers stanzas that found their sessions' queues full, in order,
/// waiting for room (the state is not held meanwhile; this task takes
/// nothing more from its own client until they are in): a recipient
/// that reads slower than its senders write slows them down. Only so
/// far: once a recipient has kept its senders waiting
/// [`state::SLOW_RECIPIENT`] in all, its stream is ended and what is
/// sent to it is held for its end (or its resumption), so a reader that
/// takes just enough to dodge the write stall cannot hold every
/// correspondent up for seconds per stanza. What a session does not take
/// goes back through the state.
async fn deliver(state: &Arc<Mutex<State>>, waiting: Vec<Waiting>) {
    let mut waiting = std::collections::VecDeque::from(waiting);
    while let Some(Waiting { to, sender, stanza }) = waiting.pop_front() {
        let stanza = match sender.try_send(stanza) {
            Ok(()) => continue,
            Err(stanza) => stanza,
        };
        let patience = lock(state).patience(&to, std::time::Instant::now());
        let started = std::time::Instant::now();
        let sent = if patience.is_zero() {
            Err(stanza)
        } else {
            sender.send_within(*stanza, patience).await
        };
        let mut st = lock(state);
        st.waited(&to, started.elapsed());
        let Err(stanza) = sent else { continue };
        if !sender.is_alive() {
            st.not_taken(&to, *stanza);
        } else if let Some(slow) = st.stall(&to, *stanza) {
            end_slow(&slow);
        }
        waiting.extend(st.take_waiting());
    }
}

/// Ends the stream of a recipient that kept its senders waiting too long
/// (RFC 6120 §4.9.3.18 `resource-constraint`: the server will not hold
/// more for it). The close gets past the full queue, behind what it holds;
/// nothing more is added meanwhile, and the write stall ends a reader
/// that takes nothing at all.
fn end_slow(sender: &xmpp_tokio::SessionSender) {
    let error = StreamError::new(StreamCondition::ResourceConstraint)
        .with_text(None, "the client reads too slowly");
    sender.close_with_error(error);
}

/// `--trace`: every chunk of every stream, both ways and decrypted, as a
/// JSON line on stderr: `{"trace":"in"|"out","peer":ADDR,"transport":"tcp"|"websocket",
/// "base64":BYTES}` (base64, since a chunk may end inside a UTF-8
/// sequence). A peer's `in` chunks in order are its stream as the server
/// read it; `cargo xtask interop` checks them with `xmpp frame`.
fn trace_line(peer: SocketAddr, kind: ListenerKind, direction: Direction, bytes: &[u8]) {
    use base64::Engine as _;
    let line = json!({
        "trace": match direction {
            Direction::In => "in",
            Direction::Out => "out",
        },
        "peer": peer.to_string(),
        "transport": kind.transport(),
        "base64": base64::engine::general_purpose::STANDARD.encode(bytes),
    });
    eprintln!("{line}");
}

fn random_token() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How long a FAST token lives: 30 days, in seconds.
const TOKEN_LIFETIME: u64 = 30 * 86_400;

/// Whether a token expiring at `expiry` is due for rotation at `now`
/// (XEP-0484 §3.5): past half its life, so that a client logging in at
/// least every two weeks never sees its token expire.
fn rotation_due(expiry: u64, now: u64) -> bool {
    expiry.saturating_sub(now) < TOKEN_LIFETIME / 2
}

/// The wall clock, in seconds since the Unix epoch (0 before it).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `secs` since the Unix epoch as an XEP-0082 DateTime (UTC).
fn datetime(secs: u64) -> String {
    let (d, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(i64::try_from(d).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_state_still_serves() {
        let state = Arc::new(Mutex::new(State::new("localhost".into(), HashMap::new())));
        let poisoner = Arc::clone(&state);
        let _ = std::thread::spawn(move || {
            let _held = poisoner.lock();
            panic!("a fault while the state is held");
        })
        .join();
        assert!(state.is_poisoned());
        let jid = FullJid::new("alice@localhost/phone").expect("jid");
        let s: xmpp_session::ResumptionState = serde_json::from_value(json!({
            "id": "sm-1", "jid": jid.as_str(), "inbound": 0, "acked": 0,
            "unacked": [], "max": 300,
        }))
        .expect("a resumption state");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        rt.block_on(async { hibernate(&state, &jid, s) });
        let alice = jid.as_jid().to_bare();
        assert!(lock(&state).resumable("sm-1", Some(&alice)).is_some());
    }

    #[test]
    fn accepting_sweeps_ended_sessions_in_amortized_constant_time() {
        let checks = core::cell::Cell::new(0usize);
        let mut senders = Senders::new();
        const N: usize = 20_000;
        // Every other session has ended by the next sweep.
        for i in 0..N {
            senders.add(i, |&i| {
                checks.set(checks.get() + 1);
                i % 2 == 0
            });
        }
        assert!(checks.get() < 3 * N, "{} checks", checks.get());
        assert!(senders.all.len() < N / 2 + 2 * Senders::<usize>::FIRST_SWEEP + N / 4);
    }

    #[test]
    fn a_token_is_rotated_past_half_its_life() {
        let issued = 1_700_000_000;
        let expiry = issued + TOKEN_LIFETIME;
        assert!(!rotation_due(expiry, issued));
        assert!(!rotation_due(expiry, issued + TOKEN_LIFETIME / 2));
        assert!(rotation_due(expiry, issued + TOKEN_LIFETIME / 2 + 1));
        assert!(rotation_due(expiry, expiry + 1));
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert!(xmpp_stanza::is_datetime(&datetime(
            unix_now() + TOKEN_LIFETIME
        )));
        assert_eq!(datetime(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
