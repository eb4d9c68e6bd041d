//! `xmpp jid [--legacy] [JID...]`: parses and enforces each input as an
//! XMPP address (RFC 7622, or RFC 6122 with `--legacy`) and prints its
//! canonical form and parts.
//!
//! ```text
//! {"input":"Juliet@Example.COM/Balcony","ok":true,"jid":"juliet@example.com/Balcony","local":"juliet","domain":"example.com","resource":"Balcony"}
//! {"input":"@example.com","ok":false,"error":"empty-localpart","message":"localpart is empty"}
//! ```

use serde_json::{Value, json};
use xmpp_jid::{Jid, LegacyJid};

use crate::io::{Exit, emit, for_each_input, usage};

const USAGE: &str = "usage: xmpp jid [--legacy] [--] [JID...]

Prints, per input, the enforced JID and its parts (absent parts are null),
or the error kind and message. RFC 7622 (PRECIS, IDNA2008) by default;
--legacy applies RFC 6122 instead (Nodeprep, Nameprep, Resourceprep).
`--` ends the options, for JIDs that start with `--`.";

/// The JSON line for one input.
fn line(input: &str, legacy: bool) -> Value {
    let parsed = if legacy {
        LegacyJid::new(input).map(|j| {
            parts(
                input,
                j.as_str(),
                j.localpart(),
                j.domainpart(),
                j.resourcepart(),
            )
        })
    } else {
        Jid::new(input).map(|j| {
            parts(
                input,
                j.as_str(),
                j.localpart(),
                j.domainpart(),
                j.resourcepart(),
            )
        })
    };
    parsed.unwrap_or_else(|e| {
        json!({
            "input": input,
            "ok": false,
            "error": e.kind(),
            "message": e.to_string(),
        })
    })
}

/// The JSON line of a valid JID, RFC 7622 or legacy alike.
fn parts(
    input: &str,
    jid: &str,
    local: Option<&str>,
    domain: &str,
    resource: Option<&str>,
) -> Value {
    json!({
        "input": input,
        "ok": true,
        "jid": jid,
        "local": local,
        "domain": domain,
        "resource": resource,
    })
}

pub(crate) fn run(args: &[String]) -> Exit {
    let mut legacy = false;
    let mut inputs: Vec<String> = Vec::new();
    let mut options = true;
    for arg in args {
        match arg.as_str() {
            "--" if options => options = false,
            "--legacy" if options => legacy = true,
            "-h" | "--help" if options => {
                println!("{USAGE}");
                return Exit::Ok;
            }
            a if options && a.starts_with("--") => return usage(USAGE),
            a => inputs.push(a.to_owned()),
        }
    }
    let mut exit = Exit::Ok;
    for_each_input(&inputs, |input| {
        let line = line(input, legacy);
        exit.record(line["ok"] == true);
        emit(&line);
    });
    exit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            line("Juliet@Example.COM/Balcony", false).to_string(),
            r#"{"input":"Juliet@Example.COM/Balcony","ok":true,"jid":"juliet@example.com/Balcony","local":"juliet","domain":"example.com","resource":"Balcony"}"#
        );
        assert_eq!(
            line("example.com", false).to_string(),
            r#"{"input":"example.com","ok":true,"jid":"example.com","local":null,"domain":"example.com","resource":null}"#
        );
        let e = line("@example.com", false);
        assert_eq!(e["ok"], false);
        assert_eq!(e["error"], "empty-localpart");
        assert!(
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("localpart"))
        );
        assert_eq!(line("Stra\u{DF}e@x", true)["jid"], "strasse@x");
        // A JID only RFC 6122 accepts: the same shape as any other.
        assert_eq!(
            line("Juliet@\u{2603}.net/Balcony", true).to_string(),
            r#"{"input":"Juliet@☃.net/Balcony","ok":true,"jid":"juliet@☃.net/Balcony","local":"juliet","domain":"☃.net","resource":"Balcony"}"#
        );
        assert_eq!(line("xn---9a", true)["error"], "domainpart-invalid-a-label");
        assert_eq!(line("Stra\u{DF}e@x", false)["jid"], "stra\u{DF}e@x");
    }
}
