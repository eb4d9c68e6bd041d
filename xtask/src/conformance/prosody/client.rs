//! The checks against the running Prosody, in order; one line each. Each
//! connection is an `xmpp-session` [`Client`](xmpp_session::Client) run by
//! the blocking driver of [`session`](super::session); a check asks for
//! its events and looks at what the [`Tap`](super::tap::Tap) saw.
//!
//! alice (example.test) is refused with a wrong password under SCRAM-SHA-1,
//! then authenticates with it, binds a resource full of characters XML
//! escapes, reads and edits her roster, sends presence; bob authenticates
//! with PLAIN (after a wrong password too) and receives alice's messages,
//! a short one and one of 224 KB; alice subscribes to bob's presence; she
//! pings the server, reads its disco#info and verifies the XEP-0115 caps
//! hash of its stream features, and gets stanza errors for entities that
//! do not exist and for a malformed address. alice on sha256.example.test
//! uses SCRAM-SHA-256, then loses her session to a second one binding the
//! same resource (`conflict`); `a,b=c`, with a password SASLprep maps,
//! logs in with each mechanism; two more connections provoke stream errors
//! (a comment, an unknown host). Then XEP-0198 ([`super::sm`]) and a
//! STARTTLS login ([`super::starttls`]). Each connection reads Prosody's
//! bytes in chunks of its own size, and every stream is framed again at
//! the end.

use std::time::Instant;

use xmpp_jid::{BareJid, FullJid, Jid};
use xmpp_sasl::{Hash, Mechanism};
use xmpp_session::{ClientConfig, SmConfig, TlsPolicy};
use xmpp_stanza::{
    CLIENT_NS, Caps, DELAY_NS, DISCO_INFO_NS, DefinedCondition, Delay, DiscoInfo, Element, Iq,
    IqType, Message, MessageType, PING_NS, Payload, Ping, Presence, PresenceType, ROSTER_NS,
    Roster, RosterItem, Stanza, StanzaError, StanzaNs, StreamCondition, Subscription, is_datetime,
};
use xmpp_stream::Limits;

use super::app::{authenticated, bind, expect_refused, features, jid, mechanisms};
use super::session::Session;
use super::tap::Recorded;
use super::tls::Certificate;
use super::{HOST, HOST_SHA256, USERS};
use crate::util::Result;

pub(super) const SCRAM_SHA_1: Mechanism = Mechanism::Scram {
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
pub(super) struct Report {
    checks: usize,
    since: Instant,
}

impl Report {
    pub(super) fn ok(&mut self, name: &str, detail: impl AsRef<str>) {
        self.checks += 1;
        eprintln!(
            "  ok {name:<16} {} ({} ms)",
            detail.as_ref(),
            self.since.elapsed().as_millis()
        );
    }
}

/// A client of `user@host` for the plaintext checks: no TLS (the
/// configuration allows it, PLAIN included), `mechanism` only, no stream
/// management (the XEP-0198 checks have their own sessions), and the
/// framing limits of what Prosody relays ([`Limits::relayed`]: Prosody
/// may write a stanza up to six times the size it accepted).
pub(super) fn config(
    user: &str,
    host: &str,
    password: &str,
    mechanism: Mechanism,
) -> Result<ClientConfig> {
    let jid = BareJid::new(&format!("{user}@{host}"))
        .map_err(|e| format!("xmpp-jid refuses {user}@{host}: {e}"))?;
    let mut config = ClientConfig::new(jid, password)
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true)
        .mechanisms([mechanism])
        .sm(SmConfig::off());
    config.limits = Limits::relayed();
    Ok(config)
}

/// Runs every check against Prosody on `port` (`certificate` is its
/// TLS certificate); the number that passed and every element received,
/// as vector cases.
pub(super) fn run(port: u16, certificate: &Certificate) -> Result<(usize, Vec<Recorded>)> {
    let mut report = Report {
        checks: 0,
        since: Instant::now(),
    };
    let [(alice, alice_pw), (bob, bob_pw), (odd, odd_pw)] = USERS;
    let connect = |name: &str, chunk, config| Session::connect(port, name, chunk, config, None);
    let mut done = Vec::new();

    // alice: read one byte at a time.
    let mut a0 = connect(
        &format!("{alice}@{HOST} wrong password"),
        1,
        config(alice, HOST, "not-her-password", SCRAM_SHA_1)?,
    )?;
    expect_refused(&mut a0)?;
    let offered = mechanisms(&a0, &[SCRAM_SHA_1, Mechanism::Plain])?;
    report.ok("features", format!("{HOST} offers {offered}"));
    report.ok(
        "sasl-failure",
        "SCRAM-SHA-1, wrong password: <not-authorized/>, then the close",
    );
    done.push(a0);
    let mut a = connect(
        &format!("{alice}@{HOST}"),
        1,
        config(alice, HOST, alice_pw, SCRAM_SHA_1)?.resource(ALICE_RESOURCE),
    )?;
    authenticated(&mut a, SCRAM_SHA_1)?;
    report.ok(
        "scram-sha-1",
        "SCRAM-SHA-1 on a new stream: server signature verified",
    );
    let a_jid = bind(&mut a, ALICE_RESOURCE)?;
    report.ok("bind", format!("restarted stream, bound {a_jid}"));
    let roster = roster_checks(&mut a, bob)?;
    report.ok("roster", roster);
    let echo = initial_presence(&mut a, &a_jid)?;
    report.ok("presence", echo);

    // bob: PLAIN, 13 bytes at a time.
    let mut b0 = connect(
        &format!("{bob}@{HOST} wrong password"),
        13,
        config(bob, HOST, "not-his-password", Mechanism::Plain)?,
    )?;
    expect_refused(&mut b0)?;
    mechanisms(&b0, &[Mechanism::Plain])?;
    done.push(b0);
    let mut b = connect(
        &format!("{bob}@{HOST}"),
        13,
        config(bob, HOST, bob_pw, Mechanism::Plain)?.resource("conformance-b"),
    )?;
    authenticated(&mut b, Mechanism::Plain)?;
    let b_jid = bind(&mut b, "conformance-b")?;
    initial_presence(&mut b, &b_jid)?;
    report.ok(
        "plain",
        format!("PLAIN refused with a wrong password, then bound {b_jid}"),
    );

    let body = "Wherefore art thou? <&> 'ümlaut' \u{1F339}";
    let id = a.id();
    let to = jid(&a, &b_jid.to_bare().into_string())?;
    a.send(Stanza::Message(
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

    let caps = caps_check(&mut a, &server)?;
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
    let mut c = connect(
        &format!("{alice}@{HOST_SHA256}"),
        7,
        config(alice, HOST_SHA256, alice_pw, SCRAM_SHA_256)?.resource("conformance-c"),
    )?;
    authenticated(&mut c, SCRAM_SHA_256)?;
    let c_jid = bind(&mut c, "conformance-c")?;
    let offered = mechanisms(&c, &[SCRAM_SHA_256, Mechanism::Plain])?;
    report.ok(
        "scram-sha-256",
        format!("{HOST_SHA256} offers {offered}; bound {c_jid}"),
    );

    // The same resource again: Prosody replaces the first session
    // (RFC 6120 §7.7.2.2), which gets a conflict stream error.
    let mut c2 = connect(
        &format!("{alice}@{HOST_SHA256} again"),
        3,
        config(alice, HOST_SHA256, alice_pw, SCRAM_SHA_256)?.resource("conformance-c"),
    )?;
    bind(&mut c2, "conformance-c")?;
    let condition = c.stream_error()?;
    if condition != StreamCondition::Conflict {
        return Err(c.fail(format!("replaced session got {}", condition.as_str())));
    }
    c2.close()?;
    report.ok(
        "conflict",
        format!("{c_jid} bound again: the first session gets <conflict/>"),
    );

    // SCRAM escaping and SASLprep, with each mechanism.
    for (host, mechanism, chunk) in [
        (HOST, SCRAM_SHA_1, 5),
        (HOST_SHA256, SCRAM_SHA_256, 11),
        (HOST, Mechanism::Plain, 17),
    ] {
        let config = config(odd, host, odd_pw, mechanism)?.resource("prep");
        let mut f = connect(&format!("{odd}@{host}"), chunk, config)?;
        authenticated(&mut f, mechanism)?;
        bind(&mut f, "prep")?;
        f.close()?;
        done.push(f);
    }
    report.ok(
        "sasl-prep",
        format!("{odd} (escaped by SCRAM), password mapped by SASLprep: SCRAM-SHA-1, SCRAM-SHA-256, PLAIN"),
    );

    // Stream errors: a comment (RFC 6120 §11.1), 2 bytes at a time.
    let mut d = connect(
        &format!("{alice}@{HOST} comment"),
        2,
        config(alice, HOST, alice_pw, SCRAM_SHA_1)?,
    )?;
    d.bound()?;
    d.send_raw("<!-- comments are restricted XML -->")?;
    let condition = d.stream_error()?;
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
    let mut e = connect(
        "nobody@unknown.test",
        4096,
        config("nobody", "unknown.test", "-", SCRAM_SHA_1)?,
    )?;
    let condition = e.stream_error()?;
    if condition != StreamCondition::HostUnknown {
        return Err(e.fail(format!("an unknown host gave {}", condition.as_str())));
    }
    report.ok("host-unknown", "to='unknown.test': <host-unknown/>");
    done.extend([a, b, c, c2, d, e]);

    done.extend(super::sm::run(port, &mut report)?);
    done.extend(super::starttls::run(port, certificate, &mut report)?);

    let mut streams = 0;
    let mut bytes = 0;
    let mut elements = 0;
    let mut recorded = Vec::new();
    for mut conn in done {
        let (s, n) = conn.tap.check_rechunked()?;
        streams += s;
        bytes += n;
        elements += conn.tap.elements;
        recorded.append(&mut conn.tap.recorded);
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

/// RFC 6121 §2: the roster is empty, adding `contact` gives a result and
/// a push, and the roster then holds it.
fn roster_checks(conn: &mut Session, contact: &str) -> Result<String> {
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
        conn.send(Stanza::Iq(ack))?;
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
fn initial_presence(conn: &mut Session, me: &FullJid) -> Result<String> {
    let presence = Presence::new(StanzaNs::Client, PresenceType::Available)
        .with_status(None, "testing")
        .with_priority(1);
    conn.send(Stanza::Presence(presence))?;
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
fn caps_check(conn: &mut Session, server: &Jid) -> Result<String> {
    let features = features(conn, 1)?;
    let query = |node: Option<String>| {
        let mut info = DiscoInfo::default();
        info.node = node;
        Iq::get(StanzaNs::Client, "", info.to_element()).with_to(server.clone())
    };
    let answer = conn.iq(query(None))?;
    let info = conn
        .payload::<DiscoInfo>(&answer)?
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
    let ver = |conn: &Session, info: &DiscoInfo| match info.caps_ver(&caps.hash) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(conn.fail(format!("no caps ver for {info:?}: {e}"))),
        None => Err(conn.fail(format!("caps hash {} unsupported", caps.hash))),
    };
    let ours = ver(conn, &info)?;
    conn.tap.note_caps_ver(answer.id(), &caps.ver);
    if ours != caps.ver {
        let s = info.caps_string().unwrap_or_default();
        return Err(conn.fail(format!(
            "caps ver: Prosody says {}, we compute {ours} from {s}",
            caps.ver
        )));
    }
    let node = format!("{}#{}", caps.node, caps.ver);
    let answer = conn.iq(query(Some(node.clone())))?;
    let by_node = conn
        .payload::<DiscoInfo>(&answer)?
        .ok_or_else(|| conn.fail("disco#info node result without a query"))?;
    if by_node.node.as_deref() != Some(node.as_str()) || ver(conn, &by_node)? != caps.ver {
        return Err(conn.fail(format!("disco#info of {node} differs: {by_node:?}")));
    }
    conn.tap.note_caps_ver(answer.id(), &caps.ver);
    Ok(format!(
        "{summary}; caps {} ver {} verified, also for its node",
        caps.hash, caps.ver
    ))
}

/// RFC 6120 §8.3: iqs to entities that do not exist come back typed.
fn stanza_errors(conn: &mut Session, contact: &str) -> Result<String> {
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
    conn.send(Stanza::Message(message))?;
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
    let before = conn.tap.invalid.len();
    conn.wait_until(|c| c.tap.invalid.len() > before)?;
    let invalid = conn
        .tap
        .invalid
        .last()
        .cloned()
        .ok_or("no invalid stanza")?;
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
fn large_message(a: &mut Session, b: &mut Session, b_jid: &FullJid) -> Result<String> {
    let mut seen = Vec::new();
    for body in ["'\"&<>\u{fc}\u{1F339} ".repeat(7000), "'".repeat(50_000)] {
        let id = a.id();
        let to = jid(a, &b_jid.to_bare().into_string())?;
        let message = Message::chat(StanzaNs::Client, to, &body).with_id(id.clone());
        let sent = a.send(Stanza::Message(message))?;
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
            b.tap.last_len
        ));
    }
    Ok(format!("{}; bodies intact", seen.join("; ")))
}

/// RFC 6121 §3: alice subscribes to bob, bob approves; alice gets the
/// roster push (subscription `to`, acknowledged) and bob's presence with
/// its XEP-0203 delay.
fn subscription(
    a: &mut Session,
    b: &mut Session,
    a_jid: &FullJid,
    b_jid: &FullJid,
) -> Result<String> {
    let a_bare = jid(a, &a_jid.to_bare().into_string())?;
    let b_bare = jid(a, &b_jid.to_bare().into_string())?;
    let subscribe =
        Presence::new(StanzaNs::Client, PresenceType::Subscribe).with_to(b_bare.clone());
    a.send(Stanza::Presence(subscribe))?;
    b.wait_for(|s| match s {
        Stanza::Presence(p)
            if p.type_ == PresenceType::Subscribe && p.header.from.as_ref() == Some(&a_bare) =>
        {
            Some(())
        }
        _ => None,
    })?;
    let approve = Presence::new(StanzaNs::Client, PresenceType::Subscribed).with_to(a_bare);
    b.send(Stanza::Presence(approve))?;
    let mut pushes = 0;
    loop {
        let push = roster_push(a)?;
        pushes += 1;
        if let Some(ack) = push.make_result(None) {
            a.send(Stanza::Iq(ack))?;
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

/// Waits on `conn` for the next roster push (RFC 6121 §2.1.6): an iq set
/// whose payload is a roster query.
fn roster_push(conn: &mut Session) -> Result<Iq> {
    conn.wait_for(|s| match s {
        Stanza::Iq(iq) if iq.type_ == IqType::Set => iq
            .payload()
            .filter(|p| p.is("query", ROSTER_NS))
            .map(|_| iq.clone()),
        _ => None,
    })
}
