//! XEP-0198 outside a bound stream, on raw connections: §3's order rule
//! (`<enable/>` before resource binding) and §5's `<failed/>` with `h`
//! for a session that timed out.

use std::time::Duration;

use xmpp_stanza::{SM_NS, Sm};

use super::super::{Outcome, Report, Target};
use super::{report, walk};

/// The resumption time the sm-failed-h check asks for, and the longest
/// it waits for a session to time out.
const SHORT_MAX: u32 = 2;
const LONGEST_WAIT: u32 = 5;

const ORDER_ID: &str = "sm-enable-before-bind";
const ORDER_SECTION: &str = "XEP-0198 §3";
const FAILED_H_ID: &str = "sm-failed-h";
const FAILED_H_SECTION: &str = "XEP-0198 §5";

/// XEP-0198 §3: "the client MUST NOT attempt to enable stream management
/// until after it has completed Resource Binding ... The server SHALL
/// enforce this order and return a `<failed/>` element".
pub(crate) async fn sm_order(t: &Target, out: &mut Vec<Report>) {
    let result = async {
        let mut w = walk(t).await?;
        let offered = w
            .opened
            .last()
            .is_some_and(|o| o.features.get_child("sm", SM_NS).is_some());
        if !offered {
            return Ok(None);
        }
        w.send(&format!("<enable xmlns='{SM_NS}' resume='true'/>"))
            .await;
        Ok::<_, String>(Some(w.sm_answer().await))
    }
    .await;
    out.push(report(
        ORDER_ID,
        ORDER_SECTION,
        "MUST",
        match result {
            Ok(Some(answer)) => order_outcome(&answer),
            Ok(None) => (
                Outcome::Skip,
                "stream management not offered after SASL".into(),
            ),
            Err(e) => (Outcome::Skip, format!("cannot log in on a raw stream: {e}")),
        },
    ));
}

pub(super) fn order_outcome(answer: &Result<Sm, String>) -> (Outcome, String) {
    match answer {
        Ok(Sm::Failed { condition, .. }) => (
            Outcome::Pass,
            format!(
                "<failed/> ({}) before binding",
                condition.as_ref().map_or("no condition", |c| c.as_str())
            ),
        ),
        Ok(Sm::Enabled { .. }) => (Outcome::Fail, "<enabled/> before resource binding".into()),
        Ok(other) => (Outcome::Fail, format!("answered {other:?}")),
        // §4 Error Handling: "misuse of stream management MAY result in
        // termination of the stream", but §3 names <failed/>.
        Err(e) if e.starts_with("the stream error") => {
            (Outcome::Warn, format!("{e} rather than <failed/>"))
        }
        Err(e) => (Outcome::Fail, e.clone()),
    }
}

/// XEP-0198 §5: "If the server recognizes the 'previd' as an earlier
/// session that has timed out the server MAY also include a 'h' attribute
/// indicating the number of stanzas received before the timeout". The
/// probe asks for a short resumption time, handles two stanzas, cuts the
/// connection, waits out the time and asks to resume. Skipped when the
/// server keeps sessions longer than the probe waits.
pub(crate) async fn sm_failed_h(t: &Target, out: &mut Vec<Report>) {
    let result = async {
        let mut w = walk(t).await?;
        w.stream.bind().await?;
        w.send(&format!(
            "<enable xmlns='{SM_NS}' resume='true' max='{SHORT_MAX}'/>"
        ))
        .await;
        let (id, max) = match w.sm_answer().await {
            Ok(Sm::Enabled {
                id: Some(id),
                resume: true,
                max,
                ..
            }) => (id, max),
            Ok(_) => return Ok(Err("resumption not offered".to_owned())),
            Err(e) => return Ok(Err(format!("stream management not enabled: {e}"))),
        };
        let max = max.unwrap_or(u32::MAX);
        if max > LONGEST_WAIT {
            return Ok(Err(format!(
                "the server keeps a session {max} s (asked for {SHORT_MAX}), \
                 longer than the probe waits"
            )));
        }
        // Two stanzas handled, and acknowledged as such.
        w.send(
            "<iq type='get' id='probe-h-1'><ping xmlns='urn:xmpp:ping'/></iq>\
             <iq type='get' id='probe-h-2'><ping xmlns='urn:xmpp:ping'/></iq>",
        )
        .await;
        let _ = w.iq_answer("probe-h-2").await;
        w.send(&format!("<r xmlns='{SM_NS}'/>")).await;
        let handled = match w.sm_answer().await {
            Ok(Sm::Ack { h }) => h,
            other => return Err(format!("no <a/> to <r/>: {other:?}")),
        };
        drop(w);
        tokio::time::sleep(Duration::from_secs(u64::from(max) + 2)).await;
        let mut again = walk(t).await?;
        again
            .send(&format!("<resume xmlns='{SM_NS}' previd='{id}' h='0'/>"))
            .await;
        Ok(Ok((again.sm_answer().await, handled)))
    }
    .await;
    out.push(report(
        FAILED_H_ID,
        FAILED_H_SECTION,
        "MAY",
        match result {
            Ok(Ok((answer, handled))) => failed_h_outcome(&answer, handled),
            Ok(Err(why)) => (Outcome::Skip, why),
            Err(e) => (Outcome::Skip, format!("cannot set up: {e}")),
        },
    ));
}

pub(super) fn failed_h_outcome(answer: &Result<Sm, String>, handled: u32) -> (Outcome, String) {
    match answer {
        Ok(Sm::Failed { h: Some(h), .. }) if *h == handled => (
            Outcome::Pass,
            format!("<failed h='{h}'/> for the timed-out session"),
        ),
        Ok(Sm::Failed { h: Some(h), .. }) => (
            Outcome::Fail,
            format!("<failed h='{h}'/>, but the server had acknowledged {handled}"),
        ),
        Ok(Sm::Failed { h: None, .. }) => (
            Outcome::Skip,
            "<failed/> without h for the timed-out session (the h is a MAY)".into(),
        ),
        Ok(Sm::Resumed { .. }) => (
            Outcome::Skip,
            "the session was still resumable after its max".into(),
        ),
        Ok(other) => (Outcome::Fail, format!("answered {other:?}")),
        Err(e) => (Outcome::Fail, format!("no <failed/> to <resume/>: {e}")),
    }
}
