//! `xmpp jid`: the JSON-lines contract of ARCHITECTURE.md, every RFC 7622
//! vector of `testdata/jid/` through the binary, exit statuses, stdin.

use serde_json::{Value, json};

use crate::xmpp;

#[test]
fn contract_shapes() {
    let (code, lines) = xmpp(&["jid", "Juliet@Example.COM/Balcony", "example.com"], None);
    assert_eq!(code, 0);
    assert_eq!(
        lines,
        [
            json!({"input": "Juliet@Example.COM/Balcony", "ok": true,
                   "jid": "juliet@example.com/Balcony", "local": "juliet",
                   "domain": "example.com", "resource": "Balcony"}),
            json!({"input": "example.com", "ok": true, "jid": "example.com",
                   "local": null, "domain": "example.com", "resource": null}),
        ]
    );
    let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["input", "ok", "jid", "local", "domain", "resource"]);
    let (code, lines) = xmpp(&["jid", "@example.com"], None);
    assert_eq!(code, 1);
    assert_eq!(lines[0]["error"], "empty-localpart");
    let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["input", "ok", "error", "message"]);
}

#[test]
fn exit_statuses_and_options() {
    assert_eq!(xmpp(&["jid", "a@b", "c@d"], None).0, 0);
    assert_eq!(xmpp(&["jid", "a@b", "@d"], None).0, 1);
    assert_eq!(xmpp(&["jid", "--bogus", "a@b"], None).0, 2);
    let (code, lines) = xmpp(&["jid", "--", "--x@example.com"], None);
    assert_eq!(
        (code, lines[0]["jid"].clone()),
        (0, json!("--x@example.com"))
    );
    let (code, lines) = xmpp(
        &["jid", "--legacy", "Stra\u{DF}e@example.com/\u{2122}"],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(lines[0]["jid"], "strasse@example.com/TM");
}

#[test]
fn stdin_one_jid_per_line() {
    let (code, lines) = xmpp(&["jid"], Some("a@b\r\nB\u{DC}CHER.example/x\n@\n"));
    assert_eq!(code, 1);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["jid"], "b\u{FC}cher.example/x");
    assert_eq!(lines[2]["ok"], false);
}

/// Every RFC 7622 vector, through the binary in one stdin batch.
#[test]
fn every_vector_through_the_binary() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/jid");
    let mut cases: Vec<(String, String, String)> = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("testdata/jid")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 4 || f[1] != "rfc7622" {
                continue;
            }
            let input: String = serde_json::from_str(f[2]).expect("JSON input");
            if input.contains(['\n', '\r']) {
                continue;
            }
            cases.push((f[0].to_owned(), input, f[3].to_owned()));
        }
    }
    assert!(cases.len() >= 400);
    let stdin: String = cases.iter().map(|(_, i, _)| format!("{i}\n")).collect();
    let (_, lines) = xmpp(&["jid"], Some(&stdin));
    assert_eq!(lines.len(), cases.len());
    for ((source, input, expected), line) in cases.iter().zip(&lines) {
        assert_eq!(line["input"], Value::from(input.as_str()), "{source}");
        match expected.strip_prefix('!') {
            Some(kind) => {
                assert_eq!(line["ok"], false, "{source}: {input:?}");
                assert_eq!(line["error"], kind, "{source}: {input:?}");
            }
            None => {
                let want: String = serde_json::from_str(expected).expect("JSON expected");
                assert_eq!(line["jid"], Value::from(want), "{source}: {input:?}");
            }
        }
    }
}
