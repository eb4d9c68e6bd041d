//! Client and server machines driven against each other in memory.

#![allow(
    clippy::std_instead_of_alloc,
    clippy::std_instead_of_core,
    reason = "integration tests run with std"
)]

mod fast;
mod legacy_session;
mod pair;
mod plus_fallback;
mod routed;
mod seeds;
mod sm;

use pair::{BindPolicy, PASSWORD, Pair, tls_info};
use xmpp_jid::Jid;
use xmpp_sasl::{ChannelBindingType, Hash, Mechanism};
use xmpp_session::{
    ClientEvent, Error, Keepalive, ServerConfig, ServerEvent, SmConfig, TlsMode, TlsPolicy,
    TlsVersion, Transport,
};
use xmpp_stanza::{
    Message, Presence, PresenceType, SaslCondition, Stanza, StanzaNs, StreamCondition,
};

fn server() -> ServerConfig {
    Pair::server_config()
}

fn chat(to: &str, body: &str) -> Stanza {
    Stanza::Message(Message::chat(
        StanzaNs::Client,
        Jid::new(to).expect("jid"),
        body,
    ))
}

#[test]
fn starttls_then_every_mechanism_binds() {
    let plus = |hash| Mechanism::Scram { hash, plus: true };
    let plain = |hash| Mechanism::Scram { hash, plus: false };
    let cases = [
        (
            Mechanism::Plain,
            TlsVersion::Tls13,
            ChannelBindingType::TlsExporter,
        ),
        (
            plain(Hash::Sha1),
            TlsVersion::Tls13,
            ChannelBindingType::TlsExporter,
        ),
        (
            plain(Hash::Sha256),
            TlsVersion::Tls13,
            ChannelBindingType::TlsExporter,
        ),
        (
            plain(Hash::Sha512),
            TlsVersion::Tls13,
            ChannelBindingType::TlsExporter,
        ),
        (
            plus(Hash::Sha1),
            TlsVersion::Tls13,
            ChannelBindingType::TlsExporter,
        ),
        (
            plus(Hash::Sha256),
            TlsVersion::Tls13,
            ChannelBindingType::TlsServerEndPoint,
        ),
        (
            plus(Hash::Sha512),
            TlsVersion::Tls12,
            ChannelBindingType::TlsUnique,
        ),
        (
            plus(Hash::Sha256),
            TlsVersion::Tls12,
            ChannelBindingType::TlsExporter,
        ),
    ];
    for ((mechanism, version, binding), sasl2) in
        cases.into_iter().flat_map(|c| [(c, false), (c, true)])
    {
        let client = Pair::client_config("juliet", PASSWORD)
            .mechanisms([mechanism])
            .sasl2(sasl2);
        let mut pair = Pair::new(client, server());
        pair.tls = tls_info(version, &[binding]);
        pair.drive();
        let profile = if sasl2 { "SASL2" } else { "SASL" };
        let case = format!("{profile} {mechanism} over {version:?} with {binding}");
        assert_eq!(pair.client_error, None, "{case}");
        assert_eq!(
            pair.authenticated_with().as_deref(),
            Some(mechanism.name()),
            "{case}"
        );
        let jid = pair
            .bound_jid()
            .unwrap_or_else(|| panic!("{case}: not bound"));
        assert!(jid.starts_with("juliet@example.com/"), "{case}: {jid}");
        assert!(pair.client.tls().is_some(), "{case}");
        if mechanism.uses_channel_binding() {
            let used = pair.client_events.iter().find_map(|e| match e {
                ClientEvent::Authenticated {
                    channel_binding, ..
                } => *channel_binding,
                _ => None,
            });
            assert_eq!(used, Some(binding), "{case}");
        }
    }
}

#[test]
fn strongest_mechanism_is_chosen_and_tls_unique_never_on_tls_1_3() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.tls = tls_info(
        TlsVersion::Tls13,
        &[
            ChannelBindingType::TlsUnique,
            ChannelBindingType::TlsServerEndPoint,
        ],
    );
    pair.drive();
    assert_eq!(
        pair.authenticated_with().as_deref(),
        Some("SCRAM-SHA-512-PLUS")
    );
    let used = pair.client_events.iter().find_map(|e| match e {
        ClientEvent::Authenticated {
            channel_binding, ..
        } => *channel_binding,
        _ => None,
    });
    assert_eq!(used, Some(ChannelBindingType::TlsServerEndPoint));

    // Only tls-unique on TLS 1.3: no -PLUS at all (RFC 9266).
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.tls = tls_info(TlsVersion::Tls13, &[ChannelBindingType::TlsUnique]);
    pair.drive();
    assert_eq!(pair.authenticated_with().as_deref(), Some("SCRAM-SHA-512"));
}

#[test]
fn any_chunking_gives_the_same_session() {
    let reference = {
        let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
        pair.drive();
        pair.bound_jid()
    };
    assert!(reference.is_some());
    for chunks in [vec![1], vec![2], vec![7, 1, 13], vec![64], vec![1500]] {
        let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
        pair.chunks = chunks.clone();
        pair.drive();
        assert_eq!(pair.bound_jid(), reference, "chunks {chunks:?}");
        assert_eq!(pair.client_error, None, "chunks {chunks:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
    /// Any chunking of either direction gives the same session: the same
    /// JID bound and the same message delivered.
    #[test]
    fn any_random_chunking_gives_the_same_session(
        chunks in proptest::collection::vec(1usize..200, 1..8),
    ) {
        let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
        pair.chunks = chunks;
        pair.drive();
        let jid = pair.bound_jid();
        proptest::prop_assert!(jid.as_deref().is_some_and(|j| j.starts_with("juliet@example.com/")));
        pair.client.send(chat("romeo@example.com", "chunked")).expect("send");
        pair.drive();
        proptest::prop_assert_eq!(pair.server_stanzas().len(), 1);
        proptest::prop_assert_eq!(&pair.client_error, &None);
    }
}

#[test]
fn direct_tls_starts_before_any_xml() {
    let client = Pair::client_config("juliet", PASSWORD).tls_mode(TlsMode::Direct);
    let mut pair = Pair::new(client, server().tls_mode(TlsMode::Direct));
    assert!(pair.client.poll_transmit().is_none(), "no XML before TLS");
    pair.drive();
    assert!(matches!(
        pair.client_events[0],
        ClientEvent::StartTls { .. }
    ));
    assert!(pair.bound_jid().is_some());
}

#[test]
fn websocket_sends_one_element_per_message() {
    let client = Pair::client_config("juliet", PASSWORD)
        .transport(Transport::WebSocket)
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true);
    let config = server()
        .transport(Transport::WebSocket)
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true);
    let mut pair = Pair::new(client, config);
    // The first message is the <open/>, alone.
    let first = pair.client.poll_transmit().expect("open");
    assert!(first.starts_with(b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'"));
    assert!(pair.client.poll_transmit().is_none());
    pair.server.handle_input(&first).expect("open accepted");
    let mut messages = Vec::new();
    while let Some(m) = pair.server.poll_transmit() {
        messages.push(String::from_utf8(m).expect("utf-8"));
    }
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[1]
            .starts_with("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>")
    );
    for m in messages {
        pair.client
            .handle_input(m.as_bytes())
            .expect("client reads");
    }
    pair.drive();
    assert_eq!(pair.client_error, None);
    assert!(pair.bound_jid().is_some());
    pair.client
        .send(chat("romeo@example.com", "over ws"))
        .expect("send");
    pair.drive();
    assert_eq!(pair.server_stanzas().len(), 1);
}

#[test]
fn tls_required_and_not_offered_stops_the_client() {
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD),
        server().tls(TlsPolicy::Off),
    );
    pair.drive();
    assert_eq!(pair.client_error, Some(Error::TlsRequired));
    assert!(pair.bound_jid().is_none());
}

#[test]
fn plain_is_not_offered_without_tls_unless_allowed() {
    let client = Pair::client_config("juliet", PASSWORD)
        .tls(TlsPolicy::Off)
        .mechanisms([Mechanism::Plain]);
    let mut pair = Pair::new(client.clone(), server().tls(TlsPolicy::Off));
    pair.drive();
    assert_eq!(pair.client_error, Some(Error::NoMechanism));
    let mut pair = Pair::new(
        client.allow_plain_unencrypted(true),
        server().tls(TlsPolicy::Off).allow_plain_unencrypted(true),
    );
    pair.drive();
    assert_eq!(pair.authenticated_with().as_deref(), Some("PLAIN"));
}

#[test]
fn wrong_password_and_unknown_user_fail_alike() {
    let failure = |user: &str, password: &str| {
        let mut pair = Pair::new(Pair::client_config(user, password), server());
        pair.drive();
        // The server application hears of each failed attempt.
        let reported: Vec<_> = pair
            .server_events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::AuthFailed { condition } => Some(condition.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(reported, [SaslCondition::NotAuthorized]);
        pair.client_error
    };
    let wrong = failure("juliet", "not the password");
    let unknown = failure("nobody", "not the password");
    assert!(
        matches!(
            &wrong,
            Some(Error::AuthFailed {
                condition: SaslCondition::NotAuthorized,
                ..
            })
        ),
        "{wrong:?}"
    );
    assert_eq!(wrong, unknown);
}

#[test]
fn too_many_failures_end_the_stream_with_policy_violation() {
    // A client that keeps trying: drive the server by hand.
    let mut pair = Pair::new(
        Pair::client_config("juliet", "wrong"),
        server().tls(TlsPolicy::Off),
    );
    let header = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
    pair.server.handle_input(header).expect("header");
    let auth = b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>biwsbj1qdWxpZXQscj1hYmNkZWZnaGlqa2w=</auth>";
    for _ in 0..2 {
        // A response that fails to parse as client-final each time.
        pair.server.handle_input(auth).expect("auth");
        while let Some(e) = pair.server.poll_event() {
            if let ServerEvent::CredentialsRequest { request: r, .. } = e {
                let _ = r;
                pair.server
                    .provide_credentials(xmpp_sasl::Credentials::UnknownUser)
                    .expect("credentials");
            }
        }
        pair.server
            .handle_input(b"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>bm9wZQ==</response>")
            .expect("failure, not yet fatal");
    }
    pair.server.handle_input(auth).expect("auth");
    while let Some(e) = pair.server.poll_event() {
        if let ServerEvent::CredentialsRequest { .. } = e {
            pair.server
                .provide_credentials(xmpp_sasl::Credentials::UnknownUser)
                .expect("credentials");
        }
    }
    let err = pair
        .server
        .handle_input(b"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>bm9wZQ==</response>")
        .expect_err("third failure");
    assert_eq!(err.condition(), Some(StreamCondition::PolicyViolation));
    let mut out = Vec::new();
    while let Some(t) = pair.server.poll_transmit() {
        out.extend(t);
    }
    let out = String::from_utf8(out).expect("utf-8");
    assert!(out.contains("<policy-violation"), "{out}");
    assert!(out.ends_with("</stream:stream>"), "{out}");
}

#[test]
fn host_unknown_after_a_header_of_our_own() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    let err = pair
        .server
        .handle_input(
            b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
              to='elsewhere.example' version='1.0'>",
        )
        .expect_err("not served");
    assert_eq!(err.condition(), Some(StreamCondition::HostUnknown));
    let out = String::from_utf8(pair.server.poll_transmit().expect("bytes")).expect("utf-8");
    assert!(
        out.starts_with("<?xml version='1.0'?><stream:stream"),
        "{out}"
    );
    assert!(
        out.contains("<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
        "{out}"
    );
    // The error keeps being returned.
    assert_eq!(pair.server.handle_input(b"<x/>"), Err(err));
}

#[test]
fn a_server_without_version_1_gets_unsupported_version() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    let err = pair
        .server
        .handle_input(
            b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
              to='example.com'>",
        )
        .expect_err("no version");
    assert_eq!(err.condition(), Some(StreamCondition::UnsupportedVersion));
}

#[test]
fn bind_conflict_falls_back_to_a_server_resource() {
    // RFC 6120 §7 binding (SASL2's Bind2 takes no resource, only a tag).
    let client = Pair::client_config("juliet", PASSWORD)
        .resource("balcony")
        .sasl2(false);
    let mut pair = Pair::new(client.clone(), server());
    pair.drive();
    assert_eq!(
        pair.bound_jid().as_deref(),
        Some("juliet@example.com/balcony")
    );

    let mut pair = Pair::new(client, server());
    pair.bind = BindPolicy::Conflict;
    pair.drive();
    let jid = pair.bound_jid().expect("bound after the conflict");
    assert!(
        jid.starts_with("juliet@example.com/") && !jid.ends_with("/balcony"),
        "{jid}"
    );
}

#[test]
fn stanzas_are_stamped_and_routed_both_ways() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.drive();
    let jid = pair.bound_jid().expect("bound");
    // A forged from is overridden (RFC 6120 §8.1.2.1).
    let mut m = Message::chat(
        StanzaNs::Client,
        Jid::new("romeo@example.com").expect("jid"),
        "hi",
    );
    m.header.from = Some(Jid::new("mallory@example.com/x").expect("jid"));
    pair.client.send(Stanza::Message(m)).expect("send");
    let sub = Presence::new(StanzaNs::Client, PresenceType::Subscribe)
        .with_to(Jid::new("romeo@example.com").expect("jid"));
    pair.client
        .send(Stanza::Presence(sub))
        .expect("send presence");
    pair.drive();
    let got = pair.server_stanzas();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].header().from.as_ref().map(Jid::as_str),
        Some(jid.as_str())
    );
    assert_eq!(
        got[1].header().from.as_ref().map(Jid::as_str),
        Some("juliet@example.com")
    );

    pair.server.send(chat(&jid, "back")).expect("server send");
    pair.drive();
    let got = pair.client_stanzas();
    assert_eq!(got.len(), 1);
}

/// RFC 6120 §4.7.4: a stanza without `xml:lang` gets the client's stream
/// language on its way; one with its own keeps it (§8.1.5).
#[test]
fn stanzas_get_the_streams_language_unless_they_have_one() {
    let config = Pair::client_config("juliet", PASSWORD).lang("de");
    let mut pair = Pair::new(config, server());
    pair.drive();
    pair.client
        .send(chat("romeo@example.com", "hallo"))
        .expect("send");
    let mut own = Message::chat(
        StanzaNs::Client,
        Jid::new("romeo@example.com").expect("jid"),
        "salut",
    );
    own.header.lang = Some("fr".into());
    pair.client.send(Stanza::Message(own)).expect("send");
    pair.drive();
    let langs: Vec<Option<String>> = pair
        .server_stanzas()
        .iter()
        .map(|s| s.header().lang.as_ref().map(|l| l.to_string()))
        .collect();
    assert_eq!(langs, [Some("de".to_owned()), Some("fr".to_owned())]);
}

#[test]
fn a_bad_stanza_gets_its_error_and_the_stream_goes_on() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.drive();
    pair.server
        .handle_input(
            b"<iq type='get' id='q1' to='not@@valid'><query xmlns='jabber:iq:version'/></iq>",
        )
        .expect("stream goes on");
    let mut out = Vec::new();
    while let Some(t) = pair.server.poll_transmit() {
        out.extend(t);
    }
    let out = String::from_utf8(out).expect("utf-8");
    assert!(
        out.contains("id='q1'") && out.contains("type='error'"),
        "{out}"
    );
    assert!(out.contains("<jid-malformed"), "{out}");
    assert!(
        !out.contains("from='not@@valid'"),
        "a malformed address is not echoed: {out}"
    );
    pair.client
        .send(chat("romeo@example.com", "still here"))
        .expect("send");
    pair.drive();
    assert_eq!(pair.server_stanzas().len(), 1);
}

#[test]
fn an_auth_that_is_not_base64_gets_incorrect_encoding() {
    // RFC 6120 §6.5.5: `incorrect-encoding` answers an <auth/> whose
    // initial response is not base64, and the stream goes on (§6.4.5).
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD),
        server().tls(TlsPolicy::Off),
    );
    let header = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
    pair.server.handle_input(header).expect("header");
    pair.server
        .handle_input(
            b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>@@not*base64@@</auth>",
        )
        .expect("a SASL failure, not a stream error");
    let mut out = Vec::new();
    while let Some(t) = pair.server.poll_transmit() {
        out.extend(t);
    }
    let out = String::from_utf8(out).expect("utf-8");
    assert!(out.contains("<incorrect-encoding/></failure>"), "{out}");
    assert!(!out.contains("</stream:stream>"), "{out}");
}

#[test]
fn a_stanza_before_binding_is_not_authorized() {
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD),
        server().tls(TlsPolicy::Off),
    );
    let err = pair
        .server
        .handle_input(
            b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
              to='example.com' version='1.0'><message to='romeo@example.com'><body>x</body></message>",
        )
        .expect_err("before auth");
    assert_eq!(err.condition(), Some(StreamCondition::NotAuthorized));
}

#[test]
fn client_close_is_answered_and_both_end() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.drive();
    pair.client.close().expect("close");
    pair.drive();
    assert!(pair.client.is_closed() && pair.server.is_closed());
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Closed { resumable: false }))
    );
    assert_eq!(
        pair.client.send(chat("a@b", "late")),
        Err(Error::WrongPhase("send before the resource is bound"))
    );
}

#[test]
fn a_silent_server_times_the_client_out() {
    let mut keepalive = Keepalive::default();
    keepalive.whitespace = Some(std::time::Duration::from_secs(10));
    keepalive.idle = Some(std::time::Duration::from_secs(30));
    keepalive.probe_timeout = std::time::Duration::from_secs(5);
    let client = Pair::client_config("juliet", PASSWORD)
        .keepalive(keepalive)
        .sm(SmConfig::off());
    let mut pair = Pair::new(client, server().keepalive(Keepalive::off()));
    pair.drive();
    assert!(pair.bound_jid().is_some());
    let start = pair.now.as_millis();
    // From here the server hears nothing and says nothing: the driver
    // fires the client's timers at the instants it asks for.
    let (mut spaces, mut probe_at, mut error_at) = (0, None, None);
    while let Some(t) = pair.client.poll_timeout() {
        assert!(t.as_millis() - start <= 200_000, "runaway timers");
        pair.now = t;
        if let Err(e) = pair.client.handle_timeout(t) {
            assert_eq!(e, Error::Timeout);
            error_at = Some(t.as_millis() - start);
        }
        while let Some(out) = pair.client.poll_transmit() {
            let out = String::from_utf8(out).expect("utf-8");
            if out == " " {
                spaces += 1;
            } else if out.contains("urn:xmpp:ping") {
                probe_at = Some(t.as_millis() - start);
            } else {
                assert!(out.contains("<connection-timeout"), "{out}");
            }
        }
    }
    assert!(spaces >= 1, "white space keepalives");
    let probe_at = probe_at.expect("an XEP-0199 probe");
    assert!(
        (30_000..=60_000).contains(&probe_at),
        "probe at {probe_at} ms"
    );
    let error_at = error_at.expect("timed out");
    assert_eq!(error_at, probe_at + 5_000);
    assert_eq!(pair.client.poll_timeout(), None);
}

#[test]
fn the_server_answers_pings_with_the_application_and_keeps_counting() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.drive();
    assert!(
        pair.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::SmEnabled { id: Some(_) }))
    );
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::SmEnabled { resumable: true }))
    );
    let heap = pair.server.heap_size();
    assert!(heap < 4096, "idle bound server session holds {heap} bytes");
}

#[test]
fn an_answer_nobody_asked_for_changes_nothing() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.drive();
    assert!(pair.bound_jid().is_some());
    let unasked = xmpp_sasl::Credentials::UnknownUser;
    assert!(matches!(
        pair.server.provide_credentials(unasked),
        Err(Error::WrongPhase(_))
    ));
    assert!(matches!(
        pair.server
            .reject_bind(xmpp_stanza::DefinedCondition::Conflict),
        Err(Error::WrongPhase(_))
    ));
    assert!(matches!(
        pair.server.reject_resume(),
        Err(Error::WrongPhase(_))
    ));
    // The bound stream still routes.
    pair.client
        .send(chat("romeo@example.com", "still bound"))
        .expect("send");
    pair.drive();
    assert_eq!(pair.server_stanzas().len(), 1);
}

fn count(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

#[test]
fn sasl2_binds_and_enables_sm_inline_without_a_restart() {
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD).resource("phone"),
        server(),
    );
    pair.drive();
    assert_eq!(pair.client_error, None);
    let jid = pair.bound_jid().expect("bound by Bind2");
    assert!(
        jid.starts_with("juliet@example.com/phone."),
        "the tag leads: {jid}"
    );
    // One header in the clear, one after TLS: no restart after success.
    assert_eq!(count(&pair.c2s_log, "<stream:stream"), 2);
    assert_eq!(
        count(&pair.c2s_log, "<authenticate xmlns='urn:xmpp:sasl:2'"),
        1
    );
    assert_eq!(
        count(&pair.c2s_log, "urn:ietf:params:xml:ns:xmpp-bind"),
        0,
        "no RFC 6120 bind"
    );
    assert_eq!(count(&pair.s2c_log, "<bound xmlns='urn:xmpp:bind:0'"), 1);
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::SmEnabled { resumable: true }))
    );
    pair.client
        .send(chat("romeo@example.com", "inline"))
        .expect("send");
    pair.drive();
    assert_eq!(pair.server_stanzas().len(), 1);
}

#[test]
fn fast_token_issued_used_and_replay_refused() {
    // First login: password, and a token asked for.
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.drive();
    let (mechanism, token) = pair
        .client_events
        .iter()
        .find_map(|e| match e {
            ClientEvent::TokenIssued {
                mechanism, token, ..
            } => Some((*mechanism, token.to_string())),
            _ => None,
        })
        .expect("a token");
    // With tls-exporter data the bound HT mechanism is asked for.
    assert_eq!(mechanism.name(), "HT-SHA-256-EXPR");
    // `Bound` comes once the token is settled and <success/> is out, so
    // that the application sends nothing the machine would refuse.
    let at = |f: fn(&ServerEvent) -> bool| pair.server_events.iter().position(f);
    let (asked, bound) = (
        at(|e| matches!(e, ServerEvent::TokenRequest { .. })),
        at(|e| matches!(e, ServerEvent::Bound { .. })),
    );
    assert!(asked.is_some() && asked < bound, "{:?}", pair.server_events);
    let tokens = pair.tokens.clone();

    // Second login: the token alone, no password.
    let fast = xmpp_session::FastToken::new(mechanism, token.clone(), 1);
    let client = Pair::client_config("juliet", "").fast_token(fast.clone());
    let mut next = Pair::new(client.clone(), server());
    next.tokens = tokens;
    next.drive();
    assert_eq!(next.client_error, None);
    assert_eq!(
        next.authenticated_with().as_deref(),
        Some("HT-SHA-256-EXPR")
    );
    assert!(next.bound_jid().is_some());
    assert_eq!(
        count(&next.c2s_log, "<fast xmlns='urn:xmpp:fast:0' count='1'/>"),
        1
    );

    // The same count again is a replay (XEP-0484 §3.4).
    let tokens = next.tokens.clone();
    let mut replay = Pair::new(client, server());
    replay.tokens = tokens;
    replay.drive();
    assert!(
        replay
            .client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::TokenRejected))
    );
    assert!(matches!(
        replay.client_error,
        Some(Error::NoMechanism | Error::AuthFailed { .. })
    ));
    assert!(replay.bound_jid().is_none());
}

#[test]
fn a_rejected_token_falls_back_to_the_password() {
    let fast = xmpp_session::FastToken::new(
        Mechanism::Ht {
            binding: xmpp_sasl::HtBinding::Exporter,
        },
        "not a token",
        1,
    );
    let client = Pair::client_config("juliet", PASSWORD).fast_token(fast);
    let mut pair = Pair::new(client, server());
    pair.drive();
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::TokenRejected))
    );
    assert_eq!(
        pair.authenticated_with().as_deref(),
        Some("SCRAM-SHA-512-PLUS")
    );
    assert!(pair.bound_jid().is_some());
}

#[test]
fn a_higher_client_version_gets_1_0_and_the_stream_goes_on() {
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD),
        server().tls(TlsPolicy::Off),
    );
    pair.server
        .handle_input(
            b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
              to='example.com' version='2.13'>",
        )
        .expect("RFC 6120 §4.7.5: answered with the lower version");
    let out = String::from_utf8(pair.server.poll_transmit().expect("bytes")).expect("utf-8");
    assert!(
        out.contains("version='1.0'") && out.contains("<stream:features>"),
        "{out}"
    );
}

#[test]
fn an_invalid_requested_resource_is_replaced_not_refused() {
    // RFC 6120 §7.7.2.1: the server SHOULD make it conform.
    let client = Pair::client_config("juliet", PASSWORD)
        .resource("bad\u{378}resource")
        .sasl2(false);
    let mut pair = Pair::new(client, server());
    pair.drive();
    let jid = pair.bound_jid().expect("bound");
    assert!(!jid.contains('\u{378}'), "{jid}");
}

/// `Server::shrink_idle` gives back the negotiation's buffers and changes
/// nothing a peer sees: stanzas still flow both ways after it.
#[test]
fn shrink_idle_gives_back_heap_and_keeps_the_session() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.drive();
    let jid = pair.bound_jid().expect("bound");
    let before = pair.server.heap_size();
    pair.server.shrink_idle();
    let after = pair.server.heap_size();
    assert!(after < before, "{after} < {before}");
    // Authentication is over: the channel-binding data is gone.
    let tls = pair.server.tls().expect("TLS");
    assert!(tls.channel_bindings.is_empty(), "{tls:?}");
    pair.client
        .send(chat("romeo@example.com", "after the shrink"))
        .expect("send");
    pair.server.send(chat(&jid, "back")).expect("server send");
    pair.drive();
    assert_eq!(pair.server_stanzas().len(), 1);
    assert_eq!(pair.client_stanzas().len(), 1);
}

/// The SASL2 profile answers the same (XEP-0388 §2.4 takes RFC 6120's
/// conditions): `incorrect-encoding`, and the stream goes on.
#[test]
fn an_authenticate_that_is_not_base64_gets_incorrect_encoding() {
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD),
        server().tls(TlsPolicy::Off),
    );
    let header = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
    pair.server.handle_input(header).expect("header");
    pair.server
        .handle_input(
            b"<authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-256'>\
              <initial-response>@@not*base64@@</initial-response></authenticate>",
        )
        .expect("a SASL2 failure, not a stream error");
    let mut out = Vec::new();
    while let Some(t) = pair.server.poll_transmit() {
        out.extend(t);
    }
    let out = String::from_utf8(out).expect("utf-8");
    assert!(
        out.contains("<failure xmlns='urn:xmpp:sasl:2'><incorrect-encoding"),
        "{out}"
    );
    assert!(!pair.server.is_closed());
}

/// The SASL failures a server sends for `auth` after `header`, and whether
/// it closed the stream.
fn sasl_answer(server: ServerConfig, tls: bool, auth: &str) -> String {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server);
    let header = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
    pair.server.handle_input(header).expect("header");
    if tls {
        pair.server
            .handle_input(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            .expect("starttls");
        while pair.server.poll_event().is_some() {}
        pair.server
            .tls_established(tls_info(
                TlsVersion::Tls13,
                &[ChannelBindingType::TlsExporter],
            ))
            .expect("tls");
        pair.server.handle_input(header).expect("header after tls");
    }
    while pair.server.poll_transmit().is_some() {}
    pair.server
        .handle_input(auth.as_bytes())
        .expect("a SASL failure");
    let mut out = Vec::new();
    while let Some(t) = pair.server.poll_transmit() {
        out.extend(t);
    }
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn a_mechanism_refused_by_policy_names_why() {
    // PLAIN with the credentials `\0juliet\0wrong`.
    let plain = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB3cm9uZw==</auth>";
    let sha1 = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj1qdWxpZXQscj1hYmNkZWZnaGlqa2w=</auth>";
    let sha512 = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-512'>biwsbj1qdWxpZXQscj1hYmNkZWZnaGlqa2w=</auth>";
    let cram = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='CRAM-MD5'/>";
    let optional = || server().tls(TlsPolicy::Optional);
    // RFC 6120 §6.5.3: PLAIN is configured but needs TLS first, whether
    // TLS is optional (PLAIN withheld, §13.8.3) or required (nothing
    // offered before it).
    for config in [optional(), server()] {
        let out = sasl_answer(config, false, plain);
        assert!(out.contains("<encryption-required/></failure>"), "{out}");
        assert!(!out.contains("</stream:stream>"), "{out}");
    }
    // §6.5.9: a password mechanism below every one the policy offers.
    let strong = || {
        server().mechanisms([
            Mechanism::Scram {
                hash: Hash::Sha256,
                plus: true,
            },
            Mechanism::Scram {
                hash: Hash::Sha256,
                plus: false,
            },
        ])
    };
    for weak in [plain, sha1] {
        let out = sasl_answer(strong(), true, weak);
        assert!(out.contains("<mechanism-too-weak/></failure>"), "{out}");
    }
    // Not weaker than SCRAM-SHA-256, only not configured; and unknown.
    for other in [sha512, cram] {
        let out = sasl_answer(strong(), true, other);
        assert!(out.contains("<invalid-mechanism/></failure>"), "{out}");
    }
}

/// `Keepalive::negotiation`: a client that opens a stream and then
/// trickles white space, never authenticating, is closed with
/// `connection-timeout` when the bound runs out, however often it sends.
#[test]
fn a_stream_that_never_negotiates_is_closed_however_it_trickles() {
    use xmpp_session::{Instant, Seed, Server};
    let config = server().tls(TlsPolicy::Off).allow_plain_unencrypted(true);
    let mut s = Server::new(config, Seed::new([9; 32]), Instant::from_millis(0));
    s.handle_input(
        b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
          to='example.com' version='1.0'>",
    )
    .expect("header");
    while s.poll_transmit().is_some() {}
    for t in (5_000..60_000).step_by(5_000) {
        s.handle_input(b" ").expect("white space");
        s.handle_timeout(Instant::from_millis(t)).expect("in time");
        while s.poll_transmit().is_some() {}
    }
    assert_eq!(s.poll_timeout(), Some(Instant::from_millis(60_000)));
    s.handle_input(b" ").expect("white space");
    assert_eq!(
        s.handle_timeout(Instant::from_millis(60_000)),
        Err(Error::Timeout)
    );
    let mut out = Vec::new();
    while let Some(t) = s.poll_transmit() {
        out.extend(t);
    }
    let out = String::from_utf8(out).expect("utf-8");
    assert!(out.contains("<connection-timeout"), "{out}");
    assert!(s.is_closed());
}

/// Once bound, the negotiation bound no longer applies: only silence does.
#[test]
fn a_bound_stream_outlives_the_negotiation_bound() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.drive();
    assert!(pair.bound_jid().is_some());
    for _ in 0..20 {
        pair.now = xmpp_session::Instant::from_millis(pair.now.as_millis() + 10_000);
        pair.client
            .handle_timeout(pair.now)
            .expect("client in time");
        pair.server
            .handle_timeout(pair.now)
            .expect("server in time");
        pair.drive();
    }
    assert!(!pair.client.is_closed() && !pair.server.is_closed());
}

fn rewritten(msg: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    String::from_utf8(msg)
        .expect("utf-8")
        .replace(from, to)
        .into_bytes()
}

/// A server binding the client to another account (review8 finding 6):
/// refused, with SASL2's identity as with RFC 6120's bind result, and no
/// `Bound` is reported.
#[test]
fn a_bound_jid_of_another_account_is_refused() {
    for sasl2 in [false, true] {
        let client = Pair::client_config("juliet", PASSWORD).sasl2(sasl2);
        let mut pair = Pair::new(client, server());
        pair.s2c_rewrite = Some(|m| rewritten(m, "juliet@example.com/", "mallory@example.com/"));
        pair.drive();
        assert!(
            matches!(
                &pair.client_error,
                Some(e) if e.condition() == Some(StreamCondition::UndefinedCondition)
            ),
            "sasl2 {sasl2}: {:?}",
            pair.client_error
        );
        assert!(pair.bound_jid().is_none(), "sasl2 {sasl2}");
    }
}

/// A stanza before the bind result (review8 finding 7) never reaches the
/// application, which does not know its address yet (RFC 6120 §7.1).
#[test]
fn a_stanza_before_the_bind_result_is_dropped() {
    let client = Pair::client_config("juliet", PASSWORD).sasl2(false);
    let mut pair = Pair::new(client, server());
    pair.s2c_rewrite = Some(|m| {
        let text = String::from_utf8(m).expect("utf-8");
        if text.contains("urn:ietf:params:xml:ns:xmpp-bind") && text.contains("type='result'") {
            return format!(
                "<message from='admin@example.com' to='juliet@example.com'><body>early</body></message>{text}"
            )
            .into_bytes();
        }
        text.into_bytes()
    });
    pair.drive();
    assert!(pair.bound_jid().is_some(), "{:?}", pair.client_error);
    let log = String::from_utf8_lossy(&pair.s2c_log).into_owned();
    assert!(
        log.contains("type='result'") && log.contains("urn:ietf:params:xml:ns:xmpp-bind"),
        "the rewrite applies: {log}"
    );
    assert!(
        !pair
            .client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Stanza(_))),
        "{:?}",
        pair.client_events
    );
}

/// An `<enabled/>` in Bind2's `<bound/>` that the client never asked for
/// (review8 finding 8) leaves stream management off.
#[test]
fn an_enabled_never_asked_for_is_ignored() {
    let client = Pair::client_config("juliet", PASSWORD).sm(SmConfig::off());
    let mut pair = Pair::new(client, server());
    pair.s2c_rewrite = Some(|m| {
        rewritten(
            m,
            "<bound xmlns='urn:xmpp:bind:0'/>",
            "<bound xmlns='urn:xmpp:bind:0'><enabled xmlns='urn:xmpp:sm:3' id='x' resume='true'/></bound>",
        )
    });
    pair.drive();
    assert!(pair.bound_jid().is_some(), "{:?}", pair.client_error);
    assert!(
        String::from_utf8_lossy(&pair.s2c_log).contains("<bound xmlns='urn:xmpp:bind:0'/>"),
        "the rewrite applies"
    );
    assert!(
        !pair
            .client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::SmEnabled { .. })),
        "{:?}",
        pair.client_events
    );
}

/// A server that never answers the client's close but keeps sending
/// (review8 finding 2): the stream ends `Keepalive::close` (10 s) after
/// the close all the same.
#[test]
fn a_close_the_server_never_answers_ends_in_time() {
    let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
    pair.drive();
    assert!(pair.bound_jid().is_some());
    pair.client.close().expect("close");
    let mut closed_at = None;
    for s in 1..=30u64 {
        let _ = pair
            .client
            .handle_input(b"<presence from='romeo@example.com/x'/>");
        let _ = pair
            .client
            .handle_timeout(xmpp_session::Instant::from_millis(s * 1_000));
        while let Some(e) = pair.client.poll_event() {
            if matches!(e, ClientEvent::Closed { resumable: false }) {
                closed_at.get_or_insert(s);
            }
        }
    }
    // Dated at the first tick after the close (1 s), over 10 s later.
    assert_eq!(closed_at, Some(11));
    assert!(pair.client.is_closed());
}

/// After its `</stream:stream>`, a machine sends nothing more (RFC 6120
/// §4.4): no ping answer, no `<a/>`, no `<r/>` or white space by time, no
/// stream error when the peer then misbehaves (review9 finding 2).
#[test]
fn nothing_follows_our_close() {
    for client_side in [true, false] {
        let mut pair = Pair::new(Pair::client_config("juliet", PASSWORD), server());
        pair.drive();
        assert!(pair.bound_jid().is_some());
        let (out, input): (Vec<u8>, &[&[u8]]) = if client_side {
            pair.client.close().expect("close");
            let mut out = Vec::new();
            while let Some(t) = pair.client.poll_transmit() {
                out.extend(t);
            }
            (
                out,
                &[
                    b"<iq type='get' id='p1' from='example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
                    b"<r xmlns='urn:xmpp:sm:3'/>",
                    b"<iq type='set' id='bad'><a/><b/></iq>",
                ],
            )
        } else {
            pair.server.close().expect("close");
            let mut out = Vec::new();
            while let Some(t) = pair.server.poll_transmit() {
                out.extend(t);
            }
            (
                out,
                &[
                    b"<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
                    b"<r xmlns='urn:xmpp:sm:3'/>",
                    b"<iq type='set' id='bad'><a/><b/></iq>",
                ],
            )
        };
        assert!(
            String::from_utf8_lossy(&out).ends_with("</stream:stream>"),
            "{}",
            String::from_utf8_lossy(&out)
        );
        for (i, bytes) in input.iter().enumerate() {
            let now = xmpp_session::Instant::from_millis(1_000 * (i as u64 + 1));
            if client_side {
                let _ = pair.client.handle_input(bytes);
                let _ = pair.client.handle_timeout(now);
                assert_eq!(pair.client.poll_transmit(), None, "client, after {i}");
            } else {
                let _ = pair.server.handle_input(bytes);
                let _ = pair.server.handle_timeout(now);
                assert_eq!(pair.server.poll_transmit(), None, "server, after {i}");
            }
        }
        // Malformed input after the close: the machine fails, silently.
        if client_side {
            let _ = pair.client.handle_input(b"<<<");
            assert_eq!(pair.client.poll_transmit(), None);
        } else {
            let _ = pair.server.handle_input(b"<<<");
            assert_eq!(pair.server.poll_transmit(), None);
        }
    }
}

/// A machine's `Debug` never shows what waits in its buffers: a PLAIN
/// `<auth/>` carries the password (review8 finding 10).
#[test]
fn debug_shows_no_queued_password() {
    use base64::Engine as _;
    let client = Pair::client_config("juliet", PASSWORD)
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true)
        .mechanisms([Mechanism::Plain]);
    let mut pair = Pair::new(
        client,
        server().tls(TlsPolicy::Off).allow_plain_unencrypted(true),
    );
    // Run until the client's `<auth/>` waits in its buffer.
    for _ in 0..20 {
        let shown = format!("{:?}", pair.client);
        assert!(!shown.contains(PASSWORD), "{shown}");
        let plain =
            base64::engine::general_purpose::STANDARD.encode(format!("\0juliet\0{PASSWORD}"));
        assert!(!shown.contains(&plain), "{shown}");
        let bytes: String = plain.bytes().map(|b| format!("{b}, ")).collect();
        assert!(!shown.contains(bytes.trim_end_matches(", ")), "{shown}");
        if !pair.step() {
            break;
        }
    }
    assert_eq!(pair.authenticated_with().as_deref(), Some("PLAIN"));
}
