//! `cargo xtask interop`: independent XMPP software against ours, on
//! 127.0.0.1. It installs the peers it needs (PyPI `slixmpp` in a venv
//! under `target/interop/`, npm `@xmpp/client` there too), starts `xmpp
//! serve` on free ports with two accounts, runs every case as a child
//! process (`slixmpp_peer.py`, `xmpp_js_peer.mjs` beside this file), stops
//! the server by its id, and prints a pass/fail table. The server's own
//! `bound` lines say which mechanism, TLS version and transport each login
//! used, so the table does not rely on what a client reports. Then our
//! client (`xmpp connect`) logs in to Prosody 0.12 and ejabberd 23.01 per
//! password storage, mechanism and TLS mode ([`servers`]); those rows are
//! `pass`, `skip` (not offered, with why) or `known` (a refusal that is the
//! server's, with the reason).

mod servers;
mod tap;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use crate::conformance::local::Killed;
use crate::util::{Result, python_venv, root, sh, xmpp_release};

/// The accounts every `xmpp serve` of the interop and load runs has.
pub(crate) const ACCOUNTS: [(&str, &str); 2] = [("alice", "wonderland"), ("bob", "builder")];

/// The peers' versions, pinned so a run today is a run tomorrow.
const SLIXMPP: &str = "slixmpp==1.17.0";
const XMPP_JS: &str = "@xmpp/client@0.14.0";

/// One case: who, how, and the command's arguments after the script.
struct Case {
    peer: &'static str,
    name: &'static str,
    transport: &'static str,
    args: Vec<String>,
}

/// A running `xmpp serve` (killed by its id when dropped, also when a
/// case fails half-way), the JSON lines it printed so far, and, started
/// with `--trace`, every connection's stream both ways.
pub(crate) struct Served {
    child: Killed,
    lines: Arc<Mutex<Vec<Value>>>,
    listening: Value,
    traces: Arc<Mutex<Traces>>,
}

/// The `--trace` lines of `xmpp serve`, by client address: the transport
/// and both directions, decrypted.
type Traces = std::collections::BTreeMap<String, (String, tap::Transcript)>;

impl Served {
    /// Starts `xmpp serve` on free loopback ports (c2s and WebSocket) with
    /// the accounts [`ACCOUNTS`] and `extra` options.
    pub(crate) fn start(xmpp: &Path, extra: &[&str]) -> Result<Self> {
        let mut child = Command::new(xmpp)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--ws-listen",
                "127.0.0.1:0",
                // Every client of the run logs the same accounts in.
                "--max-resources",
                "1000",
            ])
            .args(
                ACCOUNTS
                    .iter()
                    .flat_map(|(u, p)| ["--user".to_owned(), format!("{u}:{p}")]),
            )
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", xmpp.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let child = Killed::new(child);
        let traces = Arc::new(Mutex::new(Traces::new()));
        let into = Arc::clone(&traces);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr)
                .lines()
                .map_while(std::result::Result::ok)
            {
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                let (Some(way), Some(peer), Some(data)) = (
                    v["trace"].as_str(),
                    v["peer"].as_str(),
                    v["base64"].as_str(),
                ) else {
                    continue;
                };
                let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else {
                    continue;
                };
                if let Ok(mut t) = into.lock() {
                    let (_, transcript) = t.entry(peer.to_owned()).or_insert_with(|| {
                        (
                            v["transport"].as_str().unwrap_or("tcp").to_owned(),
                            tap::Transcript::default(),
                        )
                    });
                    match way {
                        "in" => transcript.c2s.extend_from_slice(&bytes),
                        _ => transcript.s2c.extend_from_slice(&bytes),
                    }
                }
            }
        });
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        reader
            .read_line(&mut first)
            .map_err(|e| format!("xmpp serve: {e}"))?;
        let listening: Value =
            serde_json::from_str(&first).map_err(|e| format!("xmpp serve said {first:?}: {e}"))?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in reader.lines().map_while(std::result::Result::ok) {
                if let (Ok(v), Ok(mut l)) = (serde_json::from_str(&line), sink.lock()) {
                    l.push(v);
                }
            }
        });
        Ok(Self {
            child,
            lines,
            listening,
            traces,
        })
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A field of the listening line (`c2s`, `ws`, `domain`).
    pub(crate) fn field(&self, name: &str) -> String {
        self.listening[name].as_str().unwrap_or_default().to_owned()
    }

    /// The `bound` lines printed since `from`.
    fn bound_since(&self, from: usize) -> Vec<Value> {
        self.lines
            .lock()
            .map(|l| {
                l.iter()
                    .skip(from)
                    .filter(|v| v["event"] == "bound")
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every connection `--trace` showed, both directions decrypted, read
    /// by `xmpp frame` and `xmpp stanza` (the client's with its restart
    /// headers left out); a row for the table.
    fn traced(
        &self,
        xmpp: &Path,
        dir: &Path,
    ) -> Result<(&'static str, &'static str, bool, String)> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // The last chunks of a closing connection may still be on their way.
        std::thread::sleep(Duration::from_millis(300));
        let traces = self.traces.lock().map(|t| t.clone()).unwrap_or_default();
        let mut errors = Vec::new();
        let (mut connections, mut events) = (0, 0);
        let mut not_xml = 0;
        let mut after_close = 0;
        for (i, (transport, t)) in traces.values().enumerate() {
            connections += 1;
            // slixmpp tries direct TLS on the STARTTLS port first: a
            // ClientHello, which the server must answer with a stream
            // error (RFC 6120 §4.9.3.13 not-well-formed) before the
            // client falls back.
            if t.c2s.first().is_some_and(|b| *b == 0x16) {
                not_xml += 1;
                if !String::from_utf8_lossy(&t.s2c).contains("<stream:error>") {
                    errors.push(format!(
                        "connection {i}: TLS bytes in the clear got no stream error"
                    ));
                }
                continue;
            }
            let c2s = if transport == "tcp" {
                tap::client_stream(&t.c2s)
            } else {
                tap::client_open(&t.c2s)
            };
            // RFC 6120 §4.4: nothing may follow a party's close. slixmpp
            // sometimes answers a roster push it read after sending its
            // own close (a race on its side): noted, and the stream read
            // up to the close.
            let (c2s, late) = tap::until_close(c2s);
            if late {
                after_close += 1;
            }
            for (direction, bytes) in [("c2s", c2s), ("s2c", t.s2c.clone())] {
                let path = dir.join(format!("traced-{i}-{transport}-{direction}.xml"));
                match tap::check(xmpp, &path, &bytes, transport) {
                    Ok(n) => events += n,
                    Err(e) => errors.push(e),
                }
            }
        }
        let ok = connections > 0 && errors.is_empty();
        let detail = if errors.is_empty() {
            format!(
                "{connections} connections, {events} events read with no error \
                 ({not_xml} opened with a TLS ClientHello, each refused with a stream error; \
                 {after_close} clients sent data after their own close, RFC 6120 §4.4)"
            )
        } else {
            format!("{connections} connections: {}", errors.join("; "))
        };
        Ok((
            "xmpp serve --trace",
            "every connection above, both ways",
            ok,
            detail,
        ))
    }

    fn seen(&self) -> usize {
        self.lines.lock().map(|l| l.len()).unwrap_or_default()
    }

    /// SIGTERM, and the exit status (a kill after two seconds).
    fn stop(mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Some(status) = self.child.exited() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// Installs `@xmpp/client` under `dir` (once).
fn node_peer(dir: &Path) -> Result<PathBuf> {
    let modules = dir.join("node_modules").join("@xmpp").join("client");
    if !modules.is_dir() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        sh(Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(dir)
            .arg(XMPP_JS))?;
    }
    // The script must sit where Node resolves `@xmpp/client` from.
    let script = dir.join("xmpp_js_peer.mjs");
    std::fs::copy(here().join("xmpp_js_peer.mjs"), &script)
        .map_err(|e| format!("{}: {e}", script.display()))?;
    Ok(script)
}

/// The peers' transcripts: each logs in (and @xmpp/client sends a
/// message) in the clear, through a recording relay, to an `xmpp serve`
/// without TLS; both directions of every connection must read with `xmpp
/// frame` and `xmpp stanza` with no error. With `--keep`, the first
/// connection of each is written to `testdata/streams/` as vectors
/// (`interop-…`; then `cargo xtask golden` writes their events and
/// `cargo xtask conformance streams` checks them against expat).
fn transcripts(
    xmpp: &Path,
    python: &Path,
    js: &Path,
    dir: &Path,
    keep: bool,
) -> Result<Vec<(&'static str, &'static str, bool, String)>> {
    let served = Served::start(xmpp, &["--tls", "off", "--allow-plain"])?;
    let tap = tap::Tap::start(served.field("c2s"))?;
    let port = tap.port.to_string();
    let out_dir = dir.join("transcripts");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let mut sli = Command::new(python);
    sli.args(["-W", "ignore"])
        .arg(here().join("slixmpp_peer.py"))
        .args(["login", "127.0.0.1", &port, "plain:SCRAM-SHA-256"]);
    let mut node = Command::new("node");
    node.args(["--no-warnings"])
        .arg(js)
        .args(["message", &format!("xmpp://127.0.0.1:{port}")]);
    let mut rows = Vec::new();
    for (peer, file, name, mut cmd) in [
        (
            "slixmpp",
            "slixmpp-1.17-login-scram-sha-256",
            "transcripts: login, SCRAM-SHA-256, in the clear",
            sli,
        ),
        (
            "@xmpp/client",
            "xmpp-js-0.14-message",
            "transcripts: two logins and a message",
            node,
        ),
    ] {
        let ran = cmd.current_dir(dir).output();
        std::thread::sleep(Duration::from_millis(200));
        let recorded = tap.take();
        let mut detail = Vec::new();
        let mut ok = ran.as_ref().is_ok_and(|o| o.status.success()) && !recorded.is_empty();
        for (i, t) in recorded.iter().enumerate() {
            for (direction, bytes) in [("c2s", tap::client_stream(&t.c2s)), ("s2c", t.s2c.clone())]
            {
                let path = out_dir.join(format!("{file}-{i}-{direction}.xml"));
                match tap::check(xmpp, &path, &bytes, "tcp") {
                    Ok(n) => detail.push(format!("{direction} {n}")),
                    Err(e) => {
                        ok = false;
                        detail.push(e);
                    }
                }
                if keep && i == 0 {
                    let kept = root()
                        .join("testdata")
                        .join("streams")
                        .join(format!("interop-{file}-{direction}.xml"));
                    std::fs::write(&kept, &bytes)
                        .map_err(|e| format!("{}: {e}", kept.display()))?;
                }
            }
        }
        if recorded.is_empty() {
            detail.push(match &ran {
                Ok(o) => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
                Err(e) => e.to_string(),
            });
        }
        rows.push((
            peer,
            name,
            ok,
            format!(
                "{} connection(s), elements read by xmpp frame and xmpp stanza: {}",
                recorded.len(),
                detail.join(", ")
            ),
        ));
    }
    let _ = served.stop();
    Ok(rows)
}

fn here() -> PathBuf {
    root().join("xtask").join("src").join("interop")
}

pub(crate) fn run(args: &[String]) -> Result {
    let dir = root().join("target").join("interop");
    let python = python_venv("interop/venv", &[SLIXMPP])?;
    let js = node_peer(&dir)?;
    let xmpp = xmpp_release()?;
    let served = Served::start(&xmpp, &["--trace"])?;
    let c2s = served.field("c2s");
    let (host, port) = c2s
        .rsplit_once(':')
        .ok_or("no port in the listening line")?;
    let ws = served.field("ws");
    let xmpp_uri = format!("xmpp://{c2s}");

    let sli = |name, args: &[&str]| Case {
        peer: "slixmpp",
        name,
        transport: "tcp",
        args: args.iter().map(|s| (*s).to_owned()).collect(),
    };
    let mut cases = vec![
        sli("login (its choice)", &["login", host, port]),
        sli("login SCRAM-SHA-1", &["login", host, port, "SCRAM-SHA-1"]),
        sli(
            "login SCRAM-SHA-256",
            &["login", host, port, "SCRAM-SHA-256"],
        ),
        sli(
            "login SCRAM-SHA-512",
            &["login", host, port, "SCRAM-SHA-512"],
        ),
        sli("login PLAIN", &["login", host, port, "PLAIN"]),
        sli("message to a bare JID", &["message", host, port]),
        sli("presence subscription both ways", &["presence", host, port]),
        sli("XEP-0198 resumption after a cut", &["resume", host, port]),
    ];
    for (transport, service) in [("tcp", xmpp_uri.as_str()), ("websocket", ws.as_str())] {
        for (name, case) in [("login", "login"), ("message to a bare JID", "message")] {
            cases.push(Case {
                peer: "@xmpp/client",
                name,
                transport,
                args: vec![case.to_owned(), service.to_owned()],
            });
        }
    }

    let mut rows = Vec::new();
    let mut failed = 0;
    for case in &cases {
        let before = served.seen();
        let mut cmd = match case.peer {
            "slixmpp" => {
                let mut c = Command::new(&python);
                c.arg("-W")
                    .arg("ignore")
                    .arg(here().join("slixmpp_peer.py"));
                c
            }
            _ => {
                let mut c = Command::new("node");
                // Node 20 has WebSocket behind a flag; a self-signed
                // certificate on loopback is accepted.
                c.arg("--experimental-websocket")
                    .arg("--no-warnings")
                    .arg(&js)
                    .env("NODE_TLS_REJECT_UNAUTHORIZED", "0");
                c
            }
        };
        let out = cmd
            .args(&case.args)
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("{}: {e}", case.peer))?;
        let line = String::from_utf8_lossy(&out.stdout);
        let result: Value = line
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| serde_json::json!({"ok": false, "error": line.trim()}));
        // Give the server a moment to print its bound lines.
        std::thread::sleep(Duration::from_millis(100));
        let bound = served.bound_since(before);
        let login = bound.first();
        let ok = result["ok"] == true
            && out.status.success()
            && login.is_some_and(|b| b["transport"] == case.transport);
        let detail = match login {
            Some(b) => format!(
                "{} over {}, {}",
                b["mechanism"].as_str().unwrap_or("?"),
                b["tls"].as_str().unwrap_or("no TLS"),
                b["transport"].as_str().unwrap_or("?")
            ),
            None => format!("{}", result["error"]),
        };
        if !ok {
            failed += 1;
        }
        rows.push((case.peer, case.name, ok, detail));
    }
    let traced = served.traced(&xmpp, &dir.join("transcripts"))?;
    if !traced.2 {
        failed += 1;
    }
    rows.push(traced);
    let status = served.stop();
    let keep = args.iter().any(|a| a == "--keep");
    for (peer, name, ok, detail) in transcripts(&xmpp, &python, &js, &dir, keep)? {
        if !ok {
            failed += 1;
        }
        rows.push((peer, name, ok, detail));
    }
    let theirs = servers::run(&xmpp)?;

    println!(
        "\n{:<13} {:<34} {:<6} detail (from the server's bound line)",
        "peer", "case", "result"
    );
    for (peer, name, ok, detail) in &rows {
        println!(
            "{peer:<13} {name:<34} {:<6} {detail}",
            if *ok { "pass" } else { "FAIL" }
        );
    }
    println!("xmpp serve exited with {status:?} on SIGTERM");
    println!(
        "\n{:<15} {:<52} {:<6} detail",
        "our client vs", "storage: case", "result"
    );
    let mut count = std::collections::BTreeMap::new();
    for r in &theirs {
        println!(
            "{:<15} {:<52} {:<6} {}",
            r.peer,
            r.case,
            r.outcome.name(),
            r.detail
        );
        *count.entry(r.outcome.name()).or_insert(0) += 1;
        if r.outcome == servers::Outcome::Fail {
            failed += 1;
        }
    }
    let passed = rows.len() + theirs.len() - failed;
    println!("interop: {passed} passed or explained ({count:?}), {failed} failed");
    if failed > 0 || status != Some(0) {
        return Err(format!("interop: {failed} case(s) failed"));
    }
    Ok(())
}
