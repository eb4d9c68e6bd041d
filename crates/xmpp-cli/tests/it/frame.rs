//! `xmpp frame` against the golden events of `testdata/streams/` (the same
//! JSON lines the library's tests check), and its usage errors.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn run_xmpp(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xmpp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn transport(name: &str) -> &'static str {
    if name.starts_with("rfc7395-") {
        "websocket"
    } else if name.starts_with("xep0124-") || name.starts_with("xep0206-") {
        if name.contains("-request") {
            "bosh-requests"
        } else {
            "bosh"
        }
    } else {
        "tcp"
    }
}

#[test]
fn frame_matches_the_golden_events() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/streams");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "xml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let golden = std::fs::read_to_string(path.with_extension("jsonl")).unwrap();
        let invalid = golden
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("{\"event\":\"error\""));
        for chunk in ["1", "64", "65536"] {
            let file = path.to_str().unwrap();
            let out = run_xmpp(
                &[
                    "frame",
                    "--chunk",
                    chunk,
                    "--transport",
                    transport(&name),
                    file,
                ],
                b"",
            );
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                golden,
                "{name} --chunk {chunk}"
            );
            assert_eq!(
                out.status.code(),
                Some(if invalid { 1 } else { 0 }),
                "{name} --chunk {chunk}"
            );
        }
        n += 1;
    }
    assert!(n >= 60);
}

#[test]
fn frame_reads_stdin() {
    let input = b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'> <presence/>";
    let out = run_xmpp(&["frame"], input);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"event":"stream-open","name":"stream","ns":"http://etherx.jabber.org/streams","attrs":{"xmlns":"jabber:client","xmlns:stream":"http://etherx.jabber.org/streams","to":"example.com","version":"1.0"}}"#,
            r#"{"event":"whitespace"}"#,
            r#"{"event":"element","name":"presence","ns":"jabber:client","attrs":{},"xml":"<presence/>"}"#,
        ]
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(run_xmpp(&["frame", "-"], input).status.code(), Some(0));
}

#[test]
fn max_stanza_is_enforced() {
    let mut input = b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message><body>".to_vec();
    input.resize(input.len() + 20_000, b'x');
    input.extend_from_slice(b"</body></message>");
    let out = run_xmpp(&["frame", "--max-stanza", "10000"], &input);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .last()
            .unwrap()
            .contains("\"condition\":\"policy-violation\""),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        run_xmpp(&["frame", "--max-stanza", "30000"], &input)
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frame", "--chunk", "0"][..],
        &["frame", "--chunk"],
        &["frame", "--transport", "carrier-pigeon"],
        &["frame", "--max-stanza", "9999"],
        &["frame", "--bogus"],
        &["frame", "a.xml", "b.xml"],
        &["frame", "/nonexistent/stream.xml"],
    ] {
        let out = run_xmpp(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
