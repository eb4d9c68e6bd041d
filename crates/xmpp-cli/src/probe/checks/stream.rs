//! Suite `stream`, spoken raw before TLS (RFC 6120 §4, §11, §13.12): the
//! response header and features, stream errors for bad headers, prefixes
//! and bytes, the close handshake, and the bounds a server must keep.

use super::{QUIET, exchange, expect_error, report, truncate};
use crate::probe::raw::{Raw, header};
use crate::probe::{Outcome, Report, Target};

pub(super) async fn stream_suite(t: &Target, out: &mut Vec<Report>) {
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
    crate::probe::phases::header_checks(t, out).await;
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
            let (o, detail) = match (a.trouble(), a.closed, &a.stream_error) {
                (Some(why), _, _) => (Outcome::Fail, why),
                (None, true, None) => (Outcome::Pass, "closed its stream too".to_owned()),
                (None, _, Some(c)) => {
                    (Outcome::Fail, format!("answered a clean close with <{c}/>"))
                }
                (None, false, None) => (
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
    crate::probe::phases::stream_checks(t, out).await;
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
