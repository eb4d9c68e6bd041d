//! Suite `sm`: XEP-0198 stream management (enable, ack, resume).

use xmpp_jid::Jid;
use xmpp_session::{ClientEvent, SmConfig};
use xmpp_stanza::{DefinedCondition, Message, Stanza, StanzaNs};
use xmpp_tokio::{ClientSessionEvent, ConnectOptions};

use super::{STEP, login, next_event, report};
use crate::probe::{Outcome, Report, Target};

pub(super) async fn sm_suite(t: &Target, out: &mut Vec<Report>) {
    sm_enable_ack_resume(t, out).await;
    sm_resume_unknown(t, out).await;
    crate::probe::phases::sm_order(t, out).await;
    crate::probe::phases::sm_failed_h(t, out).await;
}

async fn sm_enable_ack_resume(t: &Target, out: &mut Vec<Report>) {
    let mut sm = SmConfig::default();
    sm.ack_every = 1000;
    let l = login(t, 0, |c| c.sm(sm).sasl2(false)).await;
    let mut l = match l {
        Ok(l) => l,
        Err(e) => {
            out.push(report(
                "sm-enable",
                "XEP-0198 §3",
                "MAY",
                Outcome::Skip,
                format!("cannot log in: {e}"),
            ));
            return;
        }
    };
    // Enabled?
    let enabled = next_event(&mut l.session, |e| match e {
        ClientSessionEvent::Session(ClientEvent::SmEnabled { resumable }) => Some(resumable),
        _ => None,
    })
    .await;
    let Some(resumable) = enabled else {
        out.push(report(
            "sm-enable",
            "XEP-0198 §3",
            "MAY",
            Outcome::Skip,
            "stream management not offered",
        ));
        l.close().await;
        return;
    };
    out.push(report(
        "sm-enable",
        "XEP-0198 §3",
        "MAY",
        Outcome::Pass,
        format!("enabled, resumable: {resumable}"),
    ));
    // Acks count exactly (§4).
    for n in 0..5 {
        let to: Jid = l.jid.as_jid().to_bare().into();
        let m = Message::chat(StanzaNs::Client, to, &format!("probe ack {n}"));
        l.session.send(Stanza::Message(m)).await;
    }
    l.session.request_ack().await;
    let mut acked = 0usize;
    next_event(&mut l.session, |e| {
        if let ClientSessionEvent::Session(ClientEvent::Acked(v)) = e {
            acked += v.len();
        }
        (acked >= 5).then_some(())
    })
    .await;
    out.push(report(
        "sm-ack-count",
        "XEP-0198 §4",
        "MUST",
        if acked == 5 {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        format!("{acked} of 5 stanzas acknowledged"),
    ));
    if !resumable {
        out.push(report(
            "sm-resume",
            "XEP-0198 §5",
            "MAY",
            Outcome::Skip,
            "resumption not offered",
        ));
        l.close().await;
        return;
    }
    // Resumption after a cut (§5).
    l.session.abort().await;
    let state = next_event(&mut l.session, |e| match e {
        ClientSessionEvent::Resumable(s) => Some(s),
        _ => None,
    })
    .await;
    let Some(state) = state else {
        out.push(report(
            "sm-resume",
            "XEP-0198 §5",
            "MAY",
            Outcome::Fail,
            "no resumption state after the cut",
        ));
        return;
    };
    let config = match t.config(0) {
        Ok(c) => c.sm(sm).sasl2(false).resume(state),
        Err(e) => {
            out.push(report("sm-resume", "XEP-0198 §5", "MAY", Outcome::Fail, e));
            return;
        }
    };
    let mut session =
        match xmpp_tokio::connect(ConnectOptions::new(config, t.server.clone(), t.trust())).await {
            Ok(s) => s,
            Err(e) => {
                out.push(report(
                    "sm-resume",
                    "XEP-0198 §5",
                    "MAY",
                    Outcome::Fail,
                    e.to_string(),
                ));
                return;
            }
        };
    let resumed = tokio::time::timeout(STEP, async {
        while let Some(e) = session.next_event().await {
            match e {
                ClientSessionEvent::Session(ClientEvent::Resumed { jid, .. }) => return Ok(jid),
                ClientSessionEvent::Session(ClientEvent::ResumeFailed { .. }) => {
                    return Err("resumption refused".to_owned());
                }
                ClientSessionEvent::Failed(e) => return Err(e.to_string()),
                _ => {}
            }
        }
        Err("closed".to_owned())
    })
    .await
    .unwrap_or_else(|_| Err("timed out".into()));
    out.push(match resumed {
        Ok(jid) => report(
            "sm-resume",
            "XEP-0198 §5",
            "MAY",
            Outcome::Pass,
            format!("resumed {}", jid.as_str()),
        ),
        Err(e) => report("sm-resume", "XEP-0198 §5", "MAY", Outcome::Fail, e),
    });
    session.close().await;
}

/// XEP-0198 §5: a `<resume/>` naming an SM-ID the server never issued
/// MUST get `<failed/>` (and the client binds afresh).
async fn sm_resume_unknown(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sm-resume-unknown";
    const SECTION: &str = "XEP-0198 §5";
    // A real state from a cut session, with its SM-ID replaced.
    let state = async {
        let mut l = login(t, 1, |c| c.sm(SmConfig::default()).sasl2(false)).await?;
        let resumable = next_event(&mut l.session, |e| match e {
            ClientSessionEvent::Session(ClientEvent::SmEnabled { resumable }) => Some(resumable),
            _ => None,
        })
        .await
        .unwrap_or(false);
        if !resumable {
            l.close().await;
            return Err("resumption not offered".to_owned());
        }
        l.session.abort().await;
        let state = next_event(&mut l.session, |e| match e {
            ClientSessionEvent::Resumable(s) => Some(s),
            _ => None,
        })
        .await
        .ok_or("no resumption state after the cut")?;
        let mut json = serde_json::to_value(&state).map_err(|e| e.to_string())?;
        json["id"] = serde_json::Value::from("probe-unknown-sm-id");
        serde_json::from_value::<xmpp_session::ResumptionState>(json).map_err(|e| e.to_string())
    }
    .await;
    let state = match state {
        Ok(s) => s,
        Err(e) => {
            out.push(report(ID, SECTION, "MUST", Outcome::Skip, e));
            return;
        }
    };
    let config = match t.config(1) {
        Ok(c) => c.sm(SmConfig::default()).sasl2(false).resume(state),
        Err(e) => {
            out.push(report(ID, SECTION, "MUST", Outcome::Fail, e));
            return;
        }
    };
    let options = ConnectOptions::new(config, t.server.clone(), t.trust());
    let mut session = match xmpp_tokio::connect(options).await {
        Ok(s) => s,
        Err(e) => {
            out.push(report(ID, SECTION, "MUST", Outcome::Fail, e.to_string()));
            return;
        }
    };
    let answer = tokio::time::timeout(STEP, async {
        while let Some(e) = session.next_event().await {
            match e {
                ClientSessionEvent::Session(ClientEvent::ResumeFailed { condition, .. }) => {
                    return Ok(condition);
                }
                ClientSessionEvent::Session(ClientEvent::Resumed { .. }) => {
                    return Err("resumed a session it never issued".to_owned());
                }
                ClientSessionEvent::Failed(e) => return Err(e.to_string()),
                _ => {}
            }
        }
        Err("closed without an answer".to_owned())
    })
    .await
    .unwrap_or_else(|_| Err("no answer to <resume/>".to_owned()));
    const CONDITION: &str = "sm-resume-unknown-condition";
    match answer {
        Ok(condition) => {
            let named = condition
                .as_ref()
                .map_or("no condition", DefinedCondition::as_str);
            out.push(report(
                ID,
                SECTION,
                "MUST",
                Outcome::Pass,
                format!("<failed/> ({named}), then a new binding"),
            ));
            // §5: the <failed/> SHOULD say item-not-found.
            out.push(report(
                CONDITION,
                SECTION,
                "SHOULD",
                if condition == Some(DefinedCondition::ItemNotFound) {
                    Outcome::Pass
                } else {
                    Outcome::Warn
                },
                format!("<failed/> with {named}"),
            ));
        }
        Err(e) => {
            out.push(report(ID, SECTION, "MUST", Outcome::Fail, e));
            out.push(report(
                CONDITION,
                SECTION,
                "SHOULD",
                Outcome::Skip,
                "no <failed/>",
            ));
        }
    }
    session.close().await;
}
