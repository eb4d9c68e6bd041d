//! STARTTLS (RFC 6120 §5) with rustls against Prosody and the run's
//! certificate, then SASL with what the TLS layer gave: which mechanisms
//! and `-PLUS` variants Prosody offers under TLS 1.3 and TLS 1.2, and
//! which one the machine picks and logs in with.

use std::sync::Arc;

use xmpp_jid::BareJid;
use xmpp_session::{ClientConfig, ClientEvent, TlsPolicy};
use xmpp_stream::Limits;

use super::app::{bind, features};
use super::client::Report;
use super::session::Session;
use super::tls::Certificate;
use super::{HOST, USERS};
use crate::util::Result;

/// Logs alice in over STARTTLS with TLS 1.3, and with TLS 1.2, where
/// Prosody 0.12 offers SCRAM-SHA-1-PLUS without a XEP-0440 list, so with
/// the default type of TLS 1.2, `tls-unique` (RFC 5929 §3), which rustls
/// cannot give: the machine runs SCRAM-SHA-1 with gs2 flag `n` (the server
/// offers `-PLUS`, so nothing was stripped) and logs in. (It used to try
/// `tls-server-end-point`, which Prosody refuses with malformed-request.)
/// The sessions.
pub(super) fn run(
    port: u16,
    certificate: &Certificate,
    report: &mut Report,
) -> Result<Vec<Session>> {
    let tls13 = certificate.client_config(&[&rustls::version::TLS13])?;
    let tls12 = certificate.client_config(&[&rustls::version::TLS12])?;
    let mut s = connect(port, "starttls", tls13)?;
    let tls13_login = login(&mut s, "starttls")?;
    report.ok("starttls", tls13_login);

    let mut s12 = connect(port, "starttls-tls12", tls12)?;
    let login12 = login(&mut s12, "starttls-tls12")?;
    if !login12.contains("logged in with SCRAM-SHA-1,") {
        return Err(s12.fail(format!(
            "expected SCRAM-SHA-1 without binding on TLS 1.2: {login12}"
        )));
    }
    report.ok("starttls-tls12", login12);
    Ok(vec![s, s12])
}

/// alice over STARTTLS (required) with `tls`, with the machine's own
/// choice of mechanism.
fn connect(port: u16, name: &str, tls: Arc<rustls::ClientConfig>) -> Result<Session> {
    let [(alice, alice_pw), _, _] = USERS;
    let jid = BareJid::new(&format!("{alice}@{HOST}"))
        .map_err(|e| format!("xmpp-jid refuses {alice}@{HOST}: {e}"))?;
    let mut config = ClientConfig::new(jid, alice_pw)
        .tls(TlsPolicy::Required)
        .resource(name);
    config.limits = Limits::relayed();
    Session::connect(
        port,
        &format!("{alice}@{HOST} {name}"),
        64,
        config,
        Some(tls),
    )
}

/// Logs in and binds `resource` over TLS; what was offered and used.
fn login(s: &mut Session, resource: &str) -> Result<String> {
    let (mechanism, cb) = s.wait_event(|e| match e {
        ClientEvent::Authenticated {
            mechanism,
            channel_binding,
        } => Some((*mechanism, *channel_binding)),
        _ => None,
    })?;
    let jid = bind(s, resource)?;
    let info = s.client().tls().cloned().ok_or("no TLS")?;
    if features(s, 0)?.starttls.is_none() {
        return Err(s.fail("STARTTLS not offered"));
    }
    let offered = features(s, 1)?.mechanisms.unwrap_or_default();
    if !offered.iter().any(|m| m == mechanism.name()) {
        return Err(s.fail(format!("logged in with {}, not offered", mechanism.name())));
    }
    let bindings: Vec<&str> = info
        .channel_bindings
        .iter()
        .map(|cb| cb.kind().name())
        .collect();
    let cb = cb.map_or_else(String::new, |t| format!(" with {}", t.name()));
    s.close()?;
    Ok(format!(
        "{}, rustls gave {}; Prosody offers {}; logged in with {}{cb}, bound {jid}, closed",
        info.version.name(),
        bindings.join(" and "),
        offered.join(", "),
        mechanism.name(),
    ))
}
