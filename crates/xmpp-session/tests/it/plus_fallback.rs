//! The client's retry without `-PLUS` when a binding type it had to guess
//! is refused (`ClientConfig::fallback_unbound`), against a scripted
//! server that offers `-PLUS` and lists no XEP-0440 types, as ejabberd
//! 23.01 does on TLS 1.3.

use base64::Engine as _;
use xmpp_jid::BareJid;
use xmpp_sasl::{ChannelBindingType, Hash, Mechanism};
use xmpp_session::{Client, ClientConfig, Error, Instant, Seed, TlsMode, TlsVersion};

use crate::pair::tls_info;

const HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.test' version='1.0'>";
const FAILURE: &[u8] = b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/>\
    <text>Invalid channel binding</text></failure>";

fn features(xep0440: bool) -> Vec<u8> {
    let list = if xep0440 {
        "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>\
         <channel-binding type='tls-exporter'/></sasl-channel-binding>"
    } else {
        ""
    };
    format!(
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
         <mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>SCRAM-SHA-256</mechanism>\
         </mechanisms>{list}</stream:features>"
    )
    .into_bytes()
}

/// A client over direct TLS 1.3 with `tls-exporter` data, its stream open.
fn client(fallback: bool) -> Client {
    client_with(fallback, Vec::new())
}

fn client_with(fallback: bool, mechanisms: Vec<Mechanism>) -> Client {
    let jid = BareJid::new("juliet@example.test").expect("jid");
    let mut config = ClientConfig::new(jid, "r0m30");
    config.mechanisms = mechanisms;
    config.tls_mode = TlsMode::Direct;
    config.sasl2 = false;
    config.fallback_unbound = fallback;
    let mut c = Client::new(config, Seed::new([7; 32]), Instant::from_millis(0));
    while c.poll_event().is_some() {}
    c.tls_established(tls_info(
        TlsVersion::Tls13,
        &[ChannelBindingType::TlsExporter],
    ))
    .expect("tls");
    while c.poll_transmit().is_some() {}
    c
}

/// The gs2 header of every `<auth/>` the client sent since the last call.
fn auths(c: &mut Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while let Some(bytes) = c.poll_transmit() {
        let text = String::from_utf8(bytes).expect("utf-8");
        for auth in text.split("<auth ").skip(1) {
            let mechanism = auth
                .split("mechanism='")
                .nth(1)
                .and_then(|s| s.split('\'').next())
                .expect("mechanism")
                .to_owned();
            let payload = auth
                .split('>')
                .nth(1)
                .and_then(|s| s.split('<').next())
                .expect("payload");
            let first = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .expect("base64");
            let first = String::from_utf8(first).expect("utf-8");
            let gs2 = first.splitn(3, ',').take(2).collect::<Vec<_>>().join(",");
            out.push((mechanism, gs2));
        }
    }
    out
}

#[test]
fn a_refused_guess_is_retried_once_without_plus_and_with_y() {
    let mut c = client(true);
    c.handle_input(HEADER).expect("header");
    c.handle_input(&features(false)).expect("features");
    assert_eq!(
        auths(&mut c),
        [("SCRAM-SHA-256-PLUS".into(), "p=tls-exporter,".into())]
    );
    c.handle_input(FAILURE).expect("the retry goes out");
    // `y`: a server that supports channel binding refuses it too.
    assert_eq!(auths(&mut c), [("SCRAM-SHA-256".into(), "y,".into())]);
    // A second refusal is final.
    assert!(matches!(
        c.handle_input(FAILURE),
        Err(Error::AuthFailed { .. })
    ));
    assert!(auths(&mut c).is_empty());
}

#[test]
fn a_listed_type_or_a_disabled_fallback_is_not_retried() {
    for (xep0440, fallback) in [(true, true), (false, false)] {
        let mut c = client(fallback);
        c.handle_input(HEADER).expect("header");
        c.handle_input(&features(xep0440)).expect("features");
        assert_eq!(
            auths(&mut c),
            [("SCRAM-SHA-256-PLUS".into(), "p=tls-exporter,".into())]
        );
        assert!(
            matches!(c.handle_input(FAILURE), Err(Error::AuthFailed { .. })),
            "xep0440 {xep0440} fallback {fallback}"
        );
        assert!(auths(&mut c).is_empty());
    }
}

#[test]
fn a_policy_of_plus_only_keeps_the_servers_refusal() {
    let plus = Mechanism::Scram {
        hash: Hash::Sha256,
        plus: true,
    };
    let mut c = client_with(true, vec![plus]);
    c.handle_input(HEADER).expect("header");
    c.handle_input(&features(false)).expect("features");
    assert_eq!(auths(&mut c).len(), 1);
    match c.handle_input(FAILURE) {
        Err(Error::AuthFailed { text, .. }) => {
            assert_eq!(text.as_deref(), Some("Invalid channel binding"));
        }
        other => panic!("{other:?}"),
    }
    assert!(auths(&mut c).is_empty());
}

/// Features offering exactly `mechanisms`, with no XEP-0440 list.
fn offering(mechanisms: &[&str]) -> Vec<u8> {
    let list: String = mechanisms
        .iter()
        .map(|m| format!("<mechanism>{m}</mechanism>"))
        .collect();
    format!(
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{list}\
         </mechanisms></stream:features>"
    )
    .into_bytes()
}

#[test]
fn the_retry_after_a_refused_guess_never_falls_to_plain() {
    // A server (or whoever made the binding fail) offering `-PLUS` and
    // PLAIN: the retry would hand over the password, so there is none.
    let mut c = client(true);
    c.handle_input(HEADER).expect("header");
    c.handle_input(&offering(&["SCRAM-SHA-256-PLUS", "PLAIN"]))
        .expect("features");
    assert_eq!(
        auths(&mut c),
        [("SCRAM-SHA-256-PLUS".into(), "p=tls-exporter,".into())]
    );
    assert!(matches!(
        c.handle_input(FAILURE),
        Err(Error::AuthFailed { .. })
    ));
    assert!(auths(&mut c).is_empty());
}

#[test]
fn refuse_plain_keeps_the_password_from_a_plain_only_offer() {
    // Under TLS, PLAIN is allowed by default...
    let mut c = client(true);
    c.handle_input(HEADER).expect("header");
    c.handle_input(&offering(&["PLAIN"])).expect("features");
    let sent = auths(&mut c);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "PLAIN");
    // ...and never with `refuse_plain`, not even when the policy names it.
    for mechanisms in [Vec::new(), vec![Mechanism::Plain]] {
        let jid = BareJid::new("juliet@example.test").expect("jid");
        let config = ClientConfig::new(jid, "r0m30")
            .refuse_plain(true)
            .mechanisms(mechanisms)
            .tls_mode(TlsMode::Direct)
            .sasl2(false);
        let mut c = Client::new(config, Seed::new([7; 32]), Instant::from_millis(0));
        c.tls_established(tls_info(
            TlsVersion::Tls13,
            &[ChannelBindingType::TlsExporter],
        ))
        .expect("tls");
        while c.poll_transmit().is_some() {}
        c.handle_input(HEADER).expect("header");
        assert!(matches!(
            c.handle_input(&offering(&["PLAIN"])),
            Err(Error::NoMechanism)
        ));
        assert!(auths(&mut c).is_empty());
    }
    // SCRAM still goes.
    let jid = BareJid::new("juliet@example.test").expect("jid");
    let config = ClientConfig::new(jid, "r0m30")
        .refuse_plain(true)
        .tls_mode(TlsMode::Direct)
        .sasl2(false);
    let mut c = Client::new(config, Seed::new([7; 32]), Instant::from_millis(0));
    c.tls_established(tls_info(TlsVersion::Tls13, &[]))
        .expect("tls");
    while c.poll_transmit().is_some() {}
    c.handle_input(HEADER).expect("header");
    c.handle_input(&offering(&["PLAIN", "SCRAM-SHA-1"]))
        .expect("features");
    assert_eq!(auths(&mut c), [("SCRAM-SHA-1".into(), "n,".into())]);
}
