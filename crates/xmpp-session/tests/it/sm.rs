//! XEP-0198: counting, acknowledgements, resumption, and the guarantee:
//! every stanza delivered exactly once and in order across cuts, or
//! handed back when the session cannot resume.

use proptest::prelude::*;
use xmpp_jid::Jid;
use xmpp_session::{ClientEvent, Error, ServerEvent, SmConfig};
use xmpp_stanza::{DefinedCondition, Message, Stanza, StanzaNs, StreamCondition};

use crate::pair::{PASSWORD, Pair};

fn body(s: &Stanza) -> String {
    match s {
        Stanza::Message(m) => m.body(None).map(|b| b.into_owned()).unwrap_or_default(),
        _ => String::new(),
    }
}

fn msg(to: &str, n: usize) -> Stanza {
    Stanza::Message(Message::chat(
        StanzaNs::Client,
        Jid::new(to).expect("jid"),
        &n.to_string(),
    ))
}

fn bound_pair() -> Pair {
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD),
        Pair::server_config(),
    );
    pair.drive();
    assert!(pair.bound_jid().is_some());
    pair
}

#[test]
fn acks_count_exactly() {
    let mut pair = bound_pair();
    for n in 0..12 {
        pair.client.send(msg("romeo@example.com", n)).expect("send");
    }
    pair.drive();
    // ack_every is 5: two requests went out by count, 10 acknowledged.
    let acked: usize = pair
        .client_events
        .iter()
        .map(|e| match e {
            ClientEvent::Acked(v) => v.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(acked, 10);
    pair.client.request_ack();
    pair.drive();
    let acked: Vec<String> = pair
        .client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Acked(v) => Some(v.iter().map(body)),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(acked, (0..12).map(|n| n.to_string()).collect::<Vec<_>>());
}

#[test]
fn an_ack_for_stanzas_never_sent_ends_the_stream() {
    let mut pair = bound_pair();
    let err = pair
        .server
        .handle_input(b"<a xmlns='urn:xmpp:sm:3' h='3'/>")
        .expect_err("too high");
    assert!(err.to_string().contains("handled-count-too-high"), "{err}");
    assert!(matches!(
        err,
        Error::HandledCountTooHigh {
            h: 3,
            send_count: 0
        }
    ));
    // XEP-0198 §4: the client reads `undefined-condition` with the
    // application condition naming both counts.
    pair.drive();
    let Some(e) = pair.client_events.iter().find_map(|e| match e {
        ClientEvent::StreamError(e) => Some(e),
        _ => None,
    }) else {
        panic!("{:?}", pair.client_events);
    };
    assert_eq!(e.condition, StreamCondition::UndefinedCondition);
    let app = e.app.as_ref().expect("application condition");
    assert!(app.is("handled-count-too-high", "urn:xmpp:sm:3"), "{app:?}");
    assert_eq!(
        (app.attr("h"), app.attr("send-count")),
        (Some("3"), Some("0"))
    );
}

#[test]
fn resumption_resends_what_was_not_acknowledged() {
    resumption_resends(true);
    resumption_resends(false);
}

/// Over SASL2 (resumption inline in `<authenticate/>`) or RFC 6120 SASL
/// (`<resume/>` after the restart).
fn resumption_resends(sasl2: bool) {
    let config = Pair::client_config("juliet", PASSWORD).sasl2(sasl2);
    let mut pair = Pair::new(config, Pair::server_config());
    pair.drive();
    let jid = pair.bound_jid().expect("bound");
    for n in 0..3 {
        pair.server.send(msg(&jid, n)).expect("send");
    }
    pair.drive();
    // Two more, lost with the connection.
    pair.server.send(msg(&jid, 3)).expect("send");
    pair.server.send(msg(&jid, 4)).expect("send");
    pair.client
        .send(msg("romeo@example.com", 100))
        .expect("send");
    pair.cut();
    assert!(
        pair.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Closed { resumable: true }))
    );
    let mut server_state = pair.server.take_resumption_state().expect("server state");
    let mut client_state = pair.client.take_resumption_state().expect("client state");
    assert_eq!(server_state.id(), client_state.id());
    // One more each way, handed over after the cut: sent after the resend.
    server_state.push_unsent(&msg(&jid, 5));
    client_state.push_unsent(&msg("romeo@example.com", 101));

    let config = Pair::client_config("juliet", PASSWORD).resume(client_state);
    let mut next = Pair::new(config, Pair::server_config());
    next.sessions
        .insert(server_state.id().to_owned(), server_state);
    next.drive();
    assert_eq!(next.client_error, None);
    let resumed = next.client_events.iter().find_map(|e| match e {
        ClientEvent::Resumed { jid, resent } => Some((jid.as_str().to_owned(), *resent)),
        _ => None,
    });
    assert_eq!(
        resumed,
        Some((jid.clone(), 2)),
        "the client's lost and unsent messages are sent"
    );
    let got: Vec<String> = next.client_stanzas().into_iter().map(body).collect();
    assert_eq!(
        got,
        ["3", "4", "5"],
        "the server's lost messages arrive once"
    );
    let got: Vec<String> = next.server_stanzas().into_iter().map(body).collect();
    assert_eq!(got, ["100", "101"]);
}

#[test]
fn resumption_state_survives_json() {
    let mut pair = bound_pair();
    pair.client.send(msg("romeo@example.com", 9)).expect("send");
    pair.cut();
    let state = pair.server.take_resumption_state().expect("state");
    let json = serde_json::to_string(&state).expect("serialize");
    let back: xmpp_session::ResumptionState = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, state);
    assert_eq!(back.id(), state.id());
}

#[test]
fn a_refused_resumption_hands_back_the_unacknowledged() {
    let mut pair = bound_pair();
    pair.client.send(msg("romeo@example.com", 7)).expect("send");
    pair.cut();
    let state = pair.client.take_resumption_state().expect("state");
    let config = Pair::client_config("juliet", PASSWORD).resume(state);
    let mut next = Pair::new(config, Pair::server_config());
    next.drive();
    let unacked = next.client_events.iter().find_map(|e| match e {
        ClientEvent::ResumeFailed { unacked, .. } => {
            Some(unacked.iter().map(body).collect::<Vec<_>>())
        }
        _ => None,
    });
    assert_eq!(unacked, Some(vec!["7".to_owned()]));
    // XEP-0198 §5: an unknown SM-ID is item-not-found.
    let condition = next.client_events.iter().find_map(|e| match e {
        ClientEvent::ResumeFailed { condition, .. } => Some(condition.clone()),
        _ => None,
    });
    assert_eq!(condition, Some(Some(DefinedCondition::ItemNotFound)));
    assert!(
        next.bound_jid().is_some(),
        "a new resource is bound instead"
    );
}

/// XEP-0198 §5: a server that knew the session says with `h` how many of
/// the client's stanzas it handled, and the client hands back only the
/// others.
#[test]
fn a_timed_out_resumption_hands_back_only_what_never_arrived() {
    for sasl2 in [false, true] {
        let config = Pair::client_config("juliet", PASSWORD).sasl2(sasl2);
        let mut pair = Pair::new(config, Pair::server_config());
        pair.drive();
        pair.client.send(msg("romeo@example.com", 1)).expect("send");
        pair.client.send(msg("romeo@example.com", 2)).expect("send");
        pair.drive();
        // Never sent: the connection goes first.
        pair.client.send(msg("romeo@example.com", 3)).expect("send");
        pair.cut();
        let server_state = pair.server.take_resumption_state().expect("server state");
        let client_state = pair.client.take_resumption_state().expect("client state");
        assert_eq!(server_state.handled(), 2);
        assert_eq!(
            client_state.unacked_stanzas().len(),
            3,
            "nothing acknowledged yet"
        );
        let config = Pair::client_config("juliet", PASSWORD)
            .sasl2(sasl2)
            .resume(client_state);
        let mut next = Pair::new(config, Pair::server_config());
        next.timed_out
            .insert(server_state.id().to_owned(), server_state.handled());
        next.drive();
        let failed = next.client_events.iter().find_map(|e| match e {
            ClientEvent::ResumeFailed { unacked, condition } => Some((
                unacked.iter().map(body).collect::<Vec<_>>(),
                condition.clone(),
            )),
            _ => None,
        });
        assert_eq!(
            failed,
            Some((vec!["3".to_owned()], Some(DefinedCondition::ItemNotFound))),
            "sasl2 {sasl2}"
        );
        assert!(next.bound_jid().is_some(), "a new resource is bound");
    }
}

#[test]
fn a_clean_close_hands_the_server_its_undelivered_stanzas() {
    let mut pair = bound_pair();
    let jid = pair.bound_jid().expect("bound");
    pair.server.send(msg(&jid, 1)).expect("send");
    // The client closes before acknowledging.
    pair.client.close().expect("close");
    pair.drive();
    let undelivered = pair.server_events.iter().find_map(|e| match e {
        ServerEvent::Undelivered(v) => Some(v.iter().map(body).collect::<Vec<_>>()),
        _ => None,
    });
    assert_eq!(undelivered, Some(vec!["1".to_owned()]));
    assert!(pair.server.take_resumption_state().is_none());
}

#[test]
fn without_sm_nothing_is_counted() {
    let config = Pair::client_config("juliet", PASSWORD).sm(SmConfig::off());
    let mut pair = Pair::new(config, Pair::server_config());
    pair.drive();
    pair.client.send(msg("romeo@example.com", 1)).expect("send");
    pair.cut();
    assert!(pair.client.take_resumption_state().is_none());
}

/// One run of random traffic with cuts: every stanza sent either way is
/// delivered exactly once, in order.
fn exactly_once(ops: &[(u8, u8)]) {
    let mut pair = bound_pair();
    let mut jid = pair.bound_jid().expect("bound");
    let (mut to_server, mut to_client) = (0usize, 0usize);
    let mut got_server: Vec<String> = Vec::new();
    let mut got_client: Vec<String> = Vec::new();
    let collect = |pair: &mut Pair, s: &mut Vec<String>, c: &mut Vec<String>| {
        s.extend(pair.server_stanzas().into_iter().map(body));
        c.extend(pair.client_stanzas().into_iter().map(body));
        pair.server_events.clear();
        pair.client_events.clear();
    };
    for &(op, n) in ops {
        match op % 4 {
            0 => {
                for _ in 0..=n % 4 {
                    pair.client
                        .send(msg("romeo@example.com", to_server))
                        .expect("send");
                    to_server += 1;
                }
            }
            1 => {
                for _ in 0..=n % 4 {
                    pair.server.send(msg(&jid, to_client)).expect("send");
                    to_client += 1;
                }
            }
            2 => {
                // Deliver some rounds, not necessarily all.
                for _ in 0..=n % 3 {
                    pair.step();
                }
            }
            _ => {
                // Cut and resume.
                collect(&mut pair, &mut got_server, &mut got_client);
                pair.cut();
                let server_state = pair.server.take_resumption_state().expect("server state");
                let client_state = pair.client.take_resumption_state().expect("client state");
                let config = Pair::client_config("juliet", PASSWORD).resume(client_state);
                let mut next = Pair::new(config, Pair::server_config());
                next.sessions
                    .insert(server_state.id().to_owned(), server_state);
                next.drive();
                assert_eq!(next.client_error, None);
                pair = next;
                jid = pair.client.jid().expect("resumed").as_str().to_owned();
            }
        }
    }
    pair.drive();
    collect(&mut pair, &mut got_server, &mut got_client);
    let want = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
    assert_eq!(got_server, want(to_server), "client to server");
    assert_eq!(got_client, want(to_client), "server to client");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn every_stanza_exactly_once_across_cuts(ops in proptest::collection::vec((0u8..4, any::<u8>()), 0..40)) {
        exactly_once(&ops);
    }
}

/// Random traffic, then a cut after which resumption is refused: each
/// side hands back exactly the stanzas its peer never acknowledged
/// (XEP-0198 §5), and every stanza sent was delivered or handed back.
fn hands_back_exactly_the_unacknowledged(ops: &[(u8, u8)]) {
    let mut pair = bound_pair();
    let jid = pair.bound_jid().expect("bound");
    let (mut to_server, mut to_client) = (0usize, 0usize);
    for &(op, n) in ops {
        match op % 3 {
            0 => {
                for _ in 0..=n % 4 {
                    pair.client
                        .send(msg("romeo@example.com", to_server))
                        .expect("send");
                    to_server += 1;
                }
            }
            1 => {
                for _ in 0..=n % 4 {
                    pair.server.send(msg(&jid, to_client)).expect("send");
                    to_client += 1;
                }
            }
            _ => {
                for _ in 0..=n % 3 {
                    pair.step();
                }
            }
        }
    }
    pair.cut();
    let acked_by_server: Vec<String> = pair
        .client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Acked(v) => Some(v.iter().map(body)),
            _ => None,
        })
        .flatten()
        .collect();
    let acked_by_client: Vec<String> = pair
        .server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Acked(v) => Some(v.iter().map(body)),
            _ => None,
        })
        .flatten()
        .collect();
    let delivered_to_server: Vec<String> = pair.server_stanzas().into_iter().map(body).collect();
    let delivered_to_client: Vec<String> = pair.client_stanzas().into_iter().map(body).collect();

    // The server side's session expires: its state hands back the rest.
    let server_state = pair.server.take_resumption_state().expect("server state");
    let server_back: Vec<String> = server_state.unacked_stanzas().iter().map(body).collect();
    // The client comes back and is refused.
    let client_state = pair.client.take_resumption_state().expect("client state");
    let config = Pair::client_config("juliet", PASSWORD).resume(client_state);
    let mut next = Pair::new(config, Pair::server_config());
    next.drive();
    let client_back: Vec<String> = next
        .client_events
        .iter()
        .find_map(|e| match e {
            ClientEvent::ResumeFailed { unacked, .. } => Some(unacked.iter().map(body).collect()),
            _ => None,
        })
        .expect("resumption refused");

    let all = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
    let minus =
        |a: Vec<String>, b: &[String]| a.into_iter().filter(|x| !b.contains(x)).collect::<Vec<_>>();
    assert_eq!(
        client_back,
        minus(all(to_server), &acked_by_server),
        "client hands back"
    );
    assert_eq!(
        server_back,
        minus(all(to_client), &acked_by_client),
        "server hands back"
    );
    for s in all(to_server) {
        assert!(
            delivered_to_server.contains(&s) || client_back.contains(&s),
            "{s} lost"
        );
    }
    for s in all(to_client) {
        assert!(
            delivered_to_client.contains(&s) || server_back.contains(&s),
            "{s} lost"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn an_unresumed_session_hands_back_exactly_the_unacknowledged(
        ops in proptest::collection::vec((0u8..3, any::<u8>()), 0..40),
    ) {
        hands_back_exactly_the_unacknowledged(&ops);
    }
}

/// `can_send` says beforehand what `send` would refuse, so a driver can
/// hand the stanza back: before binding, and with as many stanzas
/// unacknowledged as `max_unacked` allows.
#[test]
fn can_send_tells_what_send_would_refuse() {
    let mut sm = SmConfig::default();
    sm.max_unacked = 2;
    sm.ack_every = u32::MAX;
    sm.ack_after = None;
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD),
        Pair::server_config().sm(sm),
    );
    assert!(matches!(pair.server.can_send(), Err(Error::WrongPhase(_))));
    assert!(matches!(pair.client.can_send(), Err(Error::WrongPhase(_))));
    pair.drive();
    assert_eq!(pair.client.can_send(), Ok(()));
    let jid = pair.bound_jid().expect("bound");
    for n in 0..2 {
        assert_eq!(pair.server.can_send(), Ok(()));
        pair.server.send(msg(&jid, n)).expect("send");
    }
    assert_eq!(pair.server.can_send(), Err(Error::QueueFull));
    assert_eq!(pair.server.send(msg(&jid, 2)), Err(Error::QueueFull));
    // An acknowledgement makes room again.
    pair.server.request_ack();
    pair.drive();
    assert_eq!(pair.server.can_send(), Ok(()));
}

/// XEP-0198 §3: `<enable/>` after SASL but before resource binding gets
/// `<failed/>` with `unexpected-request` ("The server SHALL enforce this
/// order"), and the stream goes on to bind.
#[test]
fn enable_before_binding_fails_and_the_stream_goes_on() {
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD).sasl2(false),
        Pair::server_config(),
    );
    // Up to <success/>: the server now waits for the restarted stream.
    while !pair
        .server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::Authenticated { .. }))
    {
        assert!(pair.step(), "stalled before authentication");
    }
    pair.server
        .handle_input(
            b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
              to='example.com' version='1.0'><enable xmlns='urn:xmpp:sm:3' resume='true'/>",
        )
        .expect("a refusal, not a stream error");
    let mut out = Vec::new();
    while let Some(t) = pair.server.poll_transmit() {
        out.extend_from_slice(&t);
    }
    let out = String::from_utf8_lossy(&out);
    assert!(
        out.contains("<failed xmlns='urn:xmpp:sm:3'><unexpected-request"),
        "{out}"
    );
    assert!(
        !out.contains("stream:error") && !pair.server.is_closed(),
        "{out}"
    );
    pair.server
        .handle_input(
            b"<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
        )
        .expect("bind after the refusal");
    assert!(
        std::iter::from_fn(|| pair.server.poll_event())
            .any(|e| matches!(e, ServerEvent::BindRequest { .. }))
    );
}

/// `max_unacked_bytes`: the server's queue is bounded by the bytes the
/// routed stanzas came in as, not only by their count.
#[test]
fn unacknowledged_bytes_bound_the_queue() {
    let mut sm = SmConfig::default();
    sm.max_unacked_bytes = 3_000;
    sm.ack_every = u32::MAX;
    sm.ack_after = None;
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD),
        Pair::server_config().sm(sm),
    );
    pair.drive();
    let jid = pair.bound_jid().expect("bound");
    // A 1,000-byte body, read by the server as its client sent it.
    let big = "x".repeat(1_000);
    pair.client
        .send(Stanza::Message(Message::chat(
            StanzaNs::Client,
            Jid::new(&jid).expect("jid"),
            &big,
        )))
        .expect("send");
    pair.drive();
    let routed = pair
        .server_events
        .drain(..)
        .find_map(|e| match e {
            ServerEvent::Stanza(s) => Some(s),
            _ => None,
        })
        .expect("the server read it");
    // Three of them fill 3,000 bytes; a small one built by the
    // application weighs nothing, so it is refused too only for the bytes.
    for _ in 0..3 {
        assert_eq!(pair.server.can_send(), Ok(()));
        pair.server.send(routed.clone()).expect("send");
    }
    assert_eq!(pair.server.can_send(), Err(Error::QueueFull));
    assert_eq!(pair.server.send(msg(&jid, 0)), Err(Error::QueueFull));
    // An acknowledgement gives the bytes back.
    pair.server.request_ack();
    pair.drive();
    assert_eq!(pair.server.can_send(), Ok(()));
}

/// `ack_timeout`: an `<r/>` that no `<a/>` answers ends the stream with
/// `connection-timeout`, resumable, while traffic goes on; an answer in
/// time keeps it.
#[test]
fn an_unanswered_request_times_the_stream_out() {
    let mut sm = SmConfig::default();
    sm.ack_timeout = Some(std::time::Duration::from_secs(60));
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD),
        Pair::server_config().sm(sm),
    );
    pair.drive();
    let start = pair.now.as_millis();
    let at = |s: u64| xmpp_session::Instant::from_millis(start + s * 1_000);
    // Answered: nothing happens.
    pair.server.request_ack();
    pair.drive();
    pair.server
        .handle_timeout(at(61))
        .expect("answered in time");
    // Unanswered (the client's input is dropped), while the client keeps
    // sending white space. The machine's clock says 61 s when the request
    // goes out at 100 s: it asks for a tick at once and dates the request
    // then, never earlier.
    pair.server.request_ack();
    while pair.server.poll_transmit().is_some() {}
    assert_eq!(pair.server.poll_timeout(), Some(at(61)));
    pair.server.handle_timeout(at(100)).expect("dated");
    pair.server.handle_input(b" ").expect("white space");
    pair.server.handle_timeout(at(159)).expect("not yet");
    assert_eq!(pair.server.poll_timeout(), Some(at(160)));
    assert_eq!(pair.server.handle_timeout(at(160)), Err(Error::Timeout));
    let mut out = Vec::new();
    while let Some(t) = pair.server.poll_transmit() {
        out.extend(t);
    }
    assert!(
        String::from_utf8_lossy(&out).contains("<connection-timeout"),
        "{out:?}"
    );
    let mut closed = None;
    while let Some(e) = pair.server.poll_event() {
        if let ServerEvent::Closed { resumable } = e {
            closed = Some(resumable);
        }
    }
    assert_eq!(closed, Some(true), "its stanzas stay resumable");
}

/// A stanza error the machine sends on its own (an invalid stanza's
/// answer) is a stanza the peer counts (XEP-0198 §4): it must be counted
/// on the sending side too, or the peer's next `<a/>` looks too high and
/// ends the stream. An iq get without a payload is invalid (RFC 6120
/// §8.2.3).
#[test]
fn the_servers_error_replies_are_counted() {
    let mut pair = bound_pair();
    pair.server
        .handle_input(b"<iq type='get' id='bad-1'/>")
        .expect("server input");
    pair.server.request_ack();
    pair.drive();
    assert_eq!(pair.server_error, None);
    assert_eq!(pair.client_error, None);
    assert!(pair.server.can_send().is_ok());
}

#[test]
fn the_clients_error_replies_are_counted() {
    let mut pair = bound_pair();
    // (Fed to the client directly: only the client's requests are checked,
    // since the server never sent this one.)
    pair.client
        .handle_input(b"<iq type='get' id='bad-2' from='example.com'/>")
        .expect("client input");
    pair.client.request_ack();
    pair.drive();
    assert_eq!(pair.client_error, None);
    assert!(pair.client.can_send().is_ok());
}

/// A server that pings without end and acknowledges nothing (review8
/// finding 1): the client's own answers stop at the queue's bound, and a
/// stale `<a/>` does not count as an answer, so the unanswered `<r/>` ends
/// the stream, resumable, at `ack_timeout`.
#[test]
fn a_ping_flood_that_acknowledges_nothing_is_bounded_and_ends() {
    let mut pair = bound_pair();
    let max = SmConfig::default().max_unacked;
    let mut answers = 0;
    let mut t = 0;
    for n in 0..max + 2_000 {
        let ping = format!(
            "<iq type='get' id='p{n}' from='example.com'><ping xmlns='urn:xmpp:ping'/></iq>"
        );
        pair.client.handle_input(ping.as_bytes()).expect("ping");
        if n % 100 == 0 {
            // The same stale `h` each time.
            pair.client
                .handle_input(b"<a xmlns='urn:xmpp:sm:3' h='0'/>")
                .expect("ack");
            t += 100;
            pair.client
                .handle_timeout(xmpp_session::Instant::from_millis(t))
                .expect("a tick within the ack timeout");
        }
        while let Some(out) = pair.client.poll_transmit() {
            answers += String::from_utf8_lossy(&out)
                .matches("type='result'")
                .count();
        }
    }
    assert_eq!(answers, max, "answers stop at the queue's bound");
    assert_eq!(pair.client.can_send(), Err(Error::QueueFull));
    // Stale answers go on; past the timeout the stream ends, resumable.
    pair.client
        .handle_input(b"<a xmlns='urn:xmpp:sm:3' h='0'/>")
        .expect("ack");
    let ended = pair
        .client
        .handle_timeout(xmpp_session::Instant::from_millis(t + 61_000));
    assert_eq!(ended, Err(Error::Timeout));
    while let Some(e) = pair.client.poll_event() {
        pair.client_events.push(e);
    }
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Closed { resumable: true }))
    );
}
