//! The checks against the running Prosody, in order; one line each.
//!
//! alice (example.test) authenticates with SCRAM-SHA-1 after a wrong
//! password, binds a resource full of characters XML escapes, reads and
//! edits her roster, sends presence; bob authenticates with PLAIN (after a
//! wrong password too) and receives alice's messages, a short one and one
//! of 224 KB; alice subscribes to bob's presence; she pings the server,
//! reads its disco#info and verifies the XEP-0115 caps hash of its stream
//! features, and gets stanza errors for entities that do not exist and for
//! a malformed address. alice on sha256.example.test uses SCRAM-SHA-256,
//! then loses her session to a second one binding the same resource
//! (`conflict`); `a,b=c`, with a password SASLprep maps, logs in with each
//! mechanism; two more connections provoke stream errors (a comment, an
//! unknown host). Each connection reads Prosody's bytes in chunks of its
//! own size, and every stream is framed again at the end.

use std::time::Instant;

use xmpp_jid::{FullJid, Jid};
use xmpp_sasl::{Hash, Mechanism};
use xmpp_stanza::{
    Bind, CLIENT_NS, Caps, DELAY_NS, DISCO_INFO_NS, DefinedCondition, Delay, DiscoInfo, Element,
    Iq, IqType, Message, MessageType, Nonza, PING_NS, Payload, Ping, Presence, PresenceType,
    ROSTER_NS, Roster, RosterItem, SaslCondition, Stanza, StanzaError, StanzaNs, StreamCondition,
    StreamFeatures, Subscription, is_datetime,
};

use super::conn::{Conn, Recorded};
use super::{HOST, HOST_SHA256, USERS};
use crate::util::Result;

const SCRAM_SHA_1: Mechanism = Mechanism::Scram {
    hash: Hash::Sha1,
    plus: false,
};
const SCRAM_SHA_256: Mechanism = Mechanism::Scram {
    hash: Hash::Sha256,
    plus: false,
};

/// alice's resource: every character XML escapes, and a non-ASCII one, so
/// that her full JID crosses Prosody escaped in text and attributes.
const ALICE_RESOURCE: &str = "conformance 'a' & <ü> \"q\"";

/// Prints the checks that passed and counts them.
struct Report {
    checks: usize,
    since: Instant,
}

impl Report {
    fn ok(&mut self, name: &str, detail: impl AsRef<str>) {
        self.checks += 1;
        eprintln!(
            "  ok {name:<16} {} ({} ms)",
            detail.as_ref(),
            self.since.elapsed().as_millis()
        );
    }
}

/// Runs every check against Prosody on `port`; the number that passed and
/// every element received, as vector cases.
pub(super) fn run(port: u16) -> Result<(usize, Vec<Recorded>)> {
    let mut report = Report {
        checks: 0,
        since: Instant::now(),
    };
    let [(alice, alice_pw), (bob, bob_pw), (odd, odd_pw)] = USERS;

    // alice: read one byte at a time.
    let mut a = Conn::connect(port, &format!("{alice}@{HOST}"), 1)?;
    let features = a.open_with_features(HOST)?;
    let offered = mechanisms(&a, &features, &[SCRAM_SHA_1, Mechanism::Plain])?;
    report.ok("features", format!("{HOST} offers {offered}"));
    expect_refused(&mut a, SCRAM_SHA_1, alice, "not-her-password")?;
    report.ok(
        "sasl-failure",
        "SCRAM-SHA-1, wrong password: <not-authorized/>",
    );
    login(&mut a, SCRAM_SHA_1, alice, alice_pw)?;
    report.ok(
        "scram-sha-1",
        "SCRAM-SHA-1 on the same stream: server signature verified",
    );
    let features = a.restart(HOST)?;
    let a_jid = bind(&mut a, &features, ALICE_RESOURCE)?;
    report.ok("bind", format!("restarted stream, bound {a_jid}"));
    let roster = roster_checks(&mut a, bob)?;
    report.ok("roster", roster);
    let echo = initial_presence(&mut a, &a_jid)?;
    report.ok("presence", echo);

    // bob: PLAIN, 13 bytes at a time.
    let mut b = Conn::connect(port, &format!("{bob}@{HOST}"), 13)?;
    let features = b.open_with_features(HOST)?;
    mechanisms(&b, &features, &[Mechanism::Plain])?;
    expect_refused(&mut b, Mechanism::Plain, bob, "not-his-password")?;
    login(&mut b, Mechanism::Plain, bob, bob_pw)?;
    let features = b.restart(HOST)?;
    let b_jid = bind(&mut b, &features, "conformance-b")?;
    initial_presence(&mut b, &b_jid)?;
    report.ok(
        "plain",
        format!("PLAIN refused with a wrong password, then bound {b_jid}"),
    );

    let body = "Wherefore art thou? <&> 'ümlaut' \u{1F339}";
    let id = a.id();
    let to = jid(&a, &b_jid.to_bare().into_string())?;
    a.send(&Stanza::Message(
        Message::chat(StanzaNs::Client, to, body).with_id(id.clone()),
    ))?;
    let got = b.wait_for(|s| match s {
        Stanza::Message(m) if m.header.id.as_deref() == Some(id.as_str()) => Some(m.clone()),
        _ => None,
    })?;
    if got.body(None).as_deref() != Some(body)
        || got.header.from.as_ref().map(Jid::as_str) != Some(a_jid.as_str())
        || got.kind() != MessageType::Chat
    {
        return Err(b.fail(format!("message arrived changed: {got:?}")));
    }
    report.ok(
        "message",
        format!("{a_jid} -> {b_jid}: body and from intact"),
    );

    let large = large_message(&mut a, &mut b, &b_jid)?;
    report.ok("large-message", large);

    let subscribed = subscription(&mut a, &mut b, &a_jid, &b_jid)?;
    report.ok("subscription", subscribed);

    let server = jid(&a, HOST)?;
    let pong = a.iq(Iq::get(StanzaNs::Client, "", Ping.to_element()).with_to(server.clone()))?;
    if pong.type_ != IqType::Result || pong.header.from.as_ref() != Some(&server) {
        return Err(a.fail(format!("ping: expected a result from {HOST}, got {pong:?}")));
    }
    report.ok("ping", format!("XEP-0199 ping to {HOST}: result"));

    let caps = caps_check(&mut a, &server, &features)?;
    report.ok("disco-caps", caps);

    let errors = stanza_errors(&mut a, bob)?;
    report.ok("stanza-error", errors);

    a.close()?;
    b.close()?;
    report.ok(
        "close",
        "</stream:stream> answered by Prosody's close, then EOF",
    );

    // alice on the SHA-256 host, 7 bytes at a time.
    let mut c = Conn::connect(port, &format!("{alice}@{HOST_SHA256}"), 7)?;
    let features = c.open_with_features(HOST_SHA256)?;
    let offered = mechanisms(&c, &features, &[SCRAM_SHA_256, Mechanism::Plain])?;
    login(&mut c, SCRAM_SHA_256, alice, alice_pw)?;
    let features = c.restart(HOST_SHA256)?;
    let c_jid = bind(&mut c, &features, "conformance-c")?;
    report.ok(
        "scram-sha-256",
        format!("{HOST_SHA256} offers {offered}; bound {c_jid}"),
    );

    // The same resource again: Prosody replaces the first session
    // (RFC 6120 §7.7.2.2), which gets a conflict stream error.
    let mut c2 = Conn::connect(port, &format!("{alice}@{HOST_SHA256} again"), 3)?;
    c2.open_with_features(HOST_SHA256)?;
    login(&mut c2, SCRAM_SHA_256, alice, alice_pw)?;
    let features = c2.restart(HOST_SHA256)?;
    bind(&mut c2, &features, "conformance-c")?;
    let condition = stream_error(&mut c)?;
    if condition != StreamCondition::Conflict {
        return Err(c.fail(format!("replaced session got {}", condition.as_str())));
    }
    c2.close()?;
    report.ok(
        "conflict",
        format!("{c_jid} bound again: the first session gets <conflict/>"),
    );

    // SCRAM escaping and SASLprep, with each mechanism.
    let mut others = Vec::new();
    for (host, mechanism, chunk) in [
        (HOST, SCRAM_SHA_1, 5),
        (HOST_SHA256, SCRAM_SHA_256, 11),
        (HOST, Mechanism::Plain, 17),
    ] {
        let mut f = Conn::connect(port, &format!("{odd}@{host}"), chunk)?;
        f.open_with_features(host)?;
        login(&mut f, mechanism, odd, odd_pw)?;
        let features = f.restart(host)?;
        bind(&mut f, &features, "prep")?;
        f.close()?;
        others.push(f);
    }
    report.ok(
        "sasl-prep",
        format!("{odd} (escaped by SCRAM), password mapped by SASLprep: SCRAM-SHA-1, SCRAM-SHA-256, PLAIN"),
    );

    // Stream errors: a comment (RFC 6120 §11.1), 2 bytes at a time.
    let mut d = Conn::connect(port, &format!("anonymous@{HOST}"), 2)?;
    d.open_with_features(HOST)?;
    d.send_raw("<!-- comments are restricted XML -->")?;
    let condition = stream_error(&mut d)?;
    if !matches!(
        condition,
        StreamCondition::RestrictedXml | StreamCondition::NotWellFormed
    ) {
        return Err(d.fail(format!("a comment gave {}", condition.as_str())));
    }
    report.ok(
        "stream-error",
        format!("a comment: <{}/>, then the close", condition.as_str()),
    );

    // An unknown host, 4096 bytes at a time.
    let mut e = Conn::connect(port, "nobody@unknown.test", 4096)?;
    e.open("unknown.test")?;
    let condition = stream_error(&mut e)?;
    if condition != StreamCondition::HostUnknown {
        return Err(e.fail(format!("an unknown host gave {}", condition.as_str())));
    }
    report.ok("host-unknown", "to='unknown.test': <host-unknown/>");

    let mut streams = 0;
    let mut bytes = 0;
    let mut elements = 0;
    let mut recorded = Vec::new();
    for mut conn in [a, b, c, c2, d, e].into_iter().chain(others) {
        let (s, n) = conn.check_rechunked()?;
        streams += s;
        bytes += n;
        elements += conn.elements;
        recorded.append(&mut conn.recorded);
    }
    report.ok(
        "every-element",
        format!(
            "{elements} elements framed, parsed, typed and round-tripped; \
             {streams} streams ({bytes} bytes) framed again whole and byte by byte"
        ),
    );
    Ok((report.checks, recorded))
}

/// A JID we write ourselves.
fn jid(conn: &Conn, s: &str) -> Result<Jid> {
    Jid::new(s).map_err(|e| conn.fail(format!("xmpp-jid refuses {s}: {e}")))
}

/// Checks that `features` offers each of `want` and no STARTTLS
/// requirement; returns the offered mechanisms as text.
fn mechanisms(conn: &Conn, features: &StreamFeatures, want: &[Mechanism]) -> Result<String> {
    let offered = features.mechanisms.clone().unwrap_or_default();
    for m in want {
        if !offered.iter().any(|o| o == m.name()) {
            return Err(conn.fail(format!("{} not offered: {features:?}", m.name())));
        }
    }
    if features.tls_required() {
        return Err(conn.fail("STARTTLS required despite the configuration"));
    }
    Ok(offered.join(", "))
}

/// A SASL exchange that must succeed.
fn login(conn: &mut Conn, mechanism: Mechanism, user: &str, password: &str) -> Result {
    match conn.authenticate(mechanism, user, password)? {
        Ok(()) => Ok(()),
        Err(c) => Err(conn.fail(format!("{}: <failure><{}/>", mechanism.name(), c.as_str()))),
    }
}

/// A SASL exchange that must fail with `not-authorized`.
fn expect_refused(conn: &mut Conn, mechanism: Mechanism, user: &str, password: &str) -> Result {
    match conn.authenticate(mechanism, user, password)? {
        Err(SaslCondition::NotAuthorized) => Ok(()),
        Err(c) => Err(conn.fail(format!("wrong password: <{}/>", c.as_str()))),
        Ok(()) => Err(conn.fail("a wrong password was accepted")),
    }
}

/// Resource binding (RFC 6120 §7): the bound JID, parsed by xmpp-jid,
/// must be the account's with the resource asked for.
fn bind(conn: &mut Conn, features: &StreamFeatures, resource: &str) -> Result<FullJid> {
    if !features.bind {
        return Err(conn.fail(format!("no bind feature after SASL: {features:?}")));
    }
    let request = Bind::Request(Some(resource.to_owned())).to_element();
    let bound = conn.iq_result::<Bind>(Iq::set(StanzaNs::Client, "", request))?;
    let Some(Bind::Result(full)) = bound else {
        return Err(conn.fail(format!("bind result without a JID: {bound:?}")));
    };
    let reparsed = FullJid::new(full.as_str())
        .map_err(|e| conn.fail(format!("bound JID {full} does not parse: {e}")))?;
    if reparsed != full || full.resourcepart() != resource {
        return Err(conn.fail(format!("bound {full}, asked for resource {resource}")));
    }
    Ok(full)
}

/// RFC 6121 §2: the roster is empty, adding `contact` gives a result and
/// a push, and the roster then holds it.
fn roster_checks(conn: &mut Conn, contact: &str) -> Result<String> {
    let get = || Iq::get(StanzaNs::Client, "", Roster::default().to_element());
    let roster = conn.iq_result::<Roster>(get())?.unwrap_or_default();
    if !roster.items.is_empty() {
        return Err(conn.fail(format!("a new account's roster has items: {roster:?}")));
    }
    let contact = jid(conn, &format!("{contact}@{HOST}"))?;
    let mut item = RosterItem::new(contact.clone());
    item.name = Some("Bob".to_owned());
    item.groups = vec!["Friends".to_owned()];
    let mut set = Roster::default();
    set.items.push(item);
    conn.iq_result::<Roster>(Iq::set(StanzaNs::Client, "", set.to_element()))?;
    let push = roster_push(conn)?;
    let pushed = push
        .payload()
        .map(Roster::from_element)
        .transpose()
        .map_err(|e| conn.fail(format!("roster push: {e}")))?
        .unwrap_or_default();
    // The push must be acknowledged (RFC 6121 §2.1.6).
    if let Some(ack) = push.make_result(None) {
        conn.send(&Stanza::Iq(ack))?;
    }
    let roster = conn.iq_result::<Roster>(get())?.unwrap_or_default();
    let ok = |r: &Roster| {
        matches!(r.items.as_slice(), [i] if i.jid == contact
            && i.name.as_deref() == Some("Bob")
            && i.groups == ["Friends"])
    };
    if !ok(&pushed) || !ok(&roster) {
        return Err(conn.fail(format!(
            "roster after the set: push {pushed:?}, get {roster:?}"
        )));
    }
    Ok(format!(
        "empty roster; set {contact} (push acknowledged); get: 1 item, subscription {}",
        roster
            .items
            .first()
            .and_then(|i| i.subscription)
            .map_or("none", |s| s.as_str())
    ))
}

/// Initial presence (RFC 6121 §4.2): the server broadcasts it to the
/// user's available resources, the sender included.
fn initial_presence(conn: &mut Conn, me: &FullJid) -> Result<String> {
    let presence = Presence::new(StanzaNs::Client, PresenceType::Available)
        .with_status(None, "testing")
        .with_priority(1);
    conn.send(&Stanza::Presence(presence))?;
    let echo = conn.wait_for(|s| match s {
        Stanza::Presence(p) if p.header.from.as_ref().map(Jid::as_str) == Some(me.as_str()) => {
            Some(p.clone())
        }
        _ => None,
    })?;
    if echo.type_ != PresenceType::Available || echo.priority() != 1 {
        return Err(conn.fail(format!("own presence came back changed: {echo:?}")));
    }
    Ok(format!(
        "initial presence, echoed from {me} with its status"
    ))
}

/// XEP-0030 disco#info of the server, and XEP-0115: the `ver` of the caps
/// in the stream features is the hash of the disco#info result, which is
/// also given for the `node#ver` node.
fn caps_check(conn: &mut Conn, server: &Jid, features: &StreamFeatures) -> Result<String> {
    let query = |node: Option<String>| {
        let mut info = DiscoInfo::default();
        info.node = node;
        Iq::get(StanzaNs::Client, "", info.to_element()).with_to(server.clone())
    };
    let info = conn
        .iq_result::<DiscoInfo>(query(None))?
        .ok_or_else(|| conn.fail("disco#info result without a query"))?;
    for want in [DISCO_INFO_NS, PING_NS] {
        if !info.features.iter().any(|f| f == want) {
            return Err(conn.fail(format!("disco#info lacks {want}: {info:?}")));
        }
    }
    if !info
        .identities
        .iter()
        .any(|i| i.category == "server" && i.type_ == "im")
    {
        return Err(conn.fail(format!("no server/im identity: {info:?}")));
    }
    let summary = format!(
        "{} identities, {} features, {} forms",
        info.identities.len(),
        info.features.len(),
        info.forms.len()
    );
    let Some(caps) = features.other.iter().find(|e| Caps::matches(e)) else {
        return Ok(format!("{summary}; no caps in the stream features"));
    };
    let caps = Caps::from_element(caps).map_err(|e| conn.fail(format!("caps: {e}")))?;
    let ver = |conn: &Conn, info: &DiscoInfo| match info.caps_ver(&caps.hash) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(conn.fail(format!("no caps ver for {info:?}: {e}"))),
        None => Err(conn.fail(format!("caps hash {} unsupported", caps.hash))),
    };
    let ours = ver(conn, &info)?;
    conn.note_caps_ver(&caps.ver);
    if ours != caps.ver {
        let s = info.caps_string().unwrap_or_default();
        return Err(conn.fail(format!(
            "caps ver: Prosody says {}, we compute {ours} from {s}",
            caps.ver
        )));
    }
    let node = format!("{}#{}", caps.node, caps.ver);
    let by_node = conn
        .iq_result::<DiscoInfo>(query(Some(node.clone())))?
        .ok_or_else(|| conn.fail("disco#info node result without a query"))?;
    if by_node.node.as_deref() != Some(node.as_str()) || ver(conn, &by_node)? != caps.ver {
        return Err(conn.fail(format!("disco#info of {node} differs: {by_node:?}")));
    }
    conn.note_caps_ver(&caps.ver);
    Ok(format!(
        "{summary}; caps {} ver {} verified, also for its node",
        caps.hash, caps.ver
    ))
}

/// RFC 6120 §8.3: iqs to entities that do not exist come back typed.
fn stanza_errors(conn: &mut Conn, contact: &str) -> Result<String> {
    let mut seen = Vec::new();
    for to in [
        format!("nobody@{HOST}"),
        format!("{contact}@{HOST}/no-such-resource"),
    ] {
        let target = jid(conn, &to)?;
        // Not a ping: Prosody answers pings to any bare JID of its hosts.
        let version = Element::new("query", "jabber:iq:version");
        let request = Iq::get(StanzaNs::Client, "", version).with_to(target.clone());
        let answer = conn.iq(request)?;
        let error = match answer.error() {
            Some(Ok(e)) if answer.type_ == IqType::Error => e,
            other => {
                return Err(conn.fail(format!("iq to {to}: expected an error, got {other:?}")));
            }
        };
        if answer.header.from.as_ref() != Some(&target)
            || !matches!(
                error.condition,
                DefinedCondition::ServiceUnavailable
                    | DefinedCondition::ItemNotFound
                    | DefinedCondition::RecipientUnavailable
            )
        {
            return Err(conn.fail(format!("iq to {to}: unexpected error {answer:?}")));
        }
        seen.push(format!(
            "{to}: <{}/> type {}",
            error.condition.as_str(),
            error.type_.as_str()
        ));
    }
    let to = format!("nobody@{HOST}");
    let id = conn.id();
    let message = Message::chat(StanzaNs::Client, jid(conn, &to)?, "anyone?").with_id(id.clone());
    conn.send(&Stanza::Message(message))?;
    let error = conn.wait_for(|s| match s {
        Stanza::Message(m) if m.header.id.as_deref() == Some(id.as_str()) => m.error(),
        _ => None,
    })?;
    match error {
        Ok(e) if e.condition == DefinedCondition::ServiceUnavailable => {
            seen.push(format!("message to {to}: <{}/>", e.condition.as_str()));
        }
        other => return Err(conn.fail(format!("message to {to}: {other:?}"))),
    }
    // A malformed address: Prosody's error reply comes from it, so it is
    // no valid stanza for us (RFC 6120 §8.1.2.1 wants a JID there); it
    // must come back whole, its <error/> readable, and get no reply.
    let id = conn.id();
    conn.send_raw(&format!(
        "<message to='a@@b' id='{id}' type='chat'><body>x</body></message>"
    ))?;
    let invalid = conn.next_invalid()?;
    let e = &invalid.element;
    let error = e
        .get_child("error", CLIENT_NS)
        .map(StanzaError::from_element);
    let condition = invalid.error.condition();
    let reply_condition = match &error {
        Some(Ok(err)) => err.condition.as_str(),
        _ => "",
    };
    if e.attr("id") != Some(id.as_str())
        || e.attr("type") != Some("error")
        || condition != DefinedCondition::JidMalformed
        || reply_condition != "jid-malformed"
        || invalid.error_reply().is_some()
    {
        return Err(conn.fail(format!("message to a@@b: unexpected answer {invalid:?}")));
    }
    seen.push(format!(
        "message to a@@b: <{reply_condition}/> from='a@@b', read as an invalid stanza \
         ({condition}) kept whole"
    ));
    Ok(seen.join("; "))
}

/// Large messages through Prosody, read through 13-byte reads with
/// [`Limits::relayed`](xmpp_stream::Limits::relayed): Prosody accepts
/// stanzas of up to 256 KiB as sent (its `c2s_stanza_size_limit`, also the
/// framer's default) but escapes `'` and `"` in text when it relays them,
/// so one of 50,000 apostrophes reaches bob as about 300 KB, over the
/// default limit and within the relayed one. Both must arrive whole.
fn large_message(a: &mut Conn, b: &mut Conn, b_jid: &FullJid) -> Result<String> {
    let mut seen = Vec::new();
    for body in ["'\"&<>\u{fc}\u{1F339} ".repeat(7000), "'".repeat(50_000)] {
        let id = a.id();
        let to = jid(a, &b_jid.to_bare().into_string())?;
        let message = Message::chat(StanzaNs::Client, to, &body).with_id(id.clone());
        let sent = a.send(&Stanza::Message(message))?;
        let got = b.wait_for(|s| match s {
            Stanza::Message(m) if m.header.id.as_deref() == Some(id.as_str()) => Some(m.clone()),
            _ => None,
        })?;
        if got.body(None).as_deref() != Some(body.as_str()) {
            return Err(b.fail("a large message's body arrived changed"));
        }
        seen.push(format!(
            "{} characters: {sent} bytes sent, {} relayed",
            body.chars().count(),
            b.last_received_len()
        ));
    }
    Ok(format!("{}; bodies intact", seen.join("; ")))
}

/// RFC 6121 §3: alice subscribes to bob, bob approves; alice gets the
/// roster push (subscription `to`, acknowledged) and bob's presence with
/// its XEP-0203 delay.
fn subscription(a: &mut Conn, b: &mut Conn, a_jid: &FullJid, b_jid: &FullJid) -> Result<String> {
    let a_bare = jid(a, &a_jid.to_bare().into_string())?;
    let b_bare = jid(a, &b_jid.to_bare().into_string())?;
    let subscribe =
        Presence::new(StanzaNs::Client, PresenceType::Subscribe).with_to(b_bare.clone());
    a.send(&Stanza::Presence(subscribe))?;
    b.wait_for(|s| match s {
        Stanza::Presence(p)
            if p.type_ == PresenceType::Subscribe && p.header.from.as_ref() == Some(&a_bare) =>
        {
            Some(())
        }
        _ => None,
    })?;
    let approve = Presence::new(StanzaNs::Client, PresenceType::Subscribed).with_to(a_bare);
    b.send(&Stanza::Presence(approve))?;
    let mut pushes = 0;
    loop {
        let push = roster_push(a)?;
        pushes += 1;
        if let Some(ack) = push.make_result(None) {
            a.send(&Stanza::Iq(ack))?;
        }
        let roster = push
            .payload()
            .map(Roster::from_element)
            .transpose()
            .map_err(|e| a.fail(format!("roster push: {e}")))?
            .unwrap_or_default();
        let to = roster
            .items
            .iter()
            .any(|i| i.jid == b_bare && i.subscription == Some(Subscription::To));
        if to {
            break;
        }
    }
    let presence = a.wait_for(|s| match s {
        Stanza::Presence(p)
            if p.type_ == PresenceType::Available
                && p.header.from.as_ref().map(Jid::as_str) == Some(b_jid.as_str()) =>
        {
            Some(p.clone())
        }
        _ => None,
    })?;
    let delay = match presence.payload("delay", DELAY_NS).map(Delay::from_element) {
        Some(Ok(d)) if is_datetime(&d.stamp) => format!(", delayed since {}", d.stamp),
        Some(other) => return Err(a.fail(format!("bad delay: {other:?}"))),
        None => String::new(),
    };
    Ok(format!(
        "subscribe, subscribed; {pushes} roster pushes, the last subscription 'to'; \
         presence of {b_jid}{delay}"
    ))
}

/// Reads a `<stream:error/>`, Prosody's close and the end of input.
fn stream_error(conn: &mut Conn) -> Result<StreamCondition> {
    let condition = match conn.next_nonza()? {
        Nonza::StreamError(e) => e.condition,
        Nonza::Features(_) => match conn.next_nonza()? {
            Nonza::StreamError(e) => e.condition,
            other => return Err(conn.fail(format!("expected a stream error, got {other:?}"))),
        },
        other => return Err(conn.fail(format!("expected a stream error, got {other:?}"))),
    };
    conn.expect_close()?;
    Ok(condition)
}

/// Waits on `conn` for the next roster push (RFC 6121 §2.1.6): an iq set
/// whose payload is a roster query.
fn roster_push(conn: &mut Conn) -> Result<Iq> {
    conn.wait_for(|s| match s {
        Stanza::Iq(iq) if iq.type_ == IqType::Set => iq
            .payload()
            .filter(|p| p.is("query", ROSTER_NS))
            .map(|_| iq.clone()),
        _ => None,
    })
}
