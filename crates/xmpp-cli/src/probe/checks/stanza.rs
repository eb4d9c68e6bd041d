//! Suite `stanza`, between two logged-in clients: RFC 6120 §8 (`from`
//! stamping, `xml:lang`, iq and error rules) and the delivery rules of
//! RFC 6121 §8.5, then the raw stanza checks of [`crate::probe::phases`].

use std::time::Duration;

use xmpp_jid::{FullJid, Jid};
use xmpp_stanza::{
    DefinedCondition, Element, Iq, IqType, Message, MessageType, PING_NS, Presence, PresenceType,
    Stanza, StanzaNs,
};

use super::{QUIET, login, pass_if, report};
use crate::probe::{Outcome, Report, Target};

pub(super) async fn stanza_suite(t: &Target, out: &mut Vec<Report>) {
    let (a, b) = match (login(t, 0, |c| c).await, login(t, 1, |c| c).await) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            out.push(report(
                "stanza-login",
                "RFC 6120 §8",
                "MUST",
                Outcome::Skip,
                format!("cannot log in: {e}"),
            ));
            return;
        }
    };
    let (mut a, mut b) = (a, b);
    let presence = Stanza::Presence(Presence::new(StanzaNs::Client, PresenceType::Available));
    a.session.send(presence.clone()).await;
    b.session.send(presence).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Full JID routing and from stamping (RFC 6120 §8.1.2.1, §10.5).
    let mut m = Message::chat(StanzaNs::Client, b.jid.clone().into(), "probe: full");
    m.header.from = Jid::new(&format!("mallory@{}/x", t.domain)).ok();
    a.session.send(Stanza::Message(m)).await;
    let got = b
        .expect(|s| (body(s).as_deref() == Some("probe: full")).then(|| s.header().from.clone()))
        .await;
    // Undelivered: did the server close the sender's stream instead?
    let closed = match got {
        Some(_) => None,
        None => a.stream_error(QUIET).await,
    };
    let (outcome, detail) = forged_from_outcome(got.as_ref(), &a.jid, closed.as_deref());
    out.push(report(
        "stanza-from-stamped",
        "RFC 6120 §8.1.2.1",
        "MUST",
        outcome,
        detail,
    ));
    if closed.is_some() {
        // The remaining checks need a live sender.
        a = match login(t, 0, |c| c).await {
            Ok(l) => l,
            Err(e) => {
                out.push(report(
                    "stanza-login",
                    "RFC 6120 §8",
                    "MUST",
                    Outcome::Skip,
                    format!("cannot log in again: {e}"),
                ));
                return;
            }
        };
        let presence = Presence::new(StanzaNs::Client, PresenceType::Available);
        a.session.send(Stanza::Presence(presence)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Bare JID routing (RFC 6121 §8.5.2.1).
    let bare: Jid = b.jid.as_jid().to_bare().into();
    a.session
        .send(Stanza::Message(Message::chat(
            StanzaNs::Client,
            bare.clone(),
            "probe: bare",
        )))
        .await;
    let got = b
        .expect(|s| (body(s).as_deref() == Some("probe: bare")).then_some(()))
        .await;
    out.push(report(
        "stanza-route-bare",
        "RFC 6121 §8.5.2.1",
        "MUST",
        if got.is_some() {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        if got.is_some() {
            "delivered to the available resource"
        } else {
            "not delivered"
        },
    ));
    // Full JID routing (RFC 6121 §8.5.3.1), the stanza as sent, and its
    // xml:lang kept on delivery (RFC 6120 §8.1.5).
    let mut m = Message::chat(StanzaNs::Client, b.jid.clone().into(), "probe: full jid");
    m.header.lang = Some("de".into());
    a.session.send(Stanza::Message(m)).await;
    let got = b
        .expect(|s| {
            (body(s).as_deref() == Some("probe: full jid"))
                .then(|| s.header().lang.as_ref().map(|l| l.to_string()))
        })
        .await;
    out.push(report(
        "stanza-route-full",
        "RFC 6121 §8.5.3.1",
        "MUST",
        pass_if(got.is_some()),
        if got.is_some() {
            "delivered to the full JID"
        } else {
            "not delivered to the full JID"
        },
    ));
    let (outcome, detail) = lang_kept_outcome(got.as_ref());
    out.push(report(
        "stanza-lang-kept",
        "RFC 6120 §8.1.5",
        "MUST",
        outcome,
        detail,
    ));
    // A stanza without xml:lang, from a stream whose header said 'de':
    // the server SHOULD add 'de' on delivery (RFC 6120 §4.7.4).
    let added = match login(t, 0, |c| c.lang("de")).await {
        Ok(de) => {
            let m = Message::chat(StanzaNs::Client, b.jid.clone().into(), "probe: lang added");
            de.session.send(Stanza::Message(m)).await;
            let got = b
                .expect(|s| {
                    (body(s).as_deref() == Some("probe: lang added"))
                        .then(|| s.header().lang.as_ref().map(|l| l.to_string()))
                })
                .await;
            de.close().await;
            Ok(got)
        }
        Err(e) => Err(format!("cannot log in with xml:lang='de': {e}")),
    };
    let (outcome, detail) = lang_added_outcome(&added);
    out.push(report(
        "stanza-lang-added",
        "RFC 6120 §4.7.4",
        "SHOULD",
        outcome,
        detail,
    ));
    // An iq to a resource of the other account that does not exist (RFC
    // 6121 §8.5.3.2.3): the server answers service-unavailable.
    if let Ok(nowhere) = Jid::new(&format!("{bare}/probe-no-such-resource")) {
        let iq = Iq::get(
            StanzaNs::Client,
            "probe-no-resource",
            Element::new("ping", PING_NS),
        )
        .with_to(nowhere);
        a.session.send(Stanza::Iq(iq)).await;
        let answer = a
            .expect(|s| match s {
                Stanza::Iq(i) if i.id() == "probe-no-resource" => {
                    Some((i.type_, i.error().and_then(Result::ok).map(|e| e.condition)))
                }
                _ => None,
            })
            .await;
        let (outcome, detail) = unknown_resource_outcome(answer);
        out.push(report(
            "stanza-unknown-resource",
            "RFC 6121 §8.5.3.2.3",
            "MUST",
            outcome,
            detail,
        ));
    }
    // Unknown user (RFC 6121 §8.5.2.2): service-unavailable, same id.
    let to = Jid::new(&format!("no-such-user-4b1d@{}", t.domain)).ok();
    if let Some(to) = to {
        let m = Message::chat(StanzaNs::Client, to, "probe: nobody").with_id("probe-nobody");
        a.session.send(Stanza::Message(m)).await;
        let err = a
            .expect(|s| match s {
                Stanza::Message(m) if m.kind() == MessageType::Error => Some((
                    m.header.id.as_deref().map(str::to_owned),
                    m.error().and_then(Result::ok).map(|e| e.condition),
                )),
                _ => None,
            })
            .await;
        out.push(match err {
            Some((id, Some(DefinedCondition::ServiceUnavailable))) => report(
                "stanza-unknown-user",
                "RFC 6121 §8.5.2.2.1",
                "SHOULD",
                if id.as_deref() == Some("probe-nobody") {
                    Outcome::Pass
                } else {
                    Outcome::Warn
                },
                format!("service-unavailable, id {id:?}"),
            ),
            Some((_, c)) => report(
                "stanza-unknown-user",
                "RFC 6121 §8.5.2.2.1",
                "SHOULD",
                Outcome::Warn,
                format!("error {c:?}"),
            ),
            None => report(
                "stanza-unknown-user",
                "RFC 6121 §8.5.2.2.1",
                "SHOULD",
                Outcome::Warn,
                "no error (stored offline?)",
            ),
        });
    }
    // An iq with no payload (RFC 6120 §8.2.3): bad-request, id kept.
    let mut iq = Iq::get(
        StanzaNs::Client,
        "probe-empty",
        Element::new("ping", PING_NS),
    );
    iq.nodes.clear();
    a.session.send(Stanza::Iq(iq)).await;
    let err = a
        .expect(|s| match s {
            Stanza::Iq(i) if i.id() == "probe-empty" => {
                Some((i.type_, i.error().and_then(Result::ok).map(|e| e.condition)))
            }
            _ => None,
        })
        .await;
    out.push(match err {
        Some((IqType::Error, Some(DefinedCondition::BadRequest))) => report(
            "iq-no-payload",
            "RFC 6120 §8.2.3",
            "MUST",
            Outcome::Pass,
            "bad-request with the same id",
        ),
        Some((IqType::Error, c)) => report(
            "iq-no-payload",
            "RFC 6120 §8.2.3",
            "MUST",
            Outcome::Warn,
            format!("error {c:?}"),
        ),
        Some((t, _)) => report(
            "iq-no-payload",
            "RFC 6120 §8.2.3",
            "MUST",
            Outcome::Fail,
            format!("answered with type {}", t.as_str()),
        ),
        None => report(
            "iq-no-payload",
            "RFC 6120 §8.2.3",
            "MUST",
            Outcome::Fail,
            "no answer",
        ),
    });
    // Ping (XEP-0199), an answer to every iq get.
    a.session
        .send(Stanza::Iq(Iq::get(
            StanzaNs::Client,
            "probe-ping",
            Element::new("ping", PING_NS),
        )))
        .await;
    let pong = a
        .expect(|s| match s {
            Stanza::Iq(i) if i.id() == "probe-ping" => Some(i.type_),
            _ => None,
        })
        .await;
    out.push(report(
        "iq-answered",
        "RFC 6120 §8.2.3",
        "MUST",
        if pong.is_some() {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        match pong {
            Some(t) => format!("answered with type {}", t.as_str()),
            None => "no answer to an iq get".into(),
        },
    ));
    // An iq result is never answered (§8.2.3).
    let mut result = Iq::get(
        StanzaNs::Client,
        "probe-result",
        Element::new("ping", PING_NS),
    );
    result.type_ = IqType::Result;
    result.nodes.clear();
    a.session.send(Stanza::Iq(result)).await;
    let quiet = a
        .nothing(
            Duration::from_millis(1500),
            |s| matches!(s, Stanza::Iq(i) if i.id() == "probe-result"),
        )
        .await;
    out.push(report(
        "iq-result-unanswered",
        "RFC 6120 §8.2.3",
        "MUST",
        if quiet { Outcome::Pass } else { Outcome::Fail },
        if quiet {
            "no reply"
        } else {
            "the server answered an iq result"
        },
    ));
    a.close().await;
    b.close().await;
    crate::probe::phases::stanza_checks(t, out).await;
}

/// The outcome of the forged-from check: the stanza reached the
/// recipient from `from` (`delivered`), or it did not and the sender's
/// stream was closed with `closed`. RFC 6120 §8.1.2.1 has the server stamp
/// the sender's full JID; a server that instead closes the stream with
/// `<invalid-from/>` (§4.9.3.10: the 'from' "does not match an authorized
/// JID ... negotiated ... via SASL authentication and resource binding")
/// reads the RFC differently, which is a warning.
fn forged_from_outcome(
    delivered: Option<&Option<Jid>>,
    sender: &FullJid,
    closed: Option<&str>,
) -> (Outcome, String) {
    match (delivered, closed) {
        (Some(from), _) => {
            let stamped = from.as_ref().map(Jid::as_str) == Some(sender.as_str());
            (
                if stamped {
                    Outcome::Pass
                } else {
                    Outcome::Fail
                },
                format!(
                    "delivered from {:?} (a forged from was sent)",
                    from.as_ref().map(Jid::as_str)
                ),
            )
        }
        (None, Some("invalid-from")) => (
            Outcome::Warn,
            "closed the sender's stream with <invalid-from/> (RFC 6120 §4.9.3.10) \
             rather than stamping its full JID"
                .to_owned(),
        ),
        (None, Some(c)) => (
            Outcome::Fail,
            format!("closed the sender's stream with <{c}/>"),
        ),
        (None, None) => (Outcome::Fail, "not delivered to the full JID".to_owned()),
    }
}

fn body(s: &Stanza) -> Option<String> {
    match s {
        Stanza::Message(m) => m.body(None).map(|b| b.into_owned()),
        _ => None,
    }
}

/// RFC 6120 §8.1.5: "A server MUST NOT modify or delete 'xml:lang'
/// attributes on stanzas it receives from other entities": the message
/// sent with 'de' arrives with 'de' (`delivered`: the language it came
/// with, if it came).
fn lang_kept_outcome(delivered: Option<&Option<String>>) -> (Outcome, String) {
    match delivered {
        Some(Some(l)) if l == "de" => (Outcome::Pass, "xml:lang='de' kept".to_owned()),
        Some(l) => (
            Outcome::Fail,
            format!("sent with xml:lang='de', delivered with {l:?}"),
        ),
        None => (
            Outcome::Skip,
            "not delivered (see stanza-route-full)".to_owned(),
        ),
    }
}

/// RFC 6120 §4.7.4: "If the initiating entity does not include the
/// 'xml:lang' attribute in any such stanza, the receiving entity SHOULD
/// add the 'xml:lang' attribute to the stanza when ... delivering it to a
/// connected client, where the value of the attribute MUST be the
/// identifier for the language preferred by the initiating entity": the
/// sender's stream said 'de', its message had no xml:lang (`delivered`:
/// the language it arrived with, if it arrived).
fn lang_added_outcome(delivered: &Result<Option<Option<String>>, String>) -> (Outcome, String) {
    match delivered {
        Ok(Some(Some(l))) if l == "de" => (
            Outcome::Pass,
            "delivered with the sender's stream language 'de'".to_owned(),
        ),
        Ok(Some(l)) => (
            Outcome::Warn,
            format!("the sender's stream said 'de', the message arrived with xml:lang {l:?}"),
        ),
        Ok(None) => (
            Outcome::Skip,
            "not delivered (see stanza-route-full)".to_owned(),
        ),
        Err(e) => (Outcome::Skip, e.clone()),
    }
}

/// RFC 6121 §8.5.3.2.3: an iq to a full JID with no such resource gets
/// `<service-unavailable/>` from the server.
fn unknown_resource_outcome(
    answer: Option<(IqType, Option<DefinedCondition>)>,
) -> (Outcome, String) {
    match answer {
        Some((IqType::Error, Some(DefinedCondition::ServiceUnavailable))) => {
            (Outcome::Pass, "service-unavailable".to_owned())
        }
        Some((IqType::Error, c)) => (
            Outcome::Warn,
            format!(
                "error {}, RFC 6121 names service-unavailable",
                c.as_ref()
                    .map_or("without a condition", DefinedCondition::as_str)
            ),
        ),
        Some((t, _)) => (Outcome::Fail, format!("answered with type {}", t.as_str())),
        None => (Outcome::Fail, "no answer".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_arrives_as_sent() {
        assert_eq!(lang_kept_outcome(Some(&Some("de".into()))).0, Outcome::Pass);
        assert_eq!(lang_kept_outcome(Some(&Some("en".into()))).0, Outcome::Fail);
        assert_eq!(lang_kept_outcome(Some(&None)).0, Outcome::Fail);
        assert_eq!(lang_kept_outcome(None).0, Outcome::Skip);
    }

    #[test]
    fn a_stanza_without_a_language_gets_the_streams() {
        let arrived = |l: Option<&str>| Ok(Some(l.map(str::to_owned)));
        assert_eq!(lang_added_outcome(&arrived(Some("de"))).0, Outcome::Pass);
        assert_eq!(lang_added_outcome(&arrived(Some("en"))).0, Outcome::Warn);
        assert_eq!(lang_added_outcome(&arrived(None)).0, Outcome::Warn);
        assert_eq!(lang_added_outcome(&Ok(None)).0, Outcome::Skip);
        assert_eq!(lang_added_outcome(&Err("no login".into())).0, Outcome::Skip);
    }

    #[test]
    fn an_iq_to_no_such_resource_is_service_unavailable() {
        let error = |c| Some((IqType::Error, c));
        assert_eq!(
            unknown_resource_outcome(error(Some(DefinedCondition::ServiceUnavailable))).0,
            Outcome::Pass
        );
        assert_eq!(
            unknown_resource_outcome(error(Some(DefinedCondition::ItemNotFound))).0,
            Outcome::Warn
        );
        assert_eq!(unknown_resource_outcome(error(None)).0, Outcome::Warn);
        assert_eq!(
            unknown_resource_outcome(Some((IqType::Result, None))).0,
            Outcome::Fail
        );
        assert_eq!(unknown_resource_outcome(None).0, Outcome::Fail);
    }

    #[test]
    fn a_forged_from_refused_with_invalid_from_is_a_warning() {
        let sender = FullJid::new("a@example.test/r").unwrap();
        let stamped = Some(Jid::new("a@example.test/r").unwrap());
        let forged = Some(Jid::new("mallory@example.test/x").unwrap());
        assert_eq!(
            forged_from_outcome(Some(&stamped), &sender, None).0,
            Outcome::Pass
        );
        assert_eq!(
            forged_from_outcome(Some(&forged), &sender, None).0,
            Outcome::Fail
        );
        // ejabberd 23.01 (xmpp 1.6.1 xmpp_stream_in:set_from_to/2).
        let (outcome, detail) = forged_from_outcome(None, &sender, Some("invalid-from"));
        assert_eq!(outcome, Outcome::Warn, "{detail}");
        assert_eq!(
            forged_from_outcome(None, &sender, Some("internal-server-error")).0,
            Outcome::Fail
        );
        assert_eq!(forged_from_outcome(None, &sender, None).0, Outcome::Fail);
    }
}
