//! Checks on raw connections the probe walks through the stream's phases
//! itself (RFC 6120 §4.3): the response header's `to` and `xml:lang`
//! (§4.7.2, §4.7.4), the features after TLS (§5.4.3.3) and after SASL
//! (§6.4.6, §7.4), a new stream id at each restart (§4.3.3); once bound,
//! whitespace between elements (§11.7), data after the client's close
//! (§4.4), malformed requests and an iq error (§8.2.3, §8.3.3.8); and
//! XEP-0198 outside a bound stream (§3's order rule, §5's `<failed/>`
//! with `h`). The session machine would never send any of it wrong, so
//! these speak bytes.

use std::time::Duration;

use xmpp_stanza::{BIND_NS, Element, SASL_NS, SM_NS, STANZAS_NS, Sm, TLS_NS};

use super::raw::{ANSWER, Answer, Raw, header};
use super::sasl::stream::{Opened, Reply, SaslStream, open_streams};
use super::{Outcome, Report, Target, report, truncate};

/// Silence after which no answer is taken as none.
const QUIET: Duration = Duration::from_millis(1500);

/// Every MUST check of `ids` skipped, for `why`.
fn skip(out: &mut Vec<Report>, ids: &[(&'static str, &'static str)], why: &str) {
    for (id, section) in ids {
        out.push(report(id, section, "MUST", (Outcome::Skip, why.to_owned())));
    }
}

/// A connection walked through TLS (as `--tls` says) and SASL as account
/// 0, at the features of the stream after SASL.
struct Walk {
    stream: SaslStream,
    /// Every stream the connection opened, in order; the last is the one
    /// after SASL.
    opened: Vec<Opened>,
}

async fn walk(t: &Target) -> Result<Walk, String> {
    let (mut stream, mut opened) = open_streams(t).await?;
    match stream.login(t, 0).await? {
        Reply::Success(_) => {}
        other => return Err(format!("login: {}", other.describe())),
    }
    opened.push(stream.restart().await?);
    Ok(Walk { stream, opened })
}

impl Walk {
    async fn send(&mut self, bytes: &str) {
        self.stream.raw.clear();
        self.stream.raw.send(bytes.as_bytes()).await;
    }

    /// The answer to the iq `id` just sent (or what happened instead).
    async fn iq_answer(&mut self, id: &str) -> IqAnswer {
        let a = self
            .stream
            .raw
            .read(ANSWER, |a| {
                a.stream_error.is_some() || find_iq(a, id).is_some()
            })
            .await;
        iq_answer(a, id)
    }

    /// The next XEP-0198 element (or what happened instead).
    async fn sm_answer(&mut self) -> Result<Sm, String> {
        let a = self
            .stream
            .raw
            .read(ANSWER, |a| {
                a.stream_error.is_some() || a.elements.iter().any(|e| e.ns() == SM_NS)
            })
            .await;
        if let Some(e) = a.elements.iter().find(|e| e.ns() == SM_NS) {
            return match Sm::from_element(e) {
                Ok(Some(sm)) => Ok(sm),
                _ => Err(format!("an unreadable {}", e.to_xml())),
            };
        }
        if let Some(why) = a.trouble() {
            return Err(why);
        }
        Err(match &a.stream_error {
            Some(c) => format!("the stream error <{c}/>"),
            None if a.closed || a.eof => "the stream ended".into(),
            None => "no answer".into(),
        })
    }
}

fn find_iq<'a>(a: &'a Answer, id: &str) -> Option<&'a Element> {
    a.elements
        .iter()
        .find(|e| e.name() == "iq" && e.attr("id") == Some(id))
}

/// What came back for an iq request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum IqAnswer {
    Result,
    /// Type error, with the defined condition (`None` when unreadable).
    Error(Option<String>),
    StreamError(String),
    /// Closed, dropped or silent.
    Nothing(&'static str),
    /// A flood, or the server stopped reading ([`Answer::trouble`]).
    Trouble(String),
}

impl IqAnswer {
    fn describe(&self) -> String {
        match self {
            Self::Result => "a result".into(),
            Self::Error(c) => format!("an error ({})", c.as_deref().unwrap_or("no condition")),
            Self::StreamError(c) => format!("the stream error <{c}/>"),
            Self::Nothing(why) => (*why).to_owned(),
            Self::Trouble(why) => why.clone(),
        }
    }
}

fn iq_answer(a: &Answer, id: &str) -> IqAnswer {
    if let Some(iq) = find_iq(a, id) {
        return match iq.attr("type") {
            Some("result") => IqAnswer::Result,
            _ => IqAnswer::Error(
                iq.get_child("error", iq.ns())
                    .and_then(|e| e.children().find(|c| c.ns() == STANZAS_NS))
                    .map(|c| c.name().to_owned()),
            ),
        };
    }
    if let Some(why) = a.trouble() {
        return IqAnswer::Trouble(why);
    }
    match &a.stream_error {
        Some(c) => IqAnswer::StreamError(c.clone()),
        None if a.closed || a.eof => IqAnswer::Nothing("the stream ended"),
        None => IqAnswer::Nothing("no answer"),
    }
}

// ---------------------------------------------------------------- stream

/// The response header's `to` (RFC 6120 §4.7.2) and `xml:lang` (§4.7.4),
/// on two plain connections: one whose header gives `from` and
/// `xml:lang`, one that gives neither.
pub(crate) async fn header_checks(t: &Target, out: &mut Vec<Report>) {
    let account = format!(
        "{}@{}",
        t.users.first().map_or("probe", |(n, _)| n.as_str()),
        t.domain
    );
    let with = header(&t.domain).replace(
        " version='1.0'>",
        &format!(" from='{account}' version='1.0' xml:lang='en'>"),
    );
    let (with, without) = (
        response_header(t, &with).await,
        response_header(t, &header(&t.domain)).await,
    );
    let mut to = report(
        "stream-to",
        "RFC 6120 §4.7.2",
        "MUST",
        match (&with, &without) {
            (Ok(w), Ok(wo)) => stream_to_outcome(w.to(), &account, wo.to()),
            (Err(e), _) | (_, Err(e)) => (Outcome::Fail, e.clone()),
        },
    );
    to.sent = format!("from='{account}', then no from");
    out.push(to);
    out.push(report(
        "stream-lang",
        "RFC 6120 §4.7.4",
        "MUST",
        match (&with, &without) {
            (Ok(w), Ok(wo)) => stream_lang_outcome(w.lang(), wo.lang()),
            (Err(e), _) | (_, Err(e)) => (Outcome::Fail, e.clone()),
        },
    ));
}

/// The server's header in answer to `hello`.
async fn response_header(t: &Target, hello: &str) -> Result<xmpp_stream::StreamHeader, String> {
    let mut raw = Raw::open(&t.server)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    raw.send(hello.as_bytes()).await;
    let a = raw
        .read(ANSWER, |a| {
            a.header.is_some() && (a.features().is_some() || a.stream_error.is_some())
        })
        .await;
    a.header.clone().ok_or_else(|| {
        a.trouble()
            .unwrap_or_else(|| format!("no response header: {}", truncate(&a.received)))
    })
}

/// §4.7.2: "if the client included a 'from' attribute in the initial
/// stream header then the server MUST include a 'to' attribute ... set to
/// the bare JID specified in the 'from'", and without one it "MUST NOT
/// include a 'to' attribute".
fn stream_to_outcome(
    with_from: Option<&str>,
    account: &str,
    without_from: Option<&str>,
) -> (Outcome, String) {
    match (with_from, without_from) {
        (Some(w), None) if w == account => (
            Outcome::Pass,
            format!("to='{w}' for from='{account}', no to without from"),
        ),
        (w, None) => (
            Outcome::Fail,
            format!("for from='{account}' the response header has to={w:?}"),
        ),
        (_, Some(wo)) => (
            Outcome::Fail,
            format!("to='{wo}' in answer to a header without from"),
        ),
    }
}

/// §4.7.4: "For response stream headers, the receiving entity MUST
/// include the 'xml:lang' attribute", whether or not the initiator gave
/// one (then its own default).
fn stream_lang_outcome(for_en: Option<&str>, for_none: Option<&str>) -> (Outcome, String) {
    match (for_en, for_none) {
        (Some(e), Some(n)) if !e.is_empty() && !n.is_empty() => (
            Outcome::Pass,
            format!("xml:lang='{e}' for 'en', '{n}' for none"),
        ),
        (e, n) => (
            Outcome::Fail,
            format!("xml:lang {e:?} for a header with 'en', {n:?} for one without"),
        ),
    }
}

const TLS_ID: &str = "stream-features-after-tls";
const TLS_SECTION: &str = "RFC 6120 §5.4.3.3";
const SASL_ID: &str = "stream-features-after-sasl";
const SASL_SECTION: &str = "RFC 6120 §7.4";
const RESTART_ID: &str = "stream-restart-new-id";
const RESTART_SECTION: &str = "RFC 6120 §4.3.3";
const WHITESPACE_ID: &str = "stream-whitespace-keepalive";
const WHITESPACE_SECTION: &str = "RFC 6120 §11.7";
const CLOSE_ID: &str = "stream-data-after-close";
const CLOSE_SECTION: &str = "RFC 6120 §4.4";

/// The features of each phase, the stream ids, then (bound) whitespace
/// keepalives and data after the close, on one connection.
pub(crate) async fn stream_checks(t: &Target, out: &mut Vec<Report>) {
    let mut w = match walk(t).await {
        Ok(w) => w,
        Err(e) => {
            let why = format!("cannot log in on a raw stream: {e}");
            return skip(
                out,
                &[
                    (TLS_ID, TLS_SECTION),
                    (SASL_ID, SASL_SECTION),
                    (RESTART_ID, RESTART_SECTION),
                    (WHITESPACE_ID, WHITESPACE_SECTION),
                    (CLOSE_ID, CLOSE_SECTION),
                ],
                &why,
            );
        }
    };
    let after_sasl = w.opened.last().map(|o| o.features.clone());
    let after_tls = w.opened.iter().rev().nth(1).map(|o| o.features.clone());
    out.push(report(
        TLS_ID,
        TLS_SECTION,
        "MUST",
        match (t.tls, after_tls) {
            ("off", _) | (_, None) => (Outcome::Skip, "--tls off: no TLS".into()),
            (_, Some(f)) => features_after_tls_outcome(&f),
        },
    ));
    out.push(report(
        SASL_ID,
        SASL_SECTION,
        "MUST",
        after_sasl.as_ref().map_or(
            (Outcome::Fail, "no features after SASL".into()),
            features_after_sasl_outcome,
        ),
    ));
    let ids: Vec<Option<String>> = w
        .opened
        .iter()
        .map(|o| o.header.as_ref().and_then(|h| h.id()).map(str::to_owned))
        .collect();
    out.push(report(
        RESTART_ID,
        RESTART_SECTION,
        "MUST",
        restart_ids_outcome(&ids),
    ));
    if let Err(e) = w.stream.bind().await {
        let why = format!("cannot bind: {e}");
        let ids = [
            (WHITESPACE_ID, WHITESPACE_SECTION),
            (CLOSE_ID, CLOSE_SECTION),
        ];
        return skip(out, &ids, &why);
    }
    // Whitespace alone, then around a request (§4.6.1 calls the first a
    // whitespace keepalive).
    w.send(" \n\t ").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    w.send("\n <iq type='get' id='probe-ws'><ping xmlns='urn:xmpp:ping'/></iq> \n")
        .await;
    let answer = w.iq_answer("probe-ws").await;
    let mut r = report(
        WHITESPACE_ID,
        WHITESPACE_SECTION,
        "MUST",
        whitespace_outcome(&answer),
    );
    r.sent = "' \\n\\t ', then '\\n <iq type='get' id='probe-ws'><ping/></iq> \\n'".into();
    out.push(r);
    // A request after the close tag, in the same write.
    w.send(
        "</stream:stream><iq type='get' id='probe-after-close'>\
         <ping xmlns='urn:xmpp:ping'/></iq>",
    )
    .await;
    let a = w.stream.raw.read(QUIET, |_| false).await;
    let outcome = match a.trouble() {
        Some(why) => (Outcome::Fail, why),
        None => after_close_outcome(a.received.contains("probe-after-close"), a.closed),
    };
    let mut r = report(CLOSE_ID, CLOSE_SECTION, "MUST", outcome);
    r.received = truncate(&a.received);
    out.push(r);
}

/// §5.4.3.3: after TLS the features "MUST NOT include the STARTTLS
/// feature but ... SHOULD include the SASL stream feature".
fn features_after_tls_outcome(f: &Element) -> (Outcome, String) {
    let mechanisms = f.get_child("mechanisms", SASL_NS).is_some();
    match (f.get_child("starttls", TLS_NS).is_some(), mechanisms) {
        (true, _) => (Outcome::Fail, "STARTTLS offered again after TLS".into()),
        (false, false) => (
            Outcome::Warn,
            "no STARTTLS, but no SASL mechanisms either (§5.4.3.3: SHOULD)".into(),
        ),
        (false, true) => (Outcome::Pass, "no STARTTLS, SASL offered".into()),
    }
}

/// §7.4: after SASL the server "MUST include a `<bind/>` element"; and SASL,
/// done, is not among "any further available features" (§6.4.6), so
/// mechanisms offered again are a warning.
fn features_after_sasl_outcome(f: &Element) -> (Outcome, String) {
    let mechanisms = f.get_child("mechanisms", SASL_NS).is_some();
    match (f.get_child("bind", BIND_NS).is_some(), mechanisms) {
        (false, _) => (Outcome::Fail, "no <bind/> after SASL".into()),
        (true, true) => (
            Outcome::Warn,
            "<bind/> offered, and SASL mechanisms again (§6.4.6)".into(),
        ),
        (true, false) => (Outcome::Pass, "<bind/> offered, no mechanisms".into()),
    }
}

/// §4.3.3: at each restart the receiving entity "MUST generate a new
/// stream ID (instead of reusing the old stream ID)".
fn restart_ids_outcome(ids: &[Option<String>]) -> (Outcome, String) {
    let Some(known) = ids.iter().cloned().collect::<Option<Vec<String>>>() else {
        return (
            Outcome::Fail,
            format!("a response header without an id: {ids:?}"),
        );
    };
    let mut distinct = known.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() == known.len() {
        (
            Outcome::Pass,
            format!("{} streams, {} distinct ids", known.len(), distinct.len()),
        )
    } else {
        (
            Outcome::Fail,
            format!("an id reused at a restart: {known:?}"),
        )
    }
}

/// §11.7: "either entity MAY send whitespace as separators between XML
/// stanzas or between any other first-level elements", so a server takes
/// it and goes on: the request after it is answered.
fn whitespace_outcome(answer: &IqAnswer) -> (Outcome, String) {
    match answer {
        IqAnswer::Result | IqAnswer::Error(_) => (
            Outcome::Pass,
            format!("the ping after the whitespace got {}", answer.describe()),
        ),
        other => (
            Outcome::Fail,
            format!("after whitespace between elements: {}", other.describe()),
        ),
    }
}

/// §4.4: after its closing tag the client sends nothing more, and the
/// stream is over; XML 1.0 §2.1 allows no element after the root's end,
/// and RFC 6120 §11.3 has the server accept no data that is not
/// well-formed. A request sent after the close is therefore not answered.
fn after_close_outcome(answered: bool, closed: bool) -> (Outcome, String) {
    match (answered, closed) {
        (true, _) => (
            Outcome::Fail,
            "answered a request sent after </stream:stream>".into(),
        ),
        (false, true) => (
            Outcome::Pass,
            "closed its stream, the request after the close unanswered".into(),
        ),
        (false, false) => (
            Outcome::Pass,
            "the request after the close unanswered (and no closing tag came)".into(),
        ),
    }
}

// ---------------------------------------------------------------- stanza

const TWO_ID: &str = "iq-two-payloads";
const IQ_SECTION: &str = "RFC 6120 §8.2.3";
const ERROR_ID: &str = "iq-error-unanswered";
const JID_ID: &str = "stanza-jid-malformed";
const JID_SECTION: &str = "RFC 6120 §8.3.3.8";

/// Requests no client machine sends, on a bound raw stream: an iq get
/// with two payloads, an iq error, an iq to an address that is not a JID
/// (last: a server may end the stream over it).
pub(crate) async fn stanza_checks(t: &Target, out: &mut Vec<Report>) {
    let bound = async {
        let mut w = walk(t).await?;
        w.stream.bind().await?;
        Ok::<_, String>(w)
    };
    let mut w = match bound.await {
        Ok(w) => w,
        Err(e) => {
            let why = format!("cannot bind a raw stream: {e}");
            return skip(
                out,
                &[
                    (TWO_ID, IQ_SECTION),
                    (ERROR_ID, IQ_SECTION),
                    (JID_ID, JID_SECTION),
                ],
                &why,
            );
        }
    };
    let two = "<iq type='get' id='probe-two'><ping xmlns='urn:xmpp:ping'/>\
               <query xmlns='http://jabber.org/protocol/disco#info'/></iq>";
    w.send(two).await;
    let answer = w.iq_answer("probe-two").await;
    let mut r = report(
        TWO_ID,
        IQ_SECTION,
        "MUST",
        error_outcome(&answer, "bad-request"),
    );
    r.sent = two.into();
    out.push(r);
    // §8.2.3: "An entity that receives a stanza of type "result" or
    // "error" MUST NOT respond to the stanza by sending a further IQ
    // response of type "result" or "error"".
    let error = "<iq type='error' id='probe-iq-error'><error type='cancel'>\
                 <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
    w.send(error).await;
    let a = w
        .stream
        .raw
        .read(QUIET, |a| find_iq(a, "probe-iq-error").is_some())
        .await;
    let mut r = report(
        ERROR_ID,
        IQ_SECTION,
        "MUST",
        error_unanswered_outcome(&iq_answer(a, "probe-iq-error")),
    );
    r.sent = error.into();
    out.push(r);
    // RFC 6120 §8.3.3.8's own example of a 'to' that is no JID (RFC 7622
    // §3.2: no '@' in a domainpart).
    let bad = format!(
        "<iq type='get' id='probe-jid' to='ch@r@cters@{}'><ping xmlns='urn:xmpp:ping'/></iq>",
        t.domain
    );
    w.send(&bad).await;
    let answer = w.iq_answer("probe-jid").await;
    let mut r = report(
        JID_ID,
        JID_SECTION,
        "MUST",
        error_outcome(&answer, "jid-malformed"),
    );
    r.sent = bad;
    out.push(r);
}

/// A request the server must answer (§8.2.3: "MUST reply with an IQ
/// response of type "result" or "error"") with an error, for which RFC
/// 6120 names `expected`: another condition is a warning.
fn error_outcome(answer: &IqAnswer, expected: &str) -> (Outcome, String) {
    match answer {
        IqAnswer::Error(Some(c)) if c == expected => (Outcome::Pass, format!("<{c}/>, same id")),
        IqAnswer::Error(c) => (
            Outcome::Warn,
            format!(
                "an error ({}), RFC 6120 names <{expected}/>",
                c.as_deref().unwrap_or("no condition")
            ),
        ),
        other => (
            Outcome::Fail,
            format!("{} instead of an error", other.describe()),
        ),
    }
}

fn error_unanswered_outcome(answer: &IqAnswer) -> (Outcome, String) {
    match answer {
        IqAnswer::Result | IqAnswer::Error(_) => (
            Outcome::Fail,
            format!("answered an iq error with {}", answer.describe()),
        ),
        IqAnswer::StreamError(c) => (
            Outcome::Warn,
            format!("no iq in reply, but the stream error <{c}/>"),
        ),
        IqAnswer::Nothing(_) => (Outcome::Pass, "no reply".into()),
        IqAnswer::Trouble(why) => (Outcome::Fail, why.clone()),
    }
}

mod sm;

pub(crate) use sm::{sm_failed_h, sm_order};

#[cfg(test)]
mod tests;
