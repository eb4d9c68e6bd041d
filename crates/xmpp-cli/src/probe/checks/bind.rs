//! Suite `bind`: RFC 6120 §7 resource binding.

use super::{login, report};
use crate::probe::{Outcome, Report, Target};

pub(super) async fn bind_suite(t: &Target, out: &mut Vec<Report>) {
    // Requested (RFC 6120 §7.7): the server may still override it.
    match login(t, 0, |c| c.resource("probe-requested").sasl2(false)).await {
        Ok(l) => {
            let kept = l.jid.as_str().ends_with("/probe-requested");
            out.push(report(
                "bind-requested",
                "RFC 6120 §7.7",
                "SHOULD",
                if kept { Outcome::Pass } else { Outcome::Warn },
                format!("bound {}", l.jid.as_str()),
            ));
            // Conflict (§7.7.2.2): any of the three behaviours is fine, as
            // long as the second client ends bound or refused cleanly.
            let second = login(t, 0, |c| c.resource("probe-requested").sasl2(false)).await;
            out.push(match second {
                Ok(s) => {
                    let r = report(
                        "bind-conflict",
                        "RFC 6120 §7.7.2.2",
                        "MUST",
                        Outcome::Pass,
                        format!("second session bound {}", s.jid.as_str()),
                    );
                    s.close().await;
                    r
                }
                Err(e) if e.contains("conflict") => report(
                    "bind-conflict",
                    "RFC 6120 §7.7.2.2",
                    "MUST",
                    Outcome::Pass,
                    e,
                ),
                Err(e) => report(
                    "bind-conflict",
                    "RFC 6120 §7.7.2.2",
                    "MUST",
                    Outcome::Fail,
                    e,
                ),
            });
            l.close().await;
        }
        Err(e) => out.push(report(
            "bind-requested",
            "RFC 6120 §7.7",
            "SHOULD",
            Outcome::Fail,
            e,
        )),
    }
    // Server-generated (§7.6).
    out.push(match login(t, 0, |c| c.sasl2(false)).await {
        Ok(l) => {
            let ok = l.jid.as_jid().resourcepart().is_some_and(|r| !r.is_empty());
            let r = report(
                "bind-generated",
                "RFC 6120 §7.6",
                "MUST",
                if ok { Outcome::Pass } else { Outcome::Fail },
                format!("bound {}", l.jid.as_str()),
            );
            l.close().await;
            r
        }
        Err(e) => report("bind-generated", "RFC 6120 §7.6", "MUST", Outcome::Fail, e),
    });
    // Malformed resourcepart (§7.7.2.1): the server "can return a
    // <bad-request/> stanza error but SHOULD instead process the
    // resourcepart so that it is in conformance". An unassigned code point
    // (RFC 7622 §3.4): control characters cannot even be written in XML.
    out.push(
        match login(t, 0, |c| c.resource("bad\u{378}resource").sasl2(false)).await {
            Err(e) if e.contains("bad-request") => report(
                "bind-malformed",
                "RFC 6120 §7.7.2.1",
                "SHOULD",
                Outcome::Warn,
                format!("refused with bad-request ({e}) rather than made conformant"),
            ),
            Err(e) => report(
                "bind-malformed",
                "RFC 6120 §7.7.2.1",
                "SHOULD",
                Outcome::Fail,
                e,
            ),
            Ok(l) => {
                let conformant = !l.jid.as_str().contains('\u{378}');
                let r = report(
                    "bind-malformed",
                    "RFC 6120 §7.7.2.1",
                    "SHOULD",
                    if conformant {
                        Outcome::Pass
                    } else {
                        Outcome::Fail
                    },
                    format!("bound {}", l.jid.as_str()),
                );
                l.close().await;
                r
            }
        },
    );
}
