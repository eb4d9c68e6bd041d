//! `xmpp stanza`: one JSON line per top-level element, typed stanzas,
//! per-stanza errors with their reply, fatal stream errors.

use serde_json::json;

use crate::xmpp;

const HEADER: &str = "<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

#[test]
fn typed_stanzas_and_nonzas() {
    let input = format!(
        "{HEADER}<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>\
         <message to='juliet@example.com' type='chat' id='m1'><body>Art thou not Romeo?</body></message>\
         <presence><show>away</show><priority>5</priority></presence>\
         <iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq></stream:stream>"
    );
    let (code, lines) = xmpp(&["stanza"], Some(&input));
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0]["event"], "nonza");
    assert_eq!(lines[0]["name"], "features");
    assert_eq!(lines[0]["element"]["children"][0]["name"], "bind");
    assert_eq!(
        lines[1],
        json!({"event": "stanza", "kind": "message", "stanza": {
            "ns": "jabber:client", "to": "juliet@example.com", "from": null, "id": "m1",
            "type": "chat", "lang": null,
            "bodies": [{"lang": null, "text": "Art thou not Romeo?"}], "subjects": [],
            "thread": null, "attrs": {}, "payloads": [], "error": null}})
    );
    let keys: Vec<_> = lines[1].as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["event", "kind", "stanza"], "key order");
    assert_eq!(lines[2]["stanza"]["show"], "away");
    assert_eq!(lines[2]["stanza"]["priority"], 5);
    assert_eq!(lines[2]["stanza"]["type"], "available");
    assert_eq!(lines[3]["kind"], "iq");
    assert_eq!(lines[3]["stanza"]["payload"]["ns"], "jabber:iq:roster");
}

#[test]
fn a_bad_stanza_is_reported_and_the_stream_goes_on() {
    let input = format!(
        "{HEADER}<message from='\u{1F600}@example.com' id='x'><body>b</body></message>\
         <message to='romeo@example.net'><body>ok</body></message>"
    );
    let (code, lines) = xmpp(&["stanza"], Some(&input));
    assert_eq!(code, 1);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["event"], "error");
    assert_eq!(lines[0]["condition"], "jid-malformed");
    assert_eq!(lines[0]["kind"], "message");
    let reply = lines[0]["reply"].as_str().unwrap();
    assert!(
        reply.starts_with(
            "<message xmlns='jabber:client' to='\u{1F600}@example.com' id='x' type='error'>"
        ),
        "{reply}"
    );
    assert_eq!(lines[1]["event"], "stanza");
}

#[test]
fn a_stream_error_ends_the_output() {
    let input = format!("{HEADER}<message><!-- no --></message><message/>");
    let (code, lines) = xmpp(&["stanza", "--chunk", "3"], Some(&input));
    assert_eq!(code, 1);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["event"], "error");
    assert_eq!(lines[0]["condition"], "restricted-xml");
    let keys: Vec<_> = lines[0].as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["event", "condition", "message"]);
}

#[test]
fn server_namespace_and_restart_after_sasl_success() {
    let input = "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\
        <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>\
        <stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\
        <presence from='a@example.org' to='b@example.net' type='probe'/>";
    let (code, lines) = xmpp(&["stanza"], Some(input));
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["event"], "nonza");
    assert_eq!(lines[1]["stanza"]["ns"], "jabber:server");
    assert_eq!(lines[1]["stanza"]["type"], "probe");
}

#[test]
fn usage_errors_exit_2() {
    let (code, lines) = xmpp(&["stanza", "--transport", "pigeon"], None);
    assert_eq!((code, lines.len()), (2, 0));
    let (code, _) = xmpp(&["stanza", "/nonexistent/file"], None);
    assert_eq!(code, 2);
}
