//! `xmpp serve`, `xmpp connect` and `xmpp demo` as processes on
//! 127.0.0.1: the listening line, logins over STARTTLS, routing between
//! two accounts, failures as error lines, SIGTERM closing every stream.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::xmpp;

/// A running `xmpp serve`, stopped by its id when dropped.
pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) listening: Value,
    pub(crate) out: BufReader<std::process::ChildStdout>,
}

impl Served {
    pub(crate) fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xmpp"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--user",
                "juliet:r0m30",
                "--user",
                "romeo:j4l13t",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("xmpp serve starts");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("the listening line");
        let listening: Value = serde_json::from_str(&line).expect("JSON");
        Self {
            child,
            listening,
            out,
        }
    }

    pub(crate) fn c2s(&self) -> String {
        self.listening["c2s"].as_str().expect("c2s").to_owned()
    }

    /// SIGTERM, then the rest of stdout and the exit status.
    pub(crate) fn stop(mut self) -> (Option<i32>, Vec<Value>) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().expect("exit").code();
        let lines = (&mut self.out)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect();
        (status, lines)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_prints_its_listening_line() {
    let served = Served::start(&[
        "--ws-listen",
        "127.0.0.1:0",
        "--direct-tls-listen",
        "127.0.0.1:0",
    ]);
    let l = &served.listening;
    assert_eq!(l["event"], "listening");
    assert_eq!(l["domain"], "localhost");
    assert_eq!(l["tls"], "self-signed");
    assert!(
        l["c2s"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:"))
    );
    assert!(
        l["direct_tls"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:"))
    );
    assert!(
        l["ws"]
            .as_str()
            .is_some_and(|a| a.starts_with("ws://127.0.0.1:") && a.ends_with("/xmpp-websocket"))
    );
    let (status, _) = served.stop();
    assert_eq!(status, Some(0));
}

#[test]
fn connect_logs_in_routes_and_closes() {
    let served = Served::start(&[]);
    let server = served.c2s();
    // Romeo waits; Juliet sends to his bare JID and to nobody.
    let romeo = Command::new(env!("CARGO_BIN_EXE_xmpp"))
        .args([
            "connect",
            "--jid",
            "romeo@localhost",
            "--password",
            "j4l13t",
            "--server",
            &server,
        ])
        .args(["--insecure", "--wait-ms", "2000"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("romeo");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let (code, lines) = xmpp(
        &[
            "connect",
            "--jid",
            "juliet@localhost",
            "--password",
            "r0m30",
            "--server",
            &server,
            "--insecure",
            "--send",
            "romeo@localhost:Wherefore art thou?",
            "--send",
            "nobody@localhost:hello",
        ],
        None,
    );
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["event"], "bound");
    assert_eq!(lines[0]["tls"], "TLSv1.3");
    assert_eq!(lines[0]["mechanism"], "SCRAM-SHA-512-PLUS");
    assert_eq!(lines[0]["channel_binding"], "tls-exporter");
    // The message to an unknown account bounces (RFC 6121 §8.5.2.2.1).
    assert!(lines.iter().any(|l| l["event"] == "stanza"
        && l["stanza"]["from"] == "nobody@localhost"
        && l["stanza"]["error"]["condition"] == "service-unavailable"));
    assert_eq!(
        lines.last().map(|l| &l["event"]),
        Some(&Value::from("closed"))
    );
    let out = romeo.wait_with_output().expect("romeo ends");
    let got: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        got.iter().any(|l| l["event"] == "stanza"
            && l["stanza"]["bodies"][0]["text"] == "Wherefore art thou?"
            && l["stanza"]["from"]
                .as_str()
                .is_some_and(|f| f.starts_with("juliet@localhost/"))),
        "{got:?}"
    );
    // A wrong password is an error line and exit 1.
    let (code, lines) = xmpp(
        &[
            "connect",
            "--jid",
            "juliet@localhost",
            "--password",
            "nope",
            "--server",
            &server,
            "--insecure",
        ],
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(lines[0]["event"], "error");
    assert_eq!(lines[0]["condition"], "not-authorized");
    // --insecure refuses PLAIN unless it is asked for by name.
    let (code, lines) = xmpp(
        &[
            "connect",
            "--jid",
            "juliet@localhost",
            "--password",
            "r0m30",
            "--server",
            &server,
            "--insecure",
            "--mechanism",
            "PLAIN",
        ],
        None,
    );
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["mechanism"], "PLAIN");

    let (status, lines) = served.stop();
    assert_eq!(status, Some(0));
    let bound: Vec<_> = lines.iter().filter(|l| l["event"] == "bound").collect();
    assert_eq!(bound.len(), 3, "{lines:?}");
    assert!(
        bound
            .iter()
            .all(|l| l["transport"] == "tcp" && l["tls"] == "TLSv1.3")
    );
}

#[test]
fn connect_without_tls_and_usage_errors() {
    let served = Served::start(&["--tls", "off"]);
    let server = served.c2s();
    assert_eq!(served.listening["tls"], "off");
    let (code, lines) = xmpp(
        &[
            "connect",
            "--jid",
            "juliet@localhost",
            "--password",
            "r0m30",
            "--server",
            &server,
            "--tls",
            "off",
        ],
        None,
    );
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["tls"], Value::Null);
    assert_eq!(lines[0]["mechanism"], "SCRAM-SHA-512");
    // A client that requires TLS refuses this server.
    let (code, lines) = xmpp(
        &[
            "connect",
            "--jid",
            "juliet@localhost",
            "--password",
            "r0m30",
            "--server",
            &server,
            "--insecure",
        ],
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(lines[0]["condition"], "encryption-required");
    assert_eq!(xmpp(&["connect", "--jid", "juliet@localhost"], None).0, 2);
    assert_eq!(xmpp(&["serve", "--tls", "sometimes"], None).0, 2);
    drop(served);
}

#[test]
fn demo_runs_to_the_end() {
    let out = Command::new(env!("CARGO_BIN_EXE_xmpp"))
        .arg("demo")
        .output()
        .expect("demo runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for expected in [
        "bound alice@localhost/",
        "now sees bob@localhost/",
        "resumed the session",
        "Are you still there?",
        "demo complete.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn probe_passes_every_must_against_serve() {
    let served = Served::start(&[]);
    let server = served.c2s();
    let (code, lines) = xmpp(
        &[
            "probe",
            "--server",
            &server,
            "--domain",
            "localhost",
            "--user",
            "juliet:r0m30",
            "--user",
            "romeo:j4l13t",
            "--insecure",
            "--json",
            "--suite",
            "stream,bind,stanza",
        ],
        None,
    );
    assert_eq!(code, 0, "{lines:?}");
    assert!(lines.len() > 20);
    for l in &lines {
        for key in [
            "id", "section", "level", "outcome", "detail", "sent", "received",
        ] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
        assert!(["MUST", "SHOULD", "MAY"].contains(&l["level"].as_str().unwrap_or_default()));
        assert_ne!(l["outcome"], "fail", "{l}");
    }
    assert_eq!(xmpp(&["probe", "--server", &server], None).0, 2);
    drop(served);
}

/// A raw c2s client: plain TCP, SASL PLAIN, bind.
pub(crate) struct Raw {
    pub(crate) tcp: std::net::TcpStream,
    pub(crate) seen: Vec<u8>,
}

/// The stream header a [`Raw`] client sends.
const OPEN: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
                    xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

impl Raw {
    pub(crate) fn login(server: &str, user: &str, password: &str, resource: &str) -> Self {
        let mut raw = Self::authenticate(server, user, password);
        raw.send(&format!(
            "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
             <resource>{resource}</resource></bind></iq>"
        ));
        raw.until("</iq>");
        raw.seen.clear();
        raw
    }

    /// Logs in up to the features after authentication (no resource).
    pub(crate) fn authenticate(server: &str, user: &str, password: &str) -> Self {
        use base64::Engine as _;
        let tcp = std::net::TcpStream::connect(server).expect("connect");
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .expect("timeout");
        let mut raw = Self {
            tcp,
            seen: Vec::new(),
        };
        raw.send(OPEN);
        raw.until("</stream:features>");
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
        raw.send(&format!(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>"
        ));
        raw.until("<success");
        raw.send(OPEN);
        raw.until("</stream:features>");
        raw.seen.clear();
        raw
    }

    pub(crate) fn send(&mut self, s: &str) {
        use std::io::Write as _;
        self.tcp.write_all(s.as_bytes()).expect("write");
    }

    /// Reads until `what` has been seen `n` times since the last clear.
    pub(crate) fn until_n(&mut self, what: &str, n: usize) {
        use std::io::Read as _;
        let count = |seen: &[u8]| {
            seen.windows(what.len())
                .filter(|w| *w == what.as_bytes())
                .count()
        };
        let mut chunk = [0u8; 65536];
        let mut seen = 0;
        let mut from = 0;
        while seen < n {
            // A read on a socket with a timeout is never restarted after a
            // signal (signal(7)), and another test's child process ending
            // sends this process SIGCHLD: EINTR is no error here.
            let read = loop {
                match self.tcp.read(&mut chunk) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    other => break other,
                }
            };
            let got = read.unwrap_or_else(|e| {
                panic!(
                    "{e} after {seen} of {n} {what}: {}",
                    String::from_utf8_lossy(&self.seen[self.seen.len().saturating_sub(300)..])
                )
            });
            assert!(got > 0, "closed: {}", String::from_utf8_lossy(&self.seen));
            self.seen.extend_from_slice(&chunk[..got]);
            // Count only what is new (and a match split across reads).
            seen += count(&self.seen[from..]);
            from = self.seen.len().saturating_sub(what.len() - 1);
        }
    }

    pub(crate) fn until(&mut self, what: &str) {
        self.until_n(what, 1);
    }

    /// Reads until one of `whats` is seen since the last clear; which.
    pub(crate) fn until_any(&mut self, whats: &[&str]) -> usize {
        use std::io::Read as _;
        let mut chunk = [0u8; 65536];
        loop {
            let text = String::from_utf8_lossy(&self.seen);
            if let Some(i) = whats.iter().position(|w| text.contains(w)) {
                return i;
            }
            let read = loop {
                match self.tcp.read(&mut chunk) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    other => break other,
                }
            };
            let got = read.unwrap_or_else(|e| panic!("{e} waiting for {whats:?}: {text}"));
            assert!(got > 0, "closed waiting for {whats:?}: {text}");
            self.seen.extend_from_slice(&chunk[..got]);
        }
    }

    /// The value of the first `name='…'` attribute in what was seen after
    /// `after`.
    pub(crate) fn attribute(&self, after: &str, name: &str) -> String {
        let text = String::from_utf8_lossy(&self.seen);
        let rest = text.split_once(after).map_or("", |(_, r)| r);
        let pattern = format!("{name}='");
        let value = rest.split_once(&pattern).map_or("", |(_, r)| r);
        value.split('\'').next().unwrap_or_default().to_owned()
    }
}

/// A sender faster than the recipient's queue: every message arrives, in
/// order, and none bounces (before the router waited for room, those past
/// the queue's 256 came back as `service-unavailable`).
#[test]
fn a_flood_is_delivered_whole_and_in_order() {
    let served = Served::start(&["--tls", "off", "--allow-plain"]);
    let server = served.c2s();
    let mut romeo = Raw::login(&server, "romeo", "j4l13t", "r");
    let mut juliet = Raw::login(&server, "juliet", "r0m30", "j");
    const N: usize = 5_000;
    let mut flood = String::new();
    for i in 0..N {
        flood.push_str(&format!(
            "<message to='romeo@localhost/r' type='chat' id='m{i}'><body>{i}</body></message>"
        ));
    }
    let writer = std::thread::spawn(move || {
        juliet.send(&flood);
        juliet
    });
    romeo.until_n("</message>", N);
    let mut juliet = writer.join().expect("writer");
    let text = String::from_utf8_lossy(&romeo.seen).into_owned();
    let ids: Vec<usize> = text
        .split("<body>")
        .skip(1)
        .filter_map(|s| s.split('<').next()?.parse().ok())
        .collect();
    assert_eq!(ids, (0..N).collect::<Vec<_>>());
    // Juliet's stream holds no bounce: a ping's answer comes first.
    juliet.send("<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    juliet.until("id='p'");
    let hers = String::from_utf8_lossy(&juliet.seen);
    assert!(!hers.contains("<error"), "{hers}");
}

/// Passwords kept off the command line: `xmpp serve --users-file`, and
/// `xmpp connect --password-file` or `XMPP_PASSWORD`.
#[test]
fn passwords_from_files_and_the_environment() {
    let dir = std::env::temp_dir().join(format!("xmpp-cli-pw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let users = dir.join("users");
    std::fs::write(&users, "# test accounts\nnurse:ang3l:ica\n").expect("users");
    let password = dir.join("password");
    std::fs::write(&password, "ang3l:ica\n").expect("password");
    let users = users.to_string_lossy().into_owned();
    let password = password.to_string_lossy().into_owned();
    let served = Served::start(&["--users-file", &users]);
    let server = served.c2s();
    let base = [
        "connect",
        "--jid",
        "nurse@localhost",
        "--server",
        &server,
        "--insecure",
    ];
    let (code, lines) = xmpp(&[&base[..], &["--password-file", &password]].concat(), None);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines[0]["event"], "bound");
    let out = Command::new(env!("CARGO_BIN_EXE_xmpp"))
        .args(base)
        .env("XMPP_PASSWORD", "ang3l:ica")
        .output()
        .expect("xmpp connect");
    let first: Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .expect("a JSON line");
    assert_eq!(first["event"], "bound", "{first}");
    // The accounts given with --user are still there.
    let (code, _) = xmpp(
        &[
            &base[..2],
            &["juliet@localhost", "--password", "r0m30"],
            &base[3..],
        ]
        .concat(),
        None,
    );
    assert_eq!(code, 0);
    // No password at all is a usage error.
    let out = Command::new(env!("CARGO_BIN_EXE_xmpp"))
        .args(base)
        .env_remove("XMPP_PASSWORD")
        .output()
        .expect("xmpp connect");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password-file or XMPP_PASSWORD"));
    served.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
