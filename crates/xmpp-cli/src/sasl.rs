//! `xmpp sasl client|server --mechanism M [--username U] [--password P]
//! [--authzid Z] [--salt-b64 S] [--iterations N] [--nonce N]
//! [--cb-type T --cb-data-b64 D] [--secret-b64 K]`.
//!
//! Each line of standard input is one base64 message from the peer (an
//! empty line is an empty message). Each output line is JSON:
//! `{"send":"<base64>"}` for every message to the peer, then finally
//! `{"outcome":"success","authcid":…,"authzid":…,"additional_data":…}` or
//! `{"outcome":"failure","condition":"…","message":"…"}`. Every line is
//! flushed so two processes can be wired together. The server also sends the
//! additional data of its success (SCRAM's `v=`) as a `send` line, so a
//! wired client receives it. Input that ends before the exchange does is an
//! `aborted` failure. For HT-SHA-256-* (XEP-0484 FAST) `--password` is the
//! token. Exit status: 0 success, 1 failure, 2 usage error.
//!
//! The server knows one account, `--username` (with `--password`); any
//! other name is answered with [`Credentials::UnknownUser`], so it fails
//! exactly as a wrong password does (RFC 5802 §5.1, §9), with made-up
//! parameters derived from `--secret-b64` (a random secret when absent) and
//! the account's salt length and iteration count. The authzid is checked
//! after the exchange, so a refusal does not tell whether the user exists.

use std::io::BufRead;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use xmpp_sasl::{
    CbindFlag, ChannelBinding, ChannelBindingType, Choice, ClientConfig, ClientSession, ClientStep,
    Credentials, CredentialsRequest, Error, Hash, Mechanism, Nonce, Prep, ServerConfig,
    ServerSecret, ServerSession, ServerStep, StoredCredentials, Success,
};

use crate::io::{Exit, emit, usage};

const USAGE: &str =
    "usage: xmpp sasl (client|server) --mechanism M [--username U] [--password P] [--authzid Z]
       [--salt-b64 S] [--iterations N] [--nonce N] [--cb-type T --cb-data-b64 D]
       [--prep saslprep|precis|precis-case-preserved|none] [--secret-b64 K]
  Each stdin line is one base64 message from the peer; each stdout line is JSON:
  {\"send\":\"<base64>\"} then {\"outcome\":\"success\",...} or {\"outcome\":\"failure\",...}.";

/// The parsed command line.
#[derive(Default)]
struct Options {
    mechanism: String,
    username: Option<String>,
    password: Option<String>,
    authzid: Option<String>,
    salt: Option<Vec<u8>>,
    iterations: u32,
    nonce: Option<String>,
    channel_binding: Option<ChannelBinding>,
    prep: Prep,
    secret: Option<Vec<u8>>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        iterations: 4096,
        ..Options::default()
    };
    let mut cb_type = None;
    let mut cb_data = None;
    let mut it = args.iter();
    let mut mechanism = None;
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--mechanism" => mechanism = Some(value()?),
            "--username" => o.username = Some(value()?),
            "--password" => o.password = Some(value()?),
            "--authzid" => o.authzid = Some(value()?),
            "--salt-b64" => {
                o.salt = Some(
                    STANDARD
                        .decode(value()?)
                        .map_err(|_| "--salt-b64 is not base64")?,
                );
            }
            "--iterations" => {
                o.iterations = value()?
                    .parse()
                    .map_err(|_| "--iterations is not a number")?;
            }
            "--nonce" => o.nonce = Some(value()?),
            "--secret-b64" => {
                o.secret = Some(
                    STANDARD
                        .decode(value()?)
                        .map_err(|_| "--secret-b64 is not base64")?,
                );
            }
            "--prep" => {
                o.prep = match value()?.as_str() {
                    "saslprep" => Prep::SaslPrep,
                    // RFC 8265: usernames UsernameCaseMapped (or
                    // CasePreserved), passwords OpaqueString. `opaque-string`
                    // is the older name of `precis`.
                    "precis" | "opaque-string" => Prep::PrecisCaseMapped,
                    "precis-case-preserved" => Prep::PrecisCasePreserved,
                    "none" => Prep::None,
                    other => return Err(format!("unknown --prep {other}")),
                };
            }
            "--cb-type" => {
                let v = value()?;
                cb_type = Some(
                    ChannelBindingType::from_name(&v)
                        .ok_or_else(|| format!("unknown --cb-type {v}"))?,
                );
            }
            "--cb-data-b64" => {
                cb_data = Some(
                    STANDARD
                        .decode(value()?)
                        .map_err(|_| "--cb-data-b64 is not base64")?,
                );
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    o.mechanism = mechanism.ok_or("--mechanism is required")?;
    o.channel_binding = match (cb_type, cb_data) {
        (Some(t), Some(d)) => Some(ChannelBinding::new(t, d)),
        (None, None) => None,
        _ => return Err("--cb-type and --cb-data-b64 go together".to_owned()),
    };
    Ok(o)
}

pub(crate) fn run(args: &[String]) -> Exit {
    let (side, rest) = match args.split_first() {
        Some((side, rest)) if side == "client" || side == "server" => (side.as_str(), rest),
        _ => return usage(USAGE),
    };
    let options = match parse(rest) {
        Ok(o) => o,
        Err(e) => return usage(&format!("xmpp sasl: {e}\n{USAGE}")),
    };
    let nonce = match options
        .nonce
        .as_deref()
        .map_or_else(Nonce::from_os, Nonce::new)
    {
        Ok(n) => n,
        Err(e) => return usage(&format!("xmpp sasl: --nonce: {e}\n{USAGE}")),
    };
    let mut input = Lines::new();
    if side == "client" {
        client(&options, nonce, &mut input)
    } else {
        server(&options, nonce, &mut input)
    }
}

/// Base64 messages from stdin, one per line.
struct Lines {
    stdin: std::io::StdinLock<'static>,
}

impl Lines {
    fn new() -> Self {
        Self {
            stdin: std::io::stdin().lock(),
        }
    }

    /// The next message; `Err` ends the exchange.
    fn next(&mut self) -> Result<Vec<u8>, Error> {
        let mut line = String::new();
        match self.stdin.read_line(&mut line) {
            Ok(0) | Err(_) => return Err(Error::Aborted),
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\n', '\r']);
        STANDARD.decode(line).map_err(|_| Error::Base64 {
            message: xmpp_sasl::Message::Outcome,
            attribute: '-',
        })
    }
}

fn send(bytes: &[u8]) {
    emit(&json!({ "send": STANDARD.encode(bytes) }));
}

fn success(s: &Success) -> Exit {
    emit(&json!({
        "outcome": "success",
        "authcid": s.authcid,
        "authzid": s.authzid,
        "additional_data": s.additional_data.as_deref().map(|d| STANDARD.encode(d)),
    }));
    Exit::Ok
}

fn failure(e: &Error) -> Exit {
    let message = match e {
        // The line itself was not base64: say so plainly.
        Error::Base64 { attribute: '-', .. } => "input line is not base64".to_owned(),
        e => e.to_string(),
    };
    emit(&json!({ "outcome": "failure", "condition": e.condition().as_str(), "message": message }));
    Exit::Invalid
}

fn mechanism(name: &str) -> Result<Mechanism, Error> {
    Mechanism::from_name(name).ok_or(Error::UnsupportedMechanism)
}

/// The client's choice for the mechanism named on the command line: a
/// binding mechanism binds to its own type (HT) or to `--cb-type`
/// (`-PLUS`); any other sends gs2 flag `n`.
fn choice(o: &Options, mechanism: Mechanism) -> Choice {
    let cbind = match mechanism {
        Mechanism::Ht { binding } => binding.channel_binding_type(),
        Mechanism::Scram { plus: true, .. } => o.channel_binding.as_ref().map(ChannelBinding::kind),
        _ => None,
    };
    match cbind {
        Some(t) => Choice {
            mechanism,
            cbind: CbindFlag::Bind(t),
        },
        None => Choice::unbound(mechanism),
    }
}

fn client(o: &Options, nonce: Nonce, input: &mut Lines) -> Exit {
    let mut config = ClientConfig::new().prep(o.prep);
    if let Some(u) = &o.username {
        config = config.username(u.clone());
    }
    if let Some(p) = &o.password {
        // For HT-SHA-256-* the "password" is the FAST token (XEP-0484).
        config = config.password(p.clone()).token(p.clone());
    }
    if let Some(a) = &o.authzid {
        config = config.authzid(a.clone());
    }
    if let Some(cb) = &o.channel_binding {
        config = config.channel_binding(cb.clone());
    }
    let mut session = match mechanism(&o.mechanism)
        .and_then(|m| ClientSession::new(choice(o, m), config, nonce))
    {
        Ok(s) => s,
        Err(e @ (Error::MissingCredential { .. } | Error::InvalidChoice { .. })) => {
            return usage(&format!("xmpp sasl: {e}\n{USAGE}"));
        }
        Err(e) => return failure(&e),
    };
    let mut message = Vec::new();
    loop {
        match session.step(&message) {
            Ok(ClientStep::Send(bytes)) => send(&bytes),
            Ok(ClientStep::Done {
                send: last,
                success: s,
            }) => {
                if let Some(bytes) = last {
                    send(&bytes);
                }
                return success(&s);
            }
            Err(e) => return failure(&e),
        }
        message = match input.next() {
            Ok(m) => m,
            Err(e) => return failure(&e),
        };
    }
}

/// The server secret, with the parameters of the one real account so that
/// made-up ones look the same.
fn secret(o: &Options, mech: Mechanism) -> Result<ServerSecret, Error> {
    let secret = match &o.secret {
        Some(key) => ServerSecret::new(key.clone())?,
        None => ServerSecret::random(&mut rand_core::OsRng)?,
    };
    let salt_len = o.salt.as_ref().map_or(xmpp_sasl::scram::SALT_LEN, Vec::len);
    secret.accounts(
        mech.scram_hash().unwrap_or(Hash::Sha256),
        salt_len,
        o.iterations,
    )
}

fn server(o: &Options, nonce: Nonce, input: &mut Lines) -> Exit {
    let mech = match mechanism(&o.mechanism) {
        Ok(m) => m,
        Err(e) => return failure(&e),
    };
    let secret = match secret(o, mech) {
        Ok(s) => s,
        Err(e) => {
            return usage(&format!(
                "xmpp sasl: --secret-b64, --salt-b64 or --iterations: {e}\n{USAGE}"
            ));
        }
    };
    // The one mechanism named on the command line is the one offered.
    let config = ServerConfig::new(secret)
        .mechanisms([mech])
        .prep(o.prep)
        .encrypted(true);
    let config = match &o.channel_binding {
        Some(cb) => config.channel_binding(cb.clone()),
        None => config,
    };
    let needs_password = matches!(
        mech,
        Mechanism::Plain | Mechanism::Scram { .. } | Mechanism::Ht { .. }
    );
    if needs_password && o.password.is_none() {
        return usage(&format!(
            "xmpp sasl: --password is required for {mech}\n{USAGE}"
        ));
    }
    if mech == Mechanism::External && o.username.is_none() {
        return usage(&format!(
            "xmpp sasl: --username (the external identity) is required for EXTERNAL\n{USAGE}"
        ));
    }
    let mut session = match ServerSession::new(mech, config, nonce) {
        Ok(s) => s,
        Err(e) => return failure(&e),
    };
    loop {
        let message = match input.next() {
            Ok(m) => m,
            Err(e) => return failure(&e),
        };
        let mut step = session.step(&message);
        if let Ok(ServerStep::NeedCredentials(request)) = &step {
            step = match credentials(o, mech, request) {
                Ok(c) => session.credentials(c),
                Err(e) => Err(e),
            };
        }
        match step {
            Ok(ServerStep::Challenge(bytes)) => send(&bytes),
            Ok(ServerStep::Success(s)) => {
                // The authzid is the caller's to allow, once the client has
                // proved who it is (refusing it at lookup would tell an
                // unauthenticated client that the user exists).
                if let (Some(want), Some(got)) = (&o.authzid, &s.authzid) {
                    if want != got {
                        return failure(&Error::InvalidAuthzid);
                    }
                }
                if let Some(d) = &s.additional_data {
                    send(d);
                }
                return success(&s);
            }
            Ok(ServerStep::NeedCredentials(_)) => {
                return failure(&Error::UnexpectedMessage {
                    expected: "one lookup",
                });
            }
            Err(e) => return failure(&e),
        }
    }
}

/// The server's account database: one account from the command line.
fn credentials(
    o: &Options,
    mech: Mechanism,
    request: &CredentialsRequest,
) -> Result<Credentials, Error> {
    if mech == Mechanism::External {
        return Ok(Credentials::External(
            o.username.clone().unwrap_or_default(),
        ));
    }
    if let (Some(want), Some(got)) = (&o.username, &request.authcid) {
        let want = o.prep.prepare(want, xmpp_sasl::Field::Authcid)?;
        if want != got.as_str() {
            return Ok(Credentials::UnknownUser);
        }
    }
    let password = o.password.clone().unwrap_or_default();
    if let Mechanism::Ht { .. } = mech {
        return Ok(Credentials::Token(password.into()));
    }
    // PLAIN too checks against SCRAM stored credentials: a known user then
    // costs the PBKDF2 run an unknown one does.
    match mech
        .scram_hash()
        .or((mech == Mechanism::Plain).then_some(Hash::Sha256))
    {
        Some(hash) => {
            let stored = match &o.salt {
                Some(salt) => {
                    StoredCredentials::from_password(hash, o.prep, &password, salt, o.iterations)?
                }
                None => StoredCredentials::generate(
                    hash,
                    o.prep,
                    &password,
                    o.iterations,
                    &mut rand_core::OsRng,
                )?,
            };
            Ok(Credentials::Scram(stored))
        }
        None => Ok(Credentials::Password(password.into())),
    }
}
