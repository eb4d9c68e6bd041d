//! The catalogue. Raw checks (suite `stream`) speak before TLS, where RFC
//! 6120 puts every header rule and most stream errors; the others log in
//! with the session machine as a well-behaved client would, then misbehave
//! on purpose through it.

use std::time::{Duration, Instant};

use xmpp_jid::{FullJid, Jid};
use xmpp_sasl::{Hash, Mechanism};
use xmpp_session::{ClientEvent, Error as SessionError, SmConfig};
use xmpp_stanza::{
    DefinedCondition, Element, Iq, IqType, Message, MessageType, PING_NS, Payload, Presence,
    PresenceType, Roster, RosterItem, Stanza, StanzaNs, Subscription,
};
use xmpp_tokio::{ClientSession, ClientSessionEvent, ConnectOptions};

use super::raw::{Answer, Raw, header};
use super::{Outcome, Report, Target};

/// How long a logged-in exchange may take.
const STEP: Duration = Duration::from_secs(8);
/// Silence after which a raw answer is taken as complete.
const QUIET: Duration = Duration::from_millis(1500);

fn report(
    id: &'static str,
    section: &'static str,
    level: &'static str,
    outcome: Outcome,
    detail: impl Into<String>,
) -> Report {
    super::report(id, section, level, (outcome, detail.into()))
}

pub(crate) async fn run_all(target: &Target, suites: &[String]) -> Vec<Report> {
    let target = &login_policy(target, suites).await;
    let mut out = Vec::new();
    for suite in suites {
        match suite.as_str() {
            "stream" => stream_suite(target, &mut out).await,
            "sasl" => sasl_suite(target, &mut out).await,
            "bind" => bind_suite(target, &mut out).await,
            "stanza" => stanza_suite(target, &mut out).await,
            "im" => im_suite(target, &mut out).await,
            "sm" => sm_suite(target, &mut out).await,
            _ => {}
        }
    }
    out
}

/// The target the logged-in suites use: `target` itself when the client's
/// own choice logs in (or no suite logs in), else the same with the
/// mechanisms without `-PLUS` when they log in (see
/// [`Target::mechanisms`]).
async fn login_policy(target: &Target, suites: &[String]) -> Target {
    if target.mechanisms.is_some() || suites.iter().all(|s| s == "stream") {
        return target.clone();
    }
    let first = match login(target, 0, |c| c).await {
        Ok(l) => {
            l.close().await;
            return target.clone();
        }
        Err(e) => e,
    };
    let unbound = Target {
        mechanisms: Some(super::unbound_mechanisms()),
        ..target.clone()
    };
    match login(&unbound, 0, |c| c).await {
        Ok(l) => {
            eprintln!(
                "xmpp probe: the client's own choice cannot log in ({first}); \
                 logging in without -PLUS ({}) from here on",
                l.mechanism
            );
            l.close().await;
            unbound
        }
        Err(_) => target.clone(),
    }
}

/// Sends `bytes` on a new plain connection and reads the answer.
async fn exchange(target: &Target, bytes: &[u8]) -> Result<Answer, String> {
    let mut raw = Raw::open(&target.server)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    raw.send(bytes).await;
    raw.read(QUIET, |a| a.stream_error.is_some()).await;
    // The close that follows a stream error.
    raw.read(Duration::from_millis(500), |_| false).await;
    Ok(raw.answer().clone())
}

/// A check that the server closes with a stream error: pass for
/// `expected`, warn for another condition (where RFC 6120 says the
/// condition SHOULD be `expected`), fail for none.
async fn expect_error(
    target: &Target,
    id: &'static str,
    section: &'static str,
    bytes: String,
    expected: &str,
    other_is_warn: bool,
) -> Report {
    let mut r = match exchange(target, bytes.as_bytes()).await {
        Err(e) => report(id, section, "MUST", Outcome::Fail, e),
        Ok(a) => {
            let (outcome, detail) = match &a.stream_error {
                Some(c) if c == expected => (Outcome::Pass, format!("<{c}/>")),
                Some(c) if other_is_warn => (
                    Outcome::Warn,
                    format!("closed with <{c}/>, RFC 6120 names <{expected}/>"),
                ),
                Some(c) => (Outcome::Fail, format!("<{c}/> instead of <{expected}/>")),
                None if a.eof && !a.closed => (
                    Outcome::Fail,
                    "the connection dropped without a stream error".to_owned(),
                ),
                None => (
                    Outcome::Fail,
                    format!(
                        "no stream error (closed: {}, silent: {})",
                        a.closed, a.silent
                    ),
                ),
            };
            let mut r = report(id, section, "MUST", outcome, detail);
            r.received = truncate(&a.received);
            r
        }
    };
    r.sent = truncate(&bytes);
    r
}

fn truncate(s: &str) -> String {
    const MAX: usize = 600;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", s.get(..end).unwrap_or_default(), s.len())
}

async fn stream_suite(t: &Target, out: &mut Vec<Report>) {
    let d = &t.domain;
    // The response header and the features (RFC 6120 §4.7, §4.3.2).
    let hello = header(d);
    match exchange(t, hello.as_bytes()).await {
        Err(e) => out.push(report(
            "stream-header",
            "RFC 6120 §4.7",
            "MUST",
            Outcome::Fail,
            e,
        )),
        Ok(a) => {
            let h = a.header.as_ref();
            let check = |ok: bool, yes: String, no: String| {
                if ok {
                    (Outcome::Pass, yes)
                } else {
                    (Outcome::Fail, no)
                }
            };
            let version = h.and_then(|h| h.version()).map(str::to_owned);
            let (o, d1) = check(
                version.as_deref().is_some_and(|v| v.starts_with("1.")),
                format!("version {}", version.clone().unwrap_or_default()),
                format!("version {version:?}"),
            );
            out.push(report("stream-version", "RFC 6120 §4.7.5", "MUST", o, d1));
            let id = h.and_then(|h| h.id()).map(str::to_owned);
            let (o, d2) = check(
                id.as_deref().is_some_and(|i| !i.is_empty()),
                "a stream id".into(),
                "no stream id".into(),
            );
            out.push(report("stream-id", "RFC 6120 §4.7.3", "MUST", o, d2));
            let from = h.and_then(|h| h.from()).map(str::to_owned);
            let (o, d3) = check(
                from.as_deref() == Some(d.as_str()),
                format!("from='{}'", from.clone().unwrap_or_default()),
                format!("from {from:?}, expected '{d}'"),
            );
            out.push(report("stream-from", "RFC 6120 §4.7.1", "MUST", o, d3));
            let (o, d4) = check(
                a.features().is_some(),
                "stream features".into(),
                "no stream features".into(),
            );
            let mut r = report("stream-features", "RFC 6120 §4.3.2", "MUST", o, d4);
            r.sent = hello.clone();
            r.received = truncate(&a.received);
            out.push(r);
        }
    }
    super::phases::header_checks(t, out).await;
    let ns = "xmlns:stream='http://etherx.jabber.org/streams'";
    let cases: [(&'static str, &'static str, String, &'static str, bool); 10] = [
        (
            "host-unknown",
            "RFC 6120 §4.9.3.6",
            format!(
                "<stream:stream xmlns='jabber:client' {ns} to='unknown.invalid' version='1.0'>"
            ),
            "host-unknown",
            true,
        ),
        (
            "invalid-namespace",
            "RFC 6120 §4.8.1",
            format!(
                "<stream:stream xmlns='jabber:client' xmlns:stream='urn:example:not-streams' to='{d}' version='1.0'>"
            ),
            "invalid-namespace",
            true,
        ),
        (
            "undeclared-prefix",
            "RFC 6120 §4.9.3.2",
            format!("{hello}<foo:message to='a@{d}'><body>x</body></foo:message>"),
            "bad-namespace-prefix",
            true,
        ),
        (
            "restricted-xml-comment",
            "RFC 6120 §11.1",
            format!("{hello}<!-- a comment -->"),
            "restricted-xml",
            true,
        ),
        (
            "restricted-xml-pi",
            "RFC 6120 §11.1",
            format!("{hello}<?pi data?>"),
            "restricted-xml",
            true,
        ),
        (
            "restricted-xml-dtd",
            "RFC 6120 §11.1",
            format!(
                "<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY x 'y'>]>{}",
                hello.trim_start_matches("<?xml version='1.0'?>")
            ),
            "restricted-xml",
            true,
        ),
        (
            "restricted-xml-entity",
            "RFC 6120 §11.1",
            format!("{hello}<message to='a@{d}'><body>&custom;</body></message>"),
            "restricted-xml",
            true,
        ),
        (
            "not-well-formed",
            "RFC 6120 §4.9.3.13",
            format!("{hello}<message><body>x</iq></message>"),
            "not-well-formed",
            true,
        ),
        (
            "unsupported-encoding",
            "RFC 6120 §11.6",
            format!(
                "<?xml version='1.0' encoding='ISO-8859-1'?>{}",
                hello.trim_start_matches("<?xml version='1.0'?>")
            ),
            "unsupported-encoding",
            true,
        ),
        (
            "stanza-before-auth",
            "RFC 6120 §4.3.5",
            format!("{hello}<message to='someone@{d}'><body>early</body></message>"),
            "not-authorized",
            true,
        ),
    ];
    for (id, section, bytes, expected, warn) in cases {
        out.push(expect_error(t, id, section, bytes, expected, warn).await);
    }
    // A higher version (RFC 6120 §4.7.5): answered with the lower one, and
    // the stream goes on.
    let higher = format!("<stream:stream xmlns='jabber:client' {ns} to='{d}' version='2.13'>");
    let mut r = match exchange(t, higher.as_bytes()).await {
        Ok(a) => {
            let version = a
                .header
                .as_ref()
                .and_then(|h| h.version())
                .map(str::to_owned);
            let (o, detail) = match (&a.stream_error, version.as_deref(), a.features()) {
                (None, Some("1.0"), Some(_)) => {
                    (Outcome::Pass, "answered version 1.0 and went on".to_owned())
                }
                (Some(c), v, _) => (
                    Outcome::Fail,
                    format!("closed with <{c}/> (answered version {v:?})"),
                ),
                (None, v, _) => (Outcome::Fail, format!("answered version {v:?}")),
            };
            let mut r = report(
                "stream-version-higher",
                "RFC 6120 §4.7.5",
                "MUST",
                o,
                detail,
            );
            r.received = truncate(&a.received);
            r
        }
        Err(e) => report(
            "stream-version-higher",
            "RFC 6120 §4.7.5",
            "MUST",
            Outcome::Fail,
            e,
        ),
    };
    r.sent = higher;
    out.push(r);
    // Another prefix for the stream namespace (RFC 6120 §4.8.5): a server
    // may accept it, or refuse with bad-namespace-prefix.
    let other = format!(
        "<foobar:stream xmlns='jabber:client' xmlns:foobar='http://etherx.jabber.org/streams' to='{d}' version='1.0'>"
    );
    let mut r = match exchange(t, other.as_bytes()).await {
        Ok(a) => {
            let (o, detail) = match (&a.stream_error, a.features()) {
                (Some(c), _) if c == "bad-namespace-prefix" => (
                    Outcome::Pass,
                    "refused with <bad-namespace-prefix/>".to_owned(),
                ),
                (None, Some(_)) => (
                    Outcome::Pass,
                    "accepted (RFC 6120 §4.8.5 allows either)".to_owned(),
                ),
                (Some(c), _) => (
                    Outcome::Warn,
                    format!("refused with <{c}/>, RFC 6120 names <bad-namespace-prefix/>"),
                ),
                (None, None) => (Outcome::Fail, "neither accepted nor refused".to_owned()),
            };
            let mut r = report("stream-prefix-other", "RFC 6120 §4.8.5", "MUST", o, detail);
            r.received = truncate(&a.received);
            r
        }
        Err(e) => report(
            "stream-prefix-other",
            "RFC 6120 §4.8.5",
            "MUST",
            Outcome::Fail,
            e,
        ),
    };
    r.sent = other;
    out.push(r);
    // Invalid UTF-8 (RFC 6120 §11.6 via XML 1.0 §2.2: not well formed).
    let mut bad = hello.clone().into_bytes();
    bad.extend_from_slice(b"<message><body>\xff\xfe</body></message>");
    let mut r = match exchange(t, &bad).await {
        Ok(a) => match &a.stream_error {
            Some(c) if c == "not-well-formed" || c == "bad-format" => report(
                "invalid-utf8",
                "RFC 6120 §11.6",
                "MUST",
                Outcome::Pass,
                format!("<{c}/>"),
            ),
            Some(c) => report(
                "invalid-utf8",
                "RFC 6120 §11.6",
                "MUST",
                Outcome::Warn,
                format!("<{c}/>"),
            ),
            None => report(
                "invalid-utf8",
                "RFC 6120 §11.6",
                "MUST",
                Outcome::Fail,
                "no stream error",
            ),
        },
        Err(e) => report("invalid-utf8", "RFC 6120 §11.6", "MUST", Outcome::Fail, e),
    };
    r.sent = format!("{hello}<message><body>\\xff\\xfe</body></message>");
    out.push(r);
    // Nesting and size bounds: any stream error, no crash (RFC 6120 §13.12).
    let deep = format!("{hello}<message>{}", "<x>".repeat(20_000));
    out.push(limit_check(t, "deep-nesting", deep).await);
    let big = format!(
        "{hello}<message><body>{}</body></message>",
        "a".repeat(2 * 1024 * 1024)
    );
    out.push(limit_check(t, "too-large-stanza", big).await);
    // The close handshake (RFC 6120 §4.4).
    let mut r = match Raw::open(&t.server).await {
        Err(e) => report(
            "close-handshake",
            "RFC 6120 §4.4",
            "SHOULD",
            Outcome::Fail,
            e.to_string(),
        ),
        Ok(mut raw) => {
            raw.send(hello.as_bytes()).await;
            raw.read(QUIET, |a| a.features().is_some()).await;
            raw.send(b" \n </stream:stream>").await;
            let a = raw.read(QUIET, |_| false).await;
            let (o, detail) = match (a.closed, &a.stream_error) {
                (true, None) => (Outcome::Pass, "closed its stream too".to_owned()),
                (_, Some(c)) => (Outcome::Fail, format!("answered a clean close with <{c}/>")),
                _ => (
                    Outcome::Warn,
                    "did not close its stream in return".to_owned(),
                ),
            };
            let mut r = report("close-handshake", "RFC 6120 §4.4", "SHOULD", o, detail);
            r.received = truncate(&a.received);
            r
        }
    };
    r.sent = format!("{hello} \\n </stream:stream>");
    out.push(r);
    super::phases::stream_checks(t, out).await;
    // The server is still there after all of the above.
    let alive = Raw::open(&t.server).await.is_ok();
    out.push(report(
        "survives-hostile-input",
        "RFC 6120 §13.12",
        "MUST",
        if alive { Outcome::Pass } else { Outcome::Fail },
        if alive {
            "still accepts connections"
        } else {
            "refuses connections now"
        },
    ));
}

/// A bound the server must enforce somehow: a stream error (or a drop)
/// passes; silence fails.
async fn limit_check(t: &Target, id: &'static str, bytes: String) -> Report {
    let mut r = match exchange(t, bytes.as_bytes()).await {
        Ok(a) => {
            let (o, detail) = match (&a.stream_error, a.eof) {
                (Some(c), _) => (Outcome::Pass, format!("<{c}/>")),
                (None, true) => (
                    Outcome::Warn,
                    "dropped the connection without a stream error".into(),
                ),
                (None, false) => (Outcome::Fail, "accepted it silently".into()),
            };
            let mut r = report(id, "RFC 6120 §13.12", "SHOULD", o, detail);
            r.received = truncate(&a.received);
            r
        }
        Err(e) => report(id, "RFC 6120 §13.12", "SHOULD", Outcome::Fail, e),
    };
    r.sent = truncate(&bytes);
    r
}

/// A logged-in client.
struct Logged {
    session: ClientSession,
    jid: FullJid,
    mechanism: String,
}

/// Logs in account `n` with `tweak` applied; the error names the reason.
async fn login(
    t: &Target,
    n: usize,
    tweak: impl FnOnce(xmpp_session::ClientConfig) -> xmpp_session::ClientConfig,
) -> Result<Logged, String> {
    let config = tweak(t.config(n)?);
    let options = ConnectOptions::new(config, t.server.clone(), t.trust());
    let mut session = xmpp_tokio::connect(options)
        .await
        .map_err(|e| e.to_string())?;
    let mut mechanism = String::new();
    let mut failure: Option<SessionError> = None;
    let result = tokio::time::timeout(STEP, async {
        while let Some(e) = session.next_event().await {
            match e {
                ClientSessionEvent::Failed(e) => failure = Some(e),
                ClientSessionEvent::Session(ClientEvent::Authenticated {
                    mechanism: m, ..
                }) => {
                    mechanism = m.name().to_owned();
                }
                ClientSessionEvent::Session(ClientEvent::Bound { jid }) => return Some(jid),
                ClientSessionEvent::Session(ClientEvent::Closed { .. }) => return None,
                _ => {}
            }
        }
        None
    })
    .await;
    match result {
        Ok(Some(jid)) => Ok(Logged {
            session,
            jid,
            mechanism,
        }),
        Ok(None) => Err(failure.map_or("closed before binding".into(), |e| e.to_string())),
        Err(_) => Err("timed out before binding".into()),
    }
}

impl Logged {
    /// The next stanza `pick` accepts within [`STEP`].
    async fn expect<T>(&mut self, mut pick: impl FnMut(&Stanza) -> Option<T>) -> Option<T> {
        tokio::time::timeout(STEP, async {
            while let Some(e) = self.session.next_event().await {
                if let ClientSessionEvent::Session(ClientEvent::Stanza(s)) = e {
                    if let Some(t) = pick(&s) {
                        return Some(t);
                    }
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
    }

    /// Whether nothing `pick` accepts arrives within `wait`.
    async fn nothing(&mut self, wait: Duration, mut pick: impl FnMut(&Stanza) -> bool) -> bool {
        tokio::time::timeout(wait, async {
            while let Some(e) = self.session.next_event().await {
                if let ClientSessionEvent::Session(ClientEvent::Stanza(s)) = e {
                    if pick(&s) {
                        return;
                    }
                }
            }
            std::future::pending::<()>().await;
        })
        .await
        .is_err()
    }

    /// Every stanza until `done` has seen what it waits for, or [`STEP`]
    /// passed; roster pushes are answered on the way (RFC 6121 §2.1.6).
    async fn gather(&mut self, mut done: impl FnMut(&[Stanza]) -> bool) -> Vec<Stanza> {
        let mut got = Vec::new();
        let _ = tokio::time::timeout(STEP, async {
            while let Some(e) = self.session.next_event().await {
                if let ClientSessionEvent::Session(ClientEvent::Stanza(s)) = e {
                    if let Stanza::Iq(iq) = &s {
                        if iq.type_ == IqType::Set {
                            if let Some(result) = iq.make_result(None) {
                                self.session.send(Stanza::Iq(result)).await;
                            }
                        }
                    }
                    got.push(s);
                    if done(&got) {
                        return;
                    }
                }
            }
        })
        .await;
        got
    }

    /// The condition of a stream error that arrives within `wait`, if
    /// one does (stanzas meanwhile are dropped).
    async fn stream_error(&mut self, wait: Duration) -> Option<String> {
        tokio::time::timeout(wait, async {
            while let Some(e) = self.session.next_event().await {
                match e {
                    ClientSessionEvent::Session(ClientEvent::StreamError(e)) => {
                        return Some(e.condition.as_str().to_owned());
                    }
                    ClientSessionEvent::Failed(SessionError::PeerStreamError(e)) => {
                        return Some(e.condition.as_str().to_owned());
                    }
                    _ => {}
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
    }

    async fn close(self) {
        self.session.close().await;
    }
}

/// The roster items of a roster push (an iq set from the account itself,
/// RFC 6121 §2.1.6) for `contact`.
fn pushed(stanzas: &[Stanza], contact: &Jid) -> Vec<RosterItem> {
    stanzas
        .iter()
        .filter_map(|s| match s {
            Stanza::Iq(iq) if iq.type_ == IqType::Set => iq.payload(),
            _ => None,
        })
        .filter_map(|p| Roster::from_element(p).ok())
        .flat_map(|r| r.items)
        .filter(|i| i.jid == *contact)
        .collect()
}

/// The type of the iq answering `id`, if any came.
fn answered(stanzas: &[Stanza], id: &str) -> Option<IqType> {
    stanzas.iter().find_map(|s| match s {
        Stanza::Iq(iq) if iq.id() == id && iq.type_ != IqType::Set && iq.type_ != IqType::Get => {
            Some(iq.type_)
        }
        _ => None,
    })
}

/// A presence of `kind` from `from`'s bare JID, if any came.
fn presence_from(stanzas: &[Stanza], kind: PresenceType, from: &Jid) -> Option<Option<Jid>> {
    stanzas.iter().find_map(|s| match s {
        Stanza::Presence(p)
            if p.type_ == kind
                && p.header
                    .from
                    .as_ref()
                    .is_some_and(|f| f.to_bare() == from.to_bare()) =>
        {
            Some(p.header.from.clone())
        }
        _ => None,
    })
}

fn roster_set(id: &str, item: RosterItem) -> Stanza {
    let mut roster = Roster::default();
    roster.items.push(item);
    Stanza::Iq(Iq::set(StanzaNs::Client, id, roster.to_element()))
}

fn pass_if(ok: bool) -> Outcome {
    if ok { Outcome::Pass } else { Outcome::Fail }
}

/// RFC 6121 between the two accounts: roster get, set with its push and
/// remove; a subscription request, its approval with the roster push and
/// the contact's presence, then both items removed so that a second run
/// starts from the same rosters.
async fn im_suite(t: &Target, out: &mut Vec<Report>) {
    let (mut a, mut b) = match (login(t, 0, |c| c).await, login(t, 1, |c| c).await) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            out.push(report(
                "roster-get",
                "RFC 6121 §2.1.3",
                "MUST",
                Outcome::Skip,
                format!("cannot log in: {e}"),
            ));
            return;
        }
    };
    let a_bare: Jid = a.jid.as_jid().to_bare().into();
    let b_bare: Jid = b.jid.as_jid().to_bare().into();
    // Roster get (§2.1.3): a result with a <query/>.
    a.session
        .send(Stanza::Iq(Iq::get(
            StanzaNs::Client,
            "probe-roster-get",
            Roster::default().to_element(),
        )))
        .await;
    let got = a
        .gather(|g| answered(g, "probe-roster-get").is_some())
        .await;
    let query = got.iter().find_map(|s| match s {
        Stanza::Iq(iq) if iq.id() == "probe-roster-get" && iq.type_ == IqType::Result => Some(
            iq.payload()
                .is_some_and(|p| Roster::from_element(p).is_ok()),
        ),
        _ => None,
    });
    out.push(report(
        "roster-get",
        "RFC 6121 §2.1.3",
        "MUST",
        pass_if(query == Some(true)),
        match query {
            Some(true) => "a result with the roster".to_owned(),
            Some(false) => "a result without a roster <query/>".to_owned(),
            None => format!("answered {:?}", answered(&got, "probe-roster-get")),
        },
    ));
    // Roster set (§2.3): a result and a push of the item.
    let contact = Jid::new(&format!("probe-contact@{}", t.domain)).unwrap_or(b_bare.clone());
    let mut item = RosterItem::new(contact.clone());
    item.name = Some("Probe".into());
    a.session.send(roster_set("probe-roster-set", item)).await;
    let got = a
        .gather(|g| answered(g, "probe-roster-set").is_some() && !pushed(g, &contact).is_empty())
        .await;
    let (result, push) = (answered(&got, "probe-roster-set"), pushed(&got, &contact));
    let named = push.iter().any(|i| i.name.as_deref() == Some("Probe"));
    out.push(report(
        "roster-set-push",
        "RFC 6121 §2.3.2",
        "MUST",
        pass_if(result == Some(IqType::Result) && named),
        format!("answered {result:?}, {} push(es) of the item", push.len()),
    ));
    // Roster remove (§2.5): a result and a push with subscription='remove'.
    let mut item = RosterItem::new(contact.clone());
    item.subscription = Some(Subscription::Remove);
    a.session
        .send(roster_set("probe-roster-remove", item))
        .await;
    let removed = |g: &[Stanza]| {
        pushed(g, &contact)
            .iter()
            .any(|i| i.subscription == Some(Subscription::Remove))
    };
    let got = a
        .gather(|g| answered(g, "probe-roster-remove").is_some() && removed(g))
        .await;
    let result = answered(&got, "probe-roster-remove");
    out.push(report(
        "roster-remove-push",
        "RFC 6121 §2.5.2",
        "MUST",
        pass_if(result == Some(IqType::Result) && removed(&got)),
        format!("answered {result:?}, removal pushed: {}", removed(&got)),
    ));
    // A subscription request (§3.1): b gets it from a's bare JID.
    let available = Stanza::Presence(Presence::new(StanzaNs::Client, PresenceType::Available));
    a.session.send(available.clone()).await;
    b.session.send(available).await;
    let subscribe =
        Presence::new(StanzaNs::Client, PresenceType::Subscribe).with_to(b_bare.clone());
    a.session.send(Stanza::Presence(subscribe)).await;
    let got = b
        .gather(|g| presence_from(g, PresenceType::Subscribe, &a_bare).is_some())
        .await;
    let from = presence_from(&got, PresenceType::Subscribe, &a_bare);
    out.push(report(
        "sub-request-delivered",
        "RFC 6121 §3.1.3",
        "MUST",
        pass_if(from.as_ref().is_some_and(|f| f.as_ref() == Some(&a_bare))),
        match &from {
            Some(f) => format!("delivered from {:?}", f.as_ref().map(Jid::as_str)),
            None => "not delivered".to_owned(),
        },
    ));
    // Approval (§3.1.5, §3.1.6): a gets <subscribed/>, a roster push with
    // subscription='to', and b's available presence.
    let subscribed =
        Presence::new(StanzaNs::Client, PresenceType::Subscribed).with_to(a_bare.clone());
    b.session.send(Stanza::Presence(subscribed)).await;
    let to_pushed = |g: &[Stanza]| {
        pushed(g, &b_bare)
            .iter()
            .any(|i| matches!(i.subscription, Some(Subscription::To | Subscription::Both)))
    };
    let got = a
        .gather(|g| {
            presence_from(g, PresenceType::Subscribed, &b_bare).is_some()
                && to_pushed(g)
                && presence_from(g, PresenceType::Available, &b_bare).is_some()
        })
        .await;
    let (approved, pushed_to, seen) = (
        presence_from(&got, PresenceType::Subscribed, &b_bare).is_some(),
        to_pushed(&got),
        presence_from(&got, PresenceType::Available, &b_bare).is_some(),
    );
    out.push(report(
        "sub-approved",
        "RFC 6121 §3.1.6",
        "MUST",
        pass_if(approved && pushed_to),
        format!(
            "subscribed delivered: {approved}, roster push with subscription 'to': {pushed_to}"
        ),
    ));
    out.push(report(
        "sub-presence-sent",
        "RFC 6121 §3.1.5",
        "MUST",
        pass_if(seen),
        if seen {
            "the contact's available presence followed the approval"
        } else {
            "no presence from the contact after the approval"
        },
    ));
    // A presence probe (§4.3): a new session of the subscribed user gets
    // the contact's current presence after its initial presence.
    let seen = if approved && pushed_to {
        match login(t, 0, |c| c).await {
            Ok(mut again) => {
                let available = Presence::new(StanzaNs::Client, PresenceType::Available);
                again.session.send(Stanza::Presence(available)).await;
                let got = again
                    .gather(|g| presence_from(g, PresenceType::Available, &b_bare).is_some())
                    .await;
                again.close().await;
                Ok(presence_from(&got, PresenceType::Available, &b_bare).is_some())
            }
            Err(e) => Err(format!("cannot log in again: {e}")),
        }
    } else {
        Err("no subscription to probe (see sub-approved)".to_owned())
    };
    let (outcome, detail) = probe_outcome(&seen);
    out.push(report(
        "presence-probe",
        "RFC 6121 §4.3.2",
        "MUST",
        outcome,
        detail,
    ));
    // Both items go, which cancels the subscriptions (§2.5.2).
    for (who, other) in [(&mut a, &b_bare), (&mut b, &a_bare)] {
        let mut item = RosterItem::new(other.clone());
        item.subscription = Some(Subscription::Remove);
        who.session.send(roster_set("probe-cleanup", item)).await;
        let _ = who.gather(|g| answered(g, "probe-cleanup").is_some()).await;
    }
    a.close().await;
    b.close().await;
}

async fn sasl_suite(t: &Target, out: &mut Vec<Report>) {
    let mechanisms = [
        (
            Mechanism::Scram {
                hash: Hash::Sha1,
                plus: false,
            },
            "sasl-scram-sha-1",
        ),
        (
            Mechanism::Scram {
                hash: Hash::Sha256,
                plus: false,
            },
            "sasl-scram-sha-256",
        ),
        (
            Mechanism::Scram {
                hash: Hash::Sha512,
                plus: false,
            },
            "sasl-scram-sha-512",
        ),
        (
            Mechanism::Scram {
                hash: Hash::Sha256,
                plus: true,
            },
            "sasl-scram-sha-256-plus",
        ),
        (Mechanism::Plain, "sasl-plain"),
    ];
    for (m, id) in mechanisms {
        let r = match login(t, 0, |c| c.mechanisms([m]).sasl2(false)).await {
            Ok(l) => {
                let r = report(
                    id,
                    "RFC 6120 §6",
                    "MAY",
                    Outcome::Pass,
                    format!("logged in with {}", l.mechanism),
                );
                l.close().await;
                r
            }
            Err(e) if e.contains("no offered mechanism") => report(
                id,
                "RFC 6120 §6",
                "MAY",
                Outcome::Skip,
                format!("{m} not offered"),
            ),
            Err(e) => report(id, "RFC 6120 §6", "MAY", Outcome::Fail, e),
        };
        out.push(r);
    }
    sasl_escaped_username(t, out).await;
    // Wrong password and unknown user: not-authorized, and alike.
    let wrong_started = Instant::now();
    let wrong = login(t, 0, |mut c| {
        c.password = zeroize::Zeroizing::new("not the password".into());
        c
    })
    .await;
    let wrong_time = wrong_started.elapsed();
    let unknown_started = Instant::now();
    let unknown = login(t, 0, |mut c| {
        if let Ok(j) = xmpp_jid::BareJid::new(&format!("no-such-user-4b1d@{}", t.domain)) {
            c.jid = j;
        }
        c.password = zeroize::Zeroizing::new("not the password".into());
        c
    })
    .await;
    let unknown_time = unknown_started.elapsed();
    let reason = |r: &Result<Logged, String>| match r {
        Ok(_) => "logged in".to_owned(),
        Err(e) => e.clone(),
    };
    let (w, u) = (reason(&wrong), reason(&unknown));
    out.push(report(
        "sasl-wrong-password",
        "RFC 6120 §6.5.10",
        "MUST",
        if w.contains("not-authorized") {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        w.clone(),
    ));
    let alike = w == u;
    out.push(report(
        "sasl-unknown-user-indistinguishable",
        "RFC 5802 §5.1",
        "SHOULD",
        if alike { Outcome::Pass } else { Outcome::Warn },
        format!(
            "wrong password: {w} ({} ms); unknown user: {u} ({} ms)",
            wrong_time.as_millis(),
            unknown_time.as_millis()
        ),
    ));
    super::sasl::run(t, out).await;
}

async fn bind_suite(t: &Target, out: &mut Vec<Report>) {
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

async fn stanza_suite(t: &Target, out: &mut Vec<Report>) {
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
    super::phases::stanza_checks(t, out).await;
}

async fn sm_suite(t: &Target, out: &mut Vec<Report>) {
    sm_enable_ack_resume(t, out).await;
    sm_resume_unknown(t, out).await;
    super::phases::sm_order(t, out).await;
    super::phases::sm_failed_h(t, out).await;
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

/// RFC 6121 §4.3.2: a probe (sent when the user's new resource comes
/// online, §4.2.2) is answered with the contact's current presence; `seen`
/// says whether the new session got it.
fn probe_outcome(seen: &Result<bool, String>) -> (Outcome, String) {
    match seen {
        Ok(true) => (
            Outcome::Pass,
            "a new session's initial presence brought the contact's presence".to_owned(),
        ),
        Ok(false) => (
            Outcome::Fail,
            "a new session's initial presence brought no presence from the contact".to_owned(),
        ),
        Err(e) => (Outcome::Skip, e.clone()),
    }
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
    let enabled = tokio::time::timeout(STEP, async {
        while let Some(e) = l.session.next_event().await {
            if let ClientSessionEvent::Session(ClientEvent::SmEnabled { resumable }) = e {
                return Some(resumable);
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
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
    let acked = tokio::time::timeout(STEP, async {
        let mut total = 0usize;
        while let Some(e) = l.session.next_event().await {
            if let ClientSessionEvent::Session(ClientEvent::Acked(v)) = e {
                total += v.len();
                if total >= 5 {
                    return total;
                }
            }
        }
        total
    })
    .await
    .unwrap_or(0);
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
    let state = tokio::time::timeout(STEP, async {
        while let Some(e) = l.session.next_event().await {
            if let ClientSessionEvent::Resumable(s) = e {
                return Some(s);
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
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
        let resumable = tokio::time::timeout(STEP, async {
            while let Some(e) = l.session.next_event().await {
                if let ClientSessionEvent::Session(ClientEvent::SmEnabled { resumable }) = e {
                    return resumable;
                }
            }
            false
        })
        .await
        .unwrap_or(false);
        if !resumable {
            l.close().await;
            return Err("resumption not offered".to_owned());
        }
        l.session.abort().await;
        let state = tokio::time::timeout(STEP, async {
            while let Some(e) = l.session.next_event().await {
                if let ClientSessionEvent::Resumable(s) = e {
                    return Some(s);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
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

/// RFC 5802 §5.1: SCRAM sends ',' and '=' in a username as `=2C` and `=3D`,
/// and the server reads them back. Needs a third account whose name holds
/// one of them.
async fn sasl_escaped_username(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-scram-escaped-username";
    const SECTION: &str = "RFC 5802 §5.1";
    let Some((name, _)) = t.users.get(2) else {
        out.push(report(
            ID,
            SECTION,
            "MUST",
            Outcome::Skip,
            "no third account (--user) whose name holds ',' or '='",
        ));
        return;
    };
    if !name.contains([',', '=']) {
        out.push(report(
            ID,
            SECTION,
            "MUST",
            Outcome::Skip,
            format!("the third account's name {name:?} holds neither ',' nor '='"),
        ));
        return;
    }
    let scram =
        [Hash::Sha1, Hash::Sha256, Hash::Sha512].map(|hash| Mechanism::Scram { hash, plus: false });
    out.push(
        match login(t, 2, |c| c.mechanisms(scram).sasl2(false)).await {
            Ok(l) => {
                let r = report(
                    ID,
                    SECTION,
                    "MUST",
                    Outcome::Pass,
                    format!("{name:?} logged in with {}", l.mechanism),
                );
                l.close().await;
                r
            }
            Err(e) => report(ID, SECTION, "MUST", Outcome::Fail, format!("{name:?}: {e}")),
        },
    );
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
    fn a_probe_brings_the_contacts_presence() {
        assert_eq!(probe_outcome(&Ok(true)).0, Outcome::Pass);
        assert_eq!(probe_outcome(&Ok(false)).0, Outcome::Fail);
        assert_eq!(
            probe_outcome(&Err("no subscription".into())).0,
            Outcome::Skip
        );
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
