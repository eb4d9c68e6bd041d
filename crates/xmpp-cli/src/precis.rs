//! `xmpp precis PROFILE [--compare A B] [STRING...]`: enforcement (RFC 8264
//! §3) of each input under one profile, or the comparison of two strings.
//!
//! ```text
//! {"input":"Juliet","ok":true,"output":"juliet"}
//! {"input":"a b","ok":false,"error":"disallowed","message":"..."}
//! {"a":"Juliet","b":"JULIET","ok":true,"equivalent":true}
//! ```

use serde_json::json;
use xmpp_precis::{Error, Profile, ProfileName};

use crate::io::{Exit, emit, for_each_input, usage};

const USAGE: &str = "usage: xmpp precis PROFILE [STRING...]
       xmpp precis PROFILE --compare A B

PROFILE: username-case-mapped | username-case-preserved | opaque-string | nickname

Prints, per input, the profile's enforcement result (RFC 8264 §3); Nickname
keeps case in enforcement and maps it only when comparing (RFC 8266 §2.4).
With --compare, prints whether A and B are equivalent under the profile.";

fn error_fields(e: &Error) -> (String, String) {
    (e.kind().to_owned(), e.to_string())
}

pub(crate) fn run(args: &[String]) -> Exit {
    let Some((name, rest)) = args.split_first() else {
        return usage(USAGE);
    };
    if matches!(name.as_str(), "-h" | "--help") {
        println!("{USAGE}");
        return Exit::Ok;
    }
    let Ok(profile) = name.parse::<ProfileName>() else {
        return usage(USAGE);
    };
    if rest.first().map(String::as_str) == Some("--compare") {
        let [_, a, b] = rest else {
            return usage(USAGE);
        };
        let line = match profile.compare(a, b) {
            Ok(equivalent) => json!({"a": a, "b": b, "ok": true, "equivalent": equivalent}),
            Err(e) => {
                let (kind, message) = error_fields(&e);
                json!({"a": a, "b": b, "ok": false, "error": kind, "message": message})
            }
        };
        let valid = line["ok"] == true;
        emit(&line);
        return if valid { Exit::Ok } else { Exit::Invalid };
    }
    if rest.iter().any(|a| a.starts_with("--")) {
        return usage(USAGE);
    }
    let mut exit = Exit::Ok;
    for_each_input(rest, |input| {
        let line = match profile.enforce(input) {
            Ok(output) => json!({"input": input, "ok": true, "output": output}),
            Err(e) => {
                let (kind, message) = error_fields(&e);
                json!({"input": input, "ok": false, "error": kind, "message": message})
            }
        };
        exit.record(line["ok"] == true);
        emit(&line);
    });
    exit
}
