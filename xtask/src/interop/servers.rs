//! `cargo xtask interop`, second half: our client against real servers,
//! Prosody 0.12 and ejabberd 23.01, each started once on loopback with a
//! virtual host per password storage.
//!
//! Every login case is one run of `xmpp connect` (the release build): it
//! logs in with the case's TLS mode and mechanism, sends a message to its
//! own bare JID and must get it back (RFC 6121 §8.5.2.1.1: a message to
//! the bare JID goes to the available resources). A mechanism the host
//! does not offer is a `skip` with that reason. Where the server offers
//! `-PLUS` but binds only `tls-unique` (rustls cannot give it, and RFC 9266
//! §3 leaves it undefined on TLS 1.3), the refusal is the expected outcome
//! (`known`), so a server that starts to accept shows up as a change.
//! The client's own choice there binds `tls-exporter` (the TLS 1.3
//! default, the server lists no types), is refused, and retries once
//! without `-PLUS` and with gs2 flag `y` (`ClientConfig::fallback_unbound`):
//! that row passes, and its gs2 header shows the `y`.
//! XEP-0198 resumption is `xmpp probe --suite sm`'s `sm-resume` check
//! (`xmpp connect` does not resume).
//!
//! ejabberd logs every element (`loglevel: debug`), so each ejabberd row
//! also shows the gs2 header our client sent (RFC 5802 §7: `n`, `y` or
//! `p=<type>`), read from the server's log rather than from the client.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;

use crate::conformance::{ejabberd, prosody};
use crate::util::Result;

/// A case's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Pass,
    /// The server refused as expected (its limitation, named in the detail).
    Known,
    Skip,
    Fail,
}

impl Outcome {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Known => "known",
            Self::Skip => "skip",
            Self::Fail => "FAIL",
        }
    }
}

/// One row of the table.
pub(super) struct Row {
    pub(super) peer: String,
    pub(super) case: String,
    pub(super) outcome: Outcome,
    pub(super) detail: String,
}

/// A virtual host of a started server.
struct Variant {
    server: &'static str,
    storage: &'static str,
    domain: &'static str,
    port: u16,
    /// The direct TLS port.
    tls_port: u16,
    /// The hash of the host's SCRAM storage (for its `-PLUS` case).
    plus: &'static str,
    /// The server's log, when it holds every element (ejabberd).
    log: Option<PathBuf>,
    /// Why the server's `-PLUS` cannot bind with our client.
    plus_refusal: &'static str,
}

/// ejabberd 23.01's SCRAM takes `p=tls-unique` only (processone/xmpp
/// 1.6.1, `xmpp_sasl_scram:cbind_valid/2`), on TLS 1.3 too.
const EJABBERD_PLUS: &str = "ejabberd 23.01 offers -PLUS on TLS 1.3 but binds tls-unique \
     only (undefined on TLS 1.3, RFC 9266 §3; rustls cannot give it) and no XEP-0440";
/// Prosody 0.12 offers `-PLUS` only with `tls-unique`, hence only on TLS 1.2.
const PROSODY_PLUS: &str = "Prosody 0.12 offers -PLUS only on TLS 1.2 (tls-unique, which \
     rustls cannot give); rustls negotiates TLS 1.3";

/// Runs every case against both servers.
pub(super) fn run(xmpp: &Path) -> Result<Vec<Row>> {
    let mut rows = Vec::new();

    let running = prosody::start("interop-prosody")?;
    let variants = [
        ("internal_hashed SHA-1", prosody::DOMAIN, "SHA-1"),
        ("internal_hashed SHA-256", prosody::DOMAIN_SHA256, "SHA-256"),
        ("internal_plain", prosody::DOMAIN_PLAIN, "SHA-1"),
    ];
    for (storage, domain, plus) in variants {
        let v = Variant {
            server: "Prosody 0.12",
            storage,
            domain,
            port: running.port,
            tls_port: running.tls_port,
            plus,
            log: None,
            plus_refusal: PROSODY_PLUS,
        };
        rows.extend(logins(xmpp, &v));
    }
    rows.push(Row {
        peer: "Prosody 0.12".into(),
        case: "scram SHA-512 storage".into(),
        outcome: Outcome::Skip,
        detail: "Prosody 0.12's internal_hashed takes password_hash SHA-1 or SHA-256 only".into(),
    });
    rows.push(resume(xmpp, "Prosody 0.12", prosody::DOMAIN, running.port));
    drop(running);

    let running = ejabberd::start("interop-ejabberd", &ejabberd::Storage::ALL, true)?;
    for storage in ejabberd::Storage::ALL {
        let v = Variant {
            server: "ejabberd 23.01",
            storage: storage.name(),
            domain: storage.domain(),
            port: running.port,
            tls_port: running.tls_port,
            plus: match storage {
                ejabberd::Storage::ScramSha1 => "SHA-1",
                _ => "SHA-256",
            },
            log: Some(running.log.clone()),
            plus_refusal: EJABBERD_PLUS,
        };
        rows.extend(logins(xmpp, &v));
    }
    let sha256 = ejabberd::Storage::ScramSha256.domain();
    rows.push(resume(xmpp, "ejabberd 23.01", sha256, running.port));
    drop(running);
    Ok(rows)
}

/// The login cases of one host: (name, `--tls`, `--mechanism`).
fn cases(v: &Variant) -> Vec<(String, &'static str, Option<String>)> {
    let mut cases = vec![("STARTTLS, client's choice".to_owned(), "starttls", None)];
    for m in ["SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] {
        cases.push((format!("STARTTLS, {m}"), "starttls", Some(m.to_owned())));
    }
    let plus = format!("SCRAM-{}-PLUS", v.plus);
    cases.push((format!("STARTTLS, {plus}"), "starttls", Some(plus)));
    cases.push(("no TLS, client's choice".to_owned(), "off", None));
    cases.push(("no TLS, PLAIN".to_owned(), "off", Some("PLAIN".to_owned())));
    let scram = format!("SCRAM-{}", v.plus);
    cases.push((format!("direct TLS, {scram}"), "direct", Some(scram)));
    cases
}

fn logins(xmpp: &Path, v: &Variant) -> Vec<Row> {
    let (user, password) = prosody::ACCOUNTS[0];
    let jid = format!("{user}@{}", v.domain);
    cases(v)
        .into_iter()
        .map(|(case, tls, mechanism)| {
            let port = if tls == "direct" { v.tls_port } else { v.port };
            let token = format!("interop-{}", case.replace([' ', ','], "-"));
            let mut cmd = Command::new(xmpp);
            cmd.args(["connect", "--jid", &jid, "--password", password])
                .args(["--server", &format!("127.0.0.1:{port}")])
                .args(["--tls", tls, "--insecure", "--wait-ms", "300"])
                .args(["--send", &format!("{jid}:{token}")]);
            if let Some(m) = &mechanism {
                cmd.args(["--mechanism", m]);
            }
            let log_from = v.log.as_deref().map_or(0, file_len);
            let (outcome, detail) = classify(cmd.output(), &token, mechanism.as_deref(), v);
            // ejabberd's logger writes behind the session (OTP's file
            // handler delays writes by up to 2 s), so wait for the line.
            let scram = mechanism.as_deref() != Some("PLAIN") && outcome != Outcome::Skip;
            let mut gs2 = None;
            if let Some(log) = v.log.as_deref().filter(|_| scram) {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(4);
                while gs2.is_none() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    gs2 = gs2_header(log, log_from);
                }
            }
            let gs2 = gs2.map_or(String::new(), |h| format!(", gs2 header {h:?}"));
            Row {
                peer: v.server.into(),
                case: format!("{}: {case}", v.storage),
                outcome,
                detail: format!("{detail}{gs2}"),
            }
        })
        .collect()
}

/// The outcome of one `xmpp connect` run.
fn classify(
    output: std::io::Result<std::process::Output>,
    token: &str,
    mechanism: Option<&str>,
    v: &Variant,
) -> (Outcome, String) {
    let out = match output {
        Ok(o) => o,
        Err(e) => return (Outcome::Fail, format!("xmpp connect: {e}")),
    };
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let bound = lines.iter().find(|l| l["event"] == "bound");
    let echoed = lines.iter().any(|l| {
        l["event"] == "stanza" && l["stanza"]["bodies"][0]["text"].as_str() == Some(token)
    });
    let error = lines.iter().find(|l| l["event"] == "error");
    // The client's choice binds when it can; a -PLUS case always does.
    let binds = mechanism.is_none_or(|m| m.ends_with("-PLUS"));
    match (bound, error) {
        (Some(b), _) => {
            let detail = format!(
                "{} over {}{}{}",
                b["mechanism"].as_str().unwrap_or("?"),
                b["tls"].as_str().unwrap_or("the clear"),
                b["channel_binding"]
                    .as_str()
                    .map_or(String::new(), |c| format!(" bound to {c}")),
                if echoed {
                    ", message echoed"
                } else {
                    ", message NOT echoed"
                }
            );
            let plus_expected_refused = binds && v.server.starts_with("ejabberd");
            if !echoed {
                (Outcome::Fail, detail)
            } else if plus_expected_refused
                && b["mechanism"]
                    .as_str()
                    .is_some_and(|m| m.ends_with("-PLUS"))
            {
                (
                    Outcome::Fail,
                    format!(
                        "{detail} (expected the refusal: {}; update the table)",
                        v.plus_refusal
                    ),
                )
            } else {
                (Outcome::Pass, detail)
            }
        }
        (None, Some(e)) => {
            let condition = e["condition"].as_str().unwrap_or("?");
            let message = e["message"].as_str().unwrap_or("");
            if condition == "invalid-mechanism" {
                let why = if mechanism.is_some_and(|m| m.ends_with("-PLUS")) {
                    v.plus_refusal.to_owned()
                } else {
                    format!("not offered with {} storage", v.storage)
                };
                (Outcome::Skip, why)
            } else if binds && message.contains("Invalid channel binding") {
                (
                    Outcome::Known,
                    format!("refused ({message}): {}", v.plus_refusal),
                )
            } else {
                (Outcome::Fail, format!("{condition}: {message}"))
            }
        }
        (None, None) => (
            Outcome::Fail,
            format!(
                "no bound line, no error ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ),
    }
}

/// XEP-0198 resumption: `xmpp probe --suite sm`'s `sm-resume` check.
fn resume(xmpp: &Path, server: &str, domain: &str, port: u16) -> Row {
    let [alice, bob] = prosody::ACCOUNTS;
    let out = Command::new(xmpp)
        .args(["probe", "--server", &format!("127.0.0.1:{port}")])
        .args(["--domain", domain, "--insecure", "--json", "--suite", "sm"])
        .args(["--user", &format!("{}:{}", alice.0, alice.1)])
        .args(["--user", &format!("{}:{}", bob.0, bob.1)])
        .output();
    let check = out.ok().and_then(|o| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["id"] == "sm-resume")
    });
    let (outcome, detail) = match check {
        Some(c) if c["outcome"] == "pass" => (
            Outcome::Pass,
            format!(
                "xmpp probe sm-resume: {}",
                c["detail"].as_str().unwrap_or("")
            ),
        ),
        Some(c) => (
            Outcome::Fail,
            format!(
                "xmpp probe sm-resume {}: {}",
                c["outcome"].as_str().unwrap_or("?"),
                c["detail"].as_str().unwrap_or("")
            ),
        ),
        None => (
            Outcome::Fail,
            "xmpp probe printed no sm-resume check".into(),
        ),
    };
    Row {
        peer: server.into(),
        case: format!("{domain}: XEP-0198 resumption after a cut"),
        outcome,
        detail,
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// The gs2 header (RFC 5802 §7: `gs2-cbind-flag "," [authzid] ","`) of
/// the last SCRAM `<auth/>` the server logged after byte `from` of its
/// log, if any.
fn gs2_header(log: &Path, from: u64) -> Option<String> {
    let bytes = std::fs::read(log).ok()?;
    let start = usize::try_from(from).ok()?;
    let text = String::from_utf8_lossy(bytes.get(start..)?).into_owned();
    let auth = text.rmatch_indices("mechanism='SCRAM-").next()?.0;
    let rest = text.get(auth..)?;
    let b64: String = rest
        .split_once('>')?
        .1
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/' || *c == '=')
        .collect();
    let first = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let first = String::from_utf8_lossy(&first);
    let mut parts = first.splitn(3, ',');
    Some(format!("{},{},", parts.next()?, parts.next()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gs2_header_comes_from_the_last_scram_auth_in_the_log() {
        let dir = std::env::temp_dir().join(format!("xtask-gs2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("ejabberd.log");
        // "p=tls-exporter,,n=alice,r=x" then "n,,n=alice,r=x".
        std::fs::write(
            &log,
            "Received XML on stream = <<\"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' \
             mechanism='SCRAM-SHA-256-PLUS'>cD10bHMtZXhwb3J0ZXIsLG49YWxpY2Uscj14</auth>\">>\n",
        )
        .unwrap();
        assert_eq!(gs2_header(&log, 0).as_deref(), Some("p=tls-exporter,,"));
        let from = file_len(&log);
        assert_eq!(gs2_header(&log, from), None, "nothing after `from`");
        let mut text = std::fs::read_to_string(&log).unwrap();
        text.push_str("<auth mechanism='SCRAM-SHA-256'>biwsbj1hbGljZSxyPXg=</auth>\n");
        std::fs::write(&log, text).unwrap();
        assert_eq!(gs2_header(&log, from).as_deref(), Some("n,,"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
