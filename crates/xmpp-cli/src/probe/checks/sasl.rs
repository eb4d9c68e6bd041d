//! Suite `sasl`: RFC 6120 §6 as the server answers it: each mechanism it
//! offers, failures that tell nothing about accounts (§6.5.10), SCRAM
//! usernames with `=2C`/`=3D` (RFC 5802 §5.1), then the exchanges of
//! [`crate::probe::sasl`].

use std::time::Instant;

use xmpp_sasl::{Hash, Mechanism};

use super::{Logged, login, report};
use crate::probe::{Outcome, Report, Target};

pub(super) async fn sasl_suite(t: &Target, out: &mut Vec<Report>) {
    let mechanisms = [
        (
            Mechanism::Scram {
                hash: Hash::Sha1,
                plus: false,
            },
            "sasl-scram-sha-1",
        ),
        (
            Mechanism::Scram {
                hash: Hash::Sha256,
                plus: false,
            },
            "sasl-scram-sha-256",
        ),
        (
            Mechanism::Scram {
                hash: Hash::Sha512,
                plus: false,
            },
            "sasl-scram-sha-512",
        ),
        (
            Mechanism::Scram {
                hash: Hash::Sha256,
                plus: true,
            },
            "sasl-scram-sha-256-plus",
        ),
        (Mechanism::Plain, "sasl-plain"),
    ];
    for (m, id) in mechanisms {
        let r = match login(t, 0, |c| c.mechanisms([m]).sasl2(false)).await {
            Ok(l) => {
                let r = report(
                    id,
                    "RFC 6120 §6",
                    "MAY",
                    Outcome::Pass,
                    format!("logged in with {}", l.mechanism),
                );
                l.close().await;
                r
            }
            Err(e) if e.contains("no offered mechanism") => report(
                id,
                "RFC 6120 §6",
                "MAY",
                Outcome::Skip,
                format!("{m} not offered"),
            ),
            Err(e) => report(id, "RFC 6120 §6", "MAY", Outcome::Fail, e),
        };
        out.push(r);
    }
    sasl_escaped_username(t, out).await;
    // Wrong password and unknown user: not-authorized, and alike.
    let wrong_started = Instant::now();
    let wrong = login(t, 0, |mut c| {
        c.password = zeroize::Zeroizing::new("not the password".into());
        c
    })
    .await;
    let wrong_time = wrong_started.elapsed();
    let unknown_started = Instant::now();
    let unknown = login(t, 0, |mut c| {
        if let Ok(j) = xmpp_jid::BareJid::new(&format!("no-such-user-4b1d@{}", t.domain)) {
            c.jid = j;
        }
        c.password = zeroize::Zeroizing::new("not the password".into());
        c
    })
    .await;
    let unknown_time = unknown_started.elapsed();
    let reason = |r: &Result<Logged, String>| match r {
        Ok(_) => "logged in".to_owned(),
        Err(e) => e.clone(),
    };
    let (w, u) = (reason(&wrong), reason(&unknown));
    out.push(report(
        "sasl-wrong-password",
        "RFC 6120 §6.5.10",
        "MUST",
        if w.contains("not-authorized") {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        w.clone(),
    ));
    let alike = w == u;
    out.push(report(
        "sasl-unknown-user-indistinguishable",
        "RFC 5802 §5.1",
        "SHOULD",
        if alike { Outcome::Pass } else { Outcome::Warn },
        format!(
            "wrong password: {w} ({} ms); unknown user: {u} ({} ms)",
            wrong_time.as_millis(),
            unknown_time.as_millis()
        ),
    ));
    crate::probe::sasl::run(t, out).await;
}

/// RFC 5802 §5.1: SCRAM sends ',' and '=' in a username as `=2C` and `=3D`,
/// and the server reads them back. Needs a third account whose name holds
/// one of them.
async fn sasl_escaped_username(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-scram-escaped-username";
    const SECTION: &str = "RFC 5802 §5.1";
    let Some((name, _)) = t.users.get(2) else {
        out.push(report(
            ID,
            SECTION,
            "MUST",
            Outcome::Skip,
            "no third account (--user) whose name holds ',' or '='",
        ));
        return;
    };
    if !name.contains([',', '=']) {
        out.push(report(
            ID,
            SECTION,
            "MUST",
            Outcome::Skip,
            format!("the third account's name {name:?} holds neither ',' nor '='"),
        ));
        return;
    }
    let scram =
        [Hash::Sha1, Hash::Sha256, Hash::Sha512].map(|hash| Mechanism::Scram { hash, plus: false });
    out.push(
        match login(t, 2, |c| c.mechanisms(scram).sasl2(false)).await {
            Ok(l) => {
                let r = report(
                    ID,
                    SECTION,
                    "MUST",
                    Outcome::Pass,
                    format!("{name:?} logged in with {}", l.mechanism),
                );
                l.close().await;
                r
            }
            Err(e) => report(ID, SECTION, "MUST", Outcome::Fail, format!("{name:?}: {e}")),
        },
    );
}
