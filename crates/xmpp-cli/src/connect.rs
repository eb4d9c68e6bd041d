//! `xmpp connect`: logs in with the session machine over tokio, sends
//! messages, prints what arrives as `xmpp stanza` does, closes.

use std::time::Duration;

use serde_json::json;
use xmpp_jid::{BareJid, Jid};
use xmpp_sasl::Mechanism;
use xmpp_session::{ClientConfig, ClientEvent, SmConfig, TlsMode, TlsPolicy};
use xmpp_stanza::{Message, Presence, PresenceType, Stanza, StanzaNs};
use xmpp_tokio::{ClientSessionEvent, ConnectOptions, Trust};
use zeroize::Zeroizing;

use crate::io::{Exit, usage};
use crate::secrets;

pub(crate) const USAGE: &str =
    "usage: xmpp connect --jid USER@DOMAIN --password P [--server HOST:PORT]
                    [--tls starttls|direct|off] [--ca PEM | --insecure]
                    [--mechanism M] [--resource R] [--send TO:TEXT]... [--wait-ms N] [--trace]
      instead of --password P (which other local users can read in ps):
      --password-file PATH (its first line), or the variable XMPP_PASSWORD";

struct Options {
    jid: BareJid,
    password: Zeroizing<String>,
    server: Option<String>,
    tls: &'static str,
    trust: Option<Trust>,
    mechanism: Option<Mechanism>,
    resource: Option<String>,
    send: Vec<(Jid, String)>,
    wait: Duration,
    trace: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let (mut jid, mut password) = (None, None);
    let mut o = Options {
        jid: BareJid::new("a@b").map_err(|e| e.to_string())?,
        password: Zeroizing::new(String::new()),
        server: None,
        tls: "starttls",
        trust: None,
        mechanism: None,
        resource: None,
        send: Vec::new(),
        wait: Duration::from_millis(500),
        trace: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--jid" => jid = Some(BareJid::new(&value()?).map_err(|e| format!("--jid: {e}"))?),
            "--password" => password = Some(Zeroizing::new(value()?)),
            "--password-file" => password = Some(secrets::password_file(&value()?)?),
            "--server" => o.server = Some(value()?),
            "--tls" => {
                o.tls = match value()?.as_str() {
                    "starttls" => "starttls",
                    "direct" => "direct",
                    "off" => "off",
                    other => return Err(format!("--tls {other}: starttls, direct or off")),
                }
            }
            "--ca" => {
                let path = value()?;
                let pem = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
                o.trust = Some(Trust::Roots(pem));
            }
            "--insecure" => o.trust = Some(Trust::Insecure),
            "--mechanism" => {
                let m = value()?;
                o.mechanism =
                    Some(Mechanism::from_name(&m).ok_or(format!("unknown mechanism {m}"))?);
            }
            "--resource" => o.resource = Some(value()?),
            "--send" => {
                let v = value()?;
                let (to, text) = v.split_once(':').ok_or("--send takes TO:TEXT")?;
                let to = Jid::new(to).map_err(|e| format!("--send {to}: {e}"))?;
                o.send.push((to, text.to_owned()));
            }
            "--wait-ms" => {
                let ms = value()?
                    .parse::<u64>()
                    .map_err(|e| format!("--wait-ms: {e}"))?;
                o.wait = Duration::from_millis(ms);
            }
            "--trace" => o.trace = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    o.jid = jid.ok_or("--jid is required")?;
    o.password = match password {
        Some(p) => p,
        None => match std::env::var(secrets::PASSWORD_VAR) {
            Ok(p) if !p.is_empty() => Zeroizing::new(p),
            _ => {
                return Err(format!(
                    "--password, --password-file or {} is required",
                    secrets::PASSWORD_VAR
                ));
            }
        },
    };
    if o.jid.localpart().is_none() {
        return Err("--jid needs a localpart".into());
    }
    Ok(o)
}

pub(crate) fn run(args: &[String]) -> Exit {
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) => return usage(&format!("xmpp connect: {e}\n{USAGE}")),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail("internal-server-error", &e.to_string()),
    };
    runtime.block_on(connect(o))
}

fn emit(line: &serde_json::Value) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn fail(condition: &str, message: &str) -> Exit {
    emit(&json!({"event": "error", "condition": condition, "message": message}));
    Exit::Invalid
}

async fn connect(o: Options) -> Exit {
    let mut config = ClientConfig::new(o.jid.clone(), o.password.as_str())
        .sm(SmConfig::off())
        .request_fast_token(false);
    config = match o.tls {
        "direct" => config.tls_mode(TlsMode::Direct),
        "off" => config.tls(TlsPolicy::Off),
        _ => config,
    };
    if let Some(m) = o.mechanism {
        // An explicit PLAIN is the user's choice, even in the clear.
        config = config
            .mechanisms([m])
            .allow_plain_unencrypted(m == Mechanism::Plain);
    }
    // Without a checked certificate, whoever answers can offer only PLAIN
    // and read the password: only an explicit --mechanism PLAIN sends it.
    let insecure = matches!(o.trust, Some(Trust::Insecure));
    if insecure && o.mechanism != Some(Mechanism::Plain) {
        config = config.refuse_plain(true);
    }
    if let Some(r) = &o.resource {
        config = config.resource(r.clone());
    }
    let server = o
        .server
        .clone()
        .unwrap_or_else(|| format!("{}:5222", o.jid.domainpart()));
    let trust = o.trust.clone().unwrap_or(Trust::Roots(Vec::new()));
    let mut session =
        match xmpp_tokio::connect(ConnectOptions::new(config, server.clone(), trust)).await {
            Ok(s) => s,
            Err(e) => return fail("remote-connection-failed", &format!("{server}: {e}")),
        };
    let (mut tls, mut channel_binding, mut mechanism) = (None, None, None);
    let mut bound = false;
    let mut failure: Option<xmpp_session::Error> = None;
    let mut closing: Option<tokio::time::Instant> = None;
    let mut close_sent = false;
    loop {
        let next = match closing {
            Some(deadline) => match tokio::time::timeout_at(deadline, session.next_event()).await {
                Ok(e) => e,
                // One deadline for the server's close, which what it sends
                // meanwhile does not move (RFC 6120 §4.4).
                Err(_) if close_sent => {
                    return fail("connection-timeout", "no close from the server");
                }
                Err(_) => {
                    // The wait is over: close, and read until Closed.
                    session.close().await;
                    close_sent = true;
                    closing = Some(tokio::time::Instant::now() + Duration::from_secs(5));
                    continue;
                }
            },
            None => session.next_event().await,
        };
        let Some(event) = next else {
            return if bound {
                Exit::Ok
            } else {
                fail("remote-connection-failed", "connection closed")
            };
        };
        if o.trace {
            eprintln!("{event:?}");
        }
        match event {
            ClientSessionEvent::TlsEstablished { version, .. } => tls = Some(version.name()),
            ClientSessionEvent::Failed(e) => failure = Some(e),
            ClientSessionEvent::Session(event) => match event {
                ClientEvent::Authenticated {
                    mechanism: m,
                    channel_binding: cb,
                } => {
                    mechanism = Some(m.name());
                    channel_binding = cb.map(|c| c.name());
                }
                ClientEvent::Bound { jid } => {
                    bound = true;
                    emit(&json!({
                        "event": "bound",
                        "jid": jid.as_str(),
                        "mechanism": mechanism,
                        "tls": tls,
                        "channel_binding": channel_binding,
                    }));
                    // RFC 6121 §4.2: initial presence, so that messages to
                    // the bare JID reach this resource.
                    let presence = Presence::new(StanzaNs::Client, PresenceType::Available);
                    session.send(Stanza::Presence(presence)).await;
                    for (to, text) in &o.send {
                        let m = Message::chat(StanzaNs::Client, to.clone(), text);
                        session.send(Stanza::Message(m)).await;
                    }
                    closing = Some(tokio::time::Instant::now() + o.wait);
                }
                ClientEvent::Stanza(s) => {
                    emit(&json!({"event": "stanza", "kind": s.kind(), "stanza": s}));
                }
                ClientEvent::StreamError(e) => {
                    return fail(e.condition.as_str(), &e.to_string());
                }
                ClientEvent::Closed { .. } => {
                    if let Some(e) = failure.filter(|_| !bound) {
                        let mut message = e.to_string();
                        if insecure && matches!(e, xmpp_session::Error::NoMechanism) {
                            message.push_str(
                                " (PLAIN is not used with --insecure unless \
                                 --mechanism PLAIN asks for it)",
                            );
                        }
                        return fail(&condition(&e), &message);
                    }
                    emit(&json!({"event": "closed"}));
                    return Exit::Ok;
                }
                _ => {}
            },
            _ => {}
        }
    }
}

/// The condition an error line names: the SASL or stream condition.
fn condition(e: &xmpp_session::Error) -> String {
    use xmpp_session::Error as E;
    match e {
        E::AuthFailed { condition, .. } => condition.as_str().to_owned(),
        E::PeerStreamError(s) => s.condition.as_str().to_owned(),
        E::Sasl(s) => s.condition().as_str().to_owned(),
        E::TlsRequired => "encryption-required".to_owned(),
        E::NoMechanism => "invalid-mechanism".to_owned(),
        E::BindFailed(c) => c.as_str().to_owned(),
        E::Timeout => "connection-timeout".to_owned(),
        other => other
            .condition()
            .map_or("undefined-condition".to_owned(), |c| c.as_str().to_owned()),
    }
}
