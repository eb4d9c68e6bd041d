//! `xmpp sasl`: the JSON-lines contract, RFC vectors through the binary, and
//! two processes wired together.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

fn xmpp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xmpp"))
}

/// Runs `xmpp sasl ARGS` with the given messages (raw, base64-encoded here)
/// on stdin; returns the JSON lines and the exit code.
fn run(args: &[&str], input: &[&[u8]]) -> (Vec<Value>, i32) {
    let mut stdin = String::new();
    for m in input {
        stdin.push_str(&STANDARD.encode(m));
        stdin.push('\n');
    }
    run_raw(args, &stdin)
}

fn run_raw(args: &[&str], stdin: &str) -> (Vec<Value>, i32) {
    let mut child = xmpp()
        .arg("sasl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn xmpp");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    let lines = String::from_utf8(out.stdout)
        .expect("utf-8 stdout")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    (lines, out.status.code().unwrap_or(-1))
}

fn send(m: &str) -> Value {
    json!({ "send": STANDARD.encode(m) })
}

const RFC7677: [&str; 4] = [
    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
];

#[test]
fn client_replays_rfc7677() {
    let args = [
        "client",
        "--mechanism",
        "SCRAM-SHA-256",
        "--username",
        "user",
        "--password",
        "pencil",
    ];
    let args = [&args[..], &["--nonce", "rOprNGfwEbeRWgbNEkqO"]].concat();
    let (lines, code) = run(&args, &[RFC7677[1].as_bytes(), RFC7677[3].as_bytes()]);
    assert_eq!(
        lines,
        [
            send(RFC7677[0]),
            send(RFC7677[2]),
            json!({"outcome": "success", "authcid": "user", "authzid": null,
                   "additional_data": STANDARD.encode(RFC7677[3])}),
        ]
    );
    assert_eq!(code, 0);
}

#[test]
fn server_replays_rfc7677() {
    let args = [
        "server",
        "--mechanism",
        "SCRAM-SHA-256",
        "--username",
        "user",
        "--password",
        "pencil",
        "--salt-b64",
        "W22ZaJ0SNY7soEsUEjb6gQ==",
        "--iterations",
        "4096",
        "--nonce",
        "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    ];
    let (lines, code) = run(&args, &[RFC7677[0].as_bytes(), RFC7677[2].as_bytes()]);
    assert_eq!(
        lines,
        [
            send(RFC7677[1]),
            send(RFC7677[3]),
            json!({"outcome": "success", "authcid": "user", "authzid": null,
                   "additional_data": STANDARD.encode(RFC7677[3])}),
        ]
    );
    assert_eq!(code, 0);
}

#[test]
fn failures_carry_their_condition() {
    let server = [
        "server",
        "--mechanism",
        "SCRAM-SHA-256",
        "--password",
        "pencil",
        "--nonce",
        "snonce-snonce",
    ];
    let cases: [(&str, Vec<&str>, &str, &str); 6] = [
        (
            "bad base64 line",
            server.to_vec(),
            "!!!\n",
            "incorrect-encoding",
        ),
        (
            "malformed client-first",
            server.to_vec(),
            "bixuPXVzZXIscg==\n",
            "malformed-request",
        ),
        ("input ends early", server.to_vec(), "", "aborted"),
        (
            "unknown mechanism",
            vec!["server", "--mechanism", "DIGEST-MD5", "--password", "x"],
            "",
            "invalid-mechanism",
        ),
        (
            "PLAIN wrong password",
            vec!["server", "--mechanism", "PLAIN", "--password", "right"],
            "AHVzZXIAd3Jvbmc=\n",
            "not-authorized",
        ),
        (
            "downgrade: y to a server with binding data",
            vec![
                "server",
                "--mechanism",
                "SCRAM-SHA-1",
                "--password",
                "p",
                "--cb-type",
                "tls-exporter",
                "--cb-data-b64",
                "AAAA",
            ],
            "eSwsbj11c2VyLHI9Y25vbmNlLWNub25jZQ==\n",
            "not-authorized",
        ),
    ];
    for (name, args, stdin, condition) in cases {
        let (lines, code) = run_raw(&args, stdin);
        let last = lines.last().unwrap_or_else(|| panic!("{name}: no output"));
        assert_eq!(last["outcome"], "failure", "{name}: {last}");
        assert_eq!(last["condition"], condition, "{name}: {last}");
        assert!(
            last["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}: {last}"
        );
        assert_eq!(code, 1, "{name}");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["client"][..],
        &["bogus"],
        &["client", "--mechanism", "SCRAM-SHA-1", "--username", "u"],
    ] {
        let (lines, code) = run_raw(args, "");
        assert!(lines.is_empty(), "{args:?}");
        assert_eq!(code, 2, "{args:?}");
    }
}

/// Wires a client and a server process together, relaying `send` lines.
fn wired(client: &[&str], server: &[&str]) -> (Value, Value) {
    let spawn = |args: &[&str]| {
        xmpp()
            .arg("sasl")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn")
    };
    let mut c = spawn(client);
    let mut s = spawn(server);
    let mut c_in = c.stdin.take().expect("stdin");
    let mut s_in = s.stdin.take().expect("stdin");
    let mut c_out = BufReader::new(c.stdout.take().expect("stdout")).lines();
    let mut s_out = BufReader::new(s.stdout.take().expect("stdout")).lines();
    let mut client_outcome = None;
    let mut server_outcome = None;
    // Client speaks first; alternate until both have an outcome.
    let mut client_turn = true;
    for _ in 0..16 {
        if client_outcome.is_some() && server_outcome.is_some() {
            break;
        }
        let (out, peer_in, outcome) = if client_turn {
            (&mut c_out, &mut s_in, &mut client_outcome)
        } else {
            (&mut s_out, &mut c_in, &mut server_outcome)
        };
        match out.next() {
            Some(Ok(line)) => {
                let v: Value = serde_json::from_str(&line).expect("JSON");
                if let Some(m) = v["send"].as_str() {
                    let _ = writeln!(peer_in, "{m}");
                    let _ = peer_in.flush();
                    client_turn = !client_turn;
                } else {
                    *outcome = Some(v);
                    client_turn = !client_turn;
                }
            }
            _ => {
                // This side ended; close its peer's input so it can finish.
                client_turn = !client_turn;
            }
        }
    }
    drop((c_in, s_in));
    let _ = c.wait();
    let _ = s.wait();
    (
        client_outcome.unwrap_or(Value::Null),
        server_outcome.unwrap_or(Value::Null),
    )
}

#[test]
fn two_processes_wired_together() {
    let mechs = [
        "SCRAM-SHA-1",
        "SCRAM-SHA-256-PLUS",
        "SCRAM-SHA-512",
        "PLAIN",
        "EXTERNAL",
        "ANONYMOUS",
        "HT-SHA-256-NONE",
        "HT-SHA-256-ENDP",
    ];
    for mech in mechs {
        let cb = [
            "--cb-type",
            "tls-server-end-point",
            "--cb-data-b64",
            "3q2+7w==",
        ];
        let binds = mech.ends_with("PLUS") || mech.ends_with("ENDP");
        let cb: &[&str] = if binds { &cb } else { &[] };
        let client = [
            &[
                "client",
                "--mechanism",
                mech,
                "--username",
                "juliet",
                "--password",
                "r0m3o",
            ][..],
            cb,
        ]
        .concat();
        let server = [
            &[
                "server",
                "--mechanism",
                mech,
                "--username",
                "juliet",
                "--password",
                "r0m3o",
            ][..],
            cb,
        ]
        .concat();
        let (c, s) = wired(&client, &server);
        assert_eq!(c["outcome"], "success", "{mech} client: {c}");
        assert_eq!(s["outcome"], "success", "{mech} server: {s}");
        let authcid = if mech == "ANONYMOUS" {
            Value::Null
        } else {
            json!("juliet")
        };
        assert_eq!(s["authcid"], authcid, "{mech}");
    }
}

/// A server-first-message with its values replaced by their lengths.
fn shape(line: &Value) -> String {
    let msg = STANDARD
        .decode(line["send"].as_str().expect("a send line"))
        .expect("base64");
    String::from_utf8(msg)
        .expect("utf-8")
        .split(',')
        .map(|attr| match attr.split_at(2) {
            ("s=", v) => format!("s=<{} bytes>", STANDARD.decode(v).expect("salt").len()),
            ("r=", v) => format!("r=<{} chars>", v.len()),
            _ => attr.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn unknown_user_fails_like_a_wrong_password() {
    // RFC 5802 §5.1, §9: the server runs the exchange for a name it does
    // not know and fails at the proof, so nothing tells the two apart.
    let server = |user| {
        [
            "server",
            "--mechanism",
            "SCRAM-SHA-256",
            "--username",
            user,
            "--password",
            "pencil",
            "--salt-b64",
            "W22ZaJ0SNY7soEsUEjb6gQ==",
            "--iterations",
            "4096",
            "--nonce",
            "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        ]
        .map(str::to_owned)
    };
    let wrong_proof = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                       p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let input: [&[u8]; 2] = [RFC7677[0].as_bytes(), wrong_proof.as_bytes()];
    let known = server("user");
    let unknown = server("someone-else");
    let (known, known_code) = run(&known.each_ref().map(String::as_str), &input);
    let (unknown, unknown_code) = run(&unknown.each_ref().map(String::as_str), &input);
    assert_eq!(known.len(), 2, "{known:?}");
    assert_eq!(
        unknown.len(),
        2,
        "server-first, then the failure: {unknown:?}"
    );
    assert_eq!(shape(&known[0]), shape(&unknown[0]));
    assert_eq!(shape(&unknown[0]), "r=<50 chars>,s=<16 bytes>,i=4096");
    assert_eq!(known[1], unknown[1]);
    assert_eq!(unknown[1]["condition"], "not-authorized");
    assert_eq!((known_code, unknown_code), (1, 1));
}

#[test]
fn authzid_is_refused_only_after_the_proof() {
    // Refusing the authzid at lookup would tell an unauthenticated client
    // that the user exists; the server refuses it after the proof.
    let client = [
        "client",
        "--mechanism",
        "SCRAM-SHA-1",
        "--username",
        "juliet",
        "--password",
        "r0m3o",
        "--authzid",
        "romeo@example.net",
        "--nonce",
        "cnonce-cnonce",
    ];
    let server = [
        "server",
        "--mechanism",
        "SCRAM-SHA-1",
        "--username",
        "juliet",
        "--password",
        "r0m3o",
        "--authzid",
        "juliet@example.net",
        "--salt-b64",
        "QSXCR+Q6sek8bf92",
        "--nonce",
        "snonce-snonce",
    ];
    let decode = |v: &Value| {
        STANDARD
            .decode(v["send"].as_str().expect("send"))
            .expect("b64")
    };
    let (c, _) = run(&client, &[]);
    let client_first = decode(&c[0]);
    let (s, _) = run(&server, &[&client_first]);
    assert!(
        s[0]["send"].is_string(),
        "no refusal before the proof: {s:?}"
    );
    let server_first = decode(&s[0]);
    let (c, _) = run(&client, &[&server_first]);
    let client_final = decode(&c[1]);
    let (s, code) = run(&server, &[&client_first, &client_final]);
    assert_eq!(
        s.len(),
        2,
        "server-first, then the refusal without v=: {s:?}"
    );
    assert_eq!(s[1]["condition"], "invalid-authzid", "{s:?}");
    assert_eq!(code, 1);
}
