use serde_json::json;

use crate::xmpp;

#[test]
fn enforcement_lines_and_exit_status() {
    let (code, lines) = xmpp(
        &["precis", "username-case-mapped", "Juliet", "ＪＵＬＩＥＴ"],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(
        lines,
        [
            json!({"input": "Juliet", "ok": true, "output": "juliet"}),
            json!({"input": "ＪＵＬＩＥＴ", "ok": true, "output": "juliet"}),
        ]
    );
    let (code, lines) = xmpp(&["precis", "username-case-mapped", "juliet", "a b"], None);
    assert_eq!(code, 1);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["error"], "disallowed");
    assert!(lines[1]["message"].as_str().unwrap().contains("U+0020"));
    // The key order of the contract.
    let keys: Vec<&String> = lines[1].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["input", "ok", "error", "message"]);
}

#[test]
fn every_profile_by_name() {
    for (profile, input, output) in [
        ("username-case-mapped", "Σ", "σ"),
        ("username-case-preserved", "Σ", "Σ"),
        ("opaque-string", "a\u{3000}b", "a b"),
        ("nickname", "  Richard \u{2163} ", "Richard IV"),
    ] {
        let (code, lines) = xmpp(&["precis", profile, input], None);
        assert_eq!(code, 0, "{profile}");
        assert_eq!(
            lines,
            [json!({"input": input, "ok": true, "output": output})]
        );
    }
}

#[test]
fn stdin_batch_mode() {
    let (code, lines) = xmpp(&["precis", "nickname"], Some("Foo  Bar\n\n  x\r\n"));
    assert_eq!(code, 1);
    assert_eq!(
        lines,
        [
            json!({"input": "Foo  Bar", "ok": true, "output": "Foo Bar"}),
            json!({"input": "", "ok": false, "error": "empty", "message": "string is empty after mapping"}),
            json!({"input": "  x", "ok": true, "output": "x"}),
        ]
    );
}

#[test]
fn compare() {
    let (code, lines) = xmpp(&["precis", "nickname", "--compare", "Foo", "FOO"], None);
    assert_eq!(code, 0);
    assert_eq!(
        lines,
        [json!({"a": "Foo", "b": "FOO", "ok": true, "equivalent": true})]
    );
    let (code, lines) = xmpp(
        &[
            "precis",
            "username-case-preserved",
            "--compare",
            "Foo",
            "FOO",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(lines[0]["equivalent"], false);
    let (code, lines) = xmpp(&["precis", "opaque-string", "--compare", "", "x"], None);
    assert_eq!(code, 1);
    assert_eq!(lines[0]["error"], "empty");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["precis"][..],
        &["precis", "sasl-prep", "x"],
        &["precis", "nickname", "--compare", "a"],
        &["precis", "nickname", "--bogus"],
        &["no-such-command"],
        &[],
    ] {
        let (code, lines) = xmpp(args, Some(""));
        assert_eq!(code, 2, "{args:?}");
        assert!(lines.is_empty());
    }
}
