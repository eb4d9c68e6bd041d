//! `cargo xtask probe [--update]`: `xmpp probe` against a local Prosody
//! 0.12, a local ejabberd 23.01 (SCRAM-SHA-256 storage) and `xmpp serve`,
//! on loopback. Each server's results (check id
//! and outcome) are kept in `testdata/probe/<server>.json`; a change fails
//! until the file is written again on purpose with `--update`, and every
//! failure recorded for a peer is explained in
//! `testdata/probe/<server>-failures.md`. `xmpp serve` must pass every MUST.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::conformance::{ejabberd, prosody};
use crate::util::{Result, root, xmpp_release};

/// Runs the probe against `server` and returns one object per check.
/// The third account, for the SCRAM escaping check: `,` and `n=` in the
/// name (Prosody 0.12 reads the username from the last `n=`).
const ESCAPED: (&str, &str) = prosody::ESCAPED;

fn probe(xmpp: &Path, server: &str, domain: &str, users: [(&str, &str); 3]) -> Result<Vec<Value>> {
    let out = Command::new(xmpp)
        .args([
            "probe",
            "--server",
            server,
            "--domain",
            domain,
            "--insecure",
            "--json",
        ])
        .args(
            users
                .iter()
                .flat_map(|(u, p)| ["--user".to_owned(), format!("{u}:{p}")]),
        )
        .output()
        .map_err(|e| format!("xmpp probe: {e}"))?;
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    if lines.is_empty() {
        return Err(format!(
            "xmpp probe printed nothing: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(lines)
}

/// What is kept of a run: id, section, level, outcome (details carry
/// random JIDs and timings).
fn summary(lines: &[Value]) -> Value {
    Value::Array(
        lines
            .iter()
            .map(|l| json!({"id": l["id"], "section": l["section"], "level": l["level"], "outcome": l["outcome"]}))
            .collect(),
    )
}

fn compare(name: &str, lines: &[Value], update: bool) -> Result<Vec<String>> {
    // The whole run, with what was sent and received, for investigation.
    let full = root()
        .join("target")
        .join("probe")
        .join(format!("{name}.jsonl"));
    let _ = std::fs::create_dir_all(full.parent().unwrap_or(Path::new(".")));
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let _ = std::fs::write(&full, text);
    let file = root()
        .join("testdata")
        .join("probe")
        .join(format!("{name}.json"));
    let got = summary(lines);
    let text = serde_json::to_string_pretty(&got).map_err(|e| e.to_string())? + "\n";
    let mut problems = Vec::new();
    if update {
        std::fs::create_dir_all(file.parent().unwrap_or(Path::new(".")))
            .map_err(|e| e.to_string())?;
        std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))?;
    } else {
        let kept =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let kept: Value =
            serde_json::from_str(&kept).map_err(|e| format!("{}: {e}", file.display()))?;
        if kept != got {
            problems.push(format!(
                "{name}: the probe's results changed from {} (run `cargo xtask probe --update` \
                 after checking why)",
                file.display()
            ));
        }
    }
    for l in lines {
        println!(
            "{name:<8} {:<36} {:<6} {:<5} {}",
            l["id"].as_str().unwrap_or_default(),
            l["level"].as_str().unwrap_or_default(),
            l["outcome"].as_str().unwrap_or_default(),
            l["detail"].as_str().unwrap_or_default()
        );
    }
    Ok(problems)
}

pub(crate) fn run(args: &[String]) -> Result {
    let update = args.iter().any(|a| a == "--update");
    let xmpp = xmpp_release()?;
    let mut problems = Vec::new();

    // Our own server: every MUST passes.
    let mut serve = Command::new(&xmpp)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            // The suites log the same accounts in many times.
            "--max-resources",
            "1000",
            "--user",
            "alice:wonderland",
            "--user",
            "bob:builder",
            "--user",
            &format!("{}:{}", ESCAPED.0, ESCAPED.1),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("xmpp serve: {e}"))?;
    let mut first = String::new();
    if let Some(out) = serve.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut first);
    }
    let listening: Value = serde_json::from_str(&first).unwrap_or_default();
    let c2s = listening["c2s"].as_str().unwrap_or_default().to_owned();
    let ours = probe(
        &xmpp,
        &c2s,
        "localhost",
        [("alice", "wonderland"), ("bob", "builder"), ESCAPED],
    );
    let _ = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let _ = serve.wait();
    let ours = ours?;
    for l in &ours {
        if l["level"] == "MUST" && l["outcome"] == "fail" {
            problems.push(format!(
                "xmpp serve fails a MUST: {} ({})",
                l["id"], l["detail"]
            ));
        }
    }
    problems.extend(compare("xmpp-serve", &ours, update)?);

    // Prosody 0.12.
    let running = prosody::start("prosody-probe")?;
    let server = format!("127.0.0.1:{}", running.port);
    let [alice, bob] = prosody::ACCOUNTS;
    let theirs = probe(&xmpp, &server, prosody::DOMAIN, [alice, bob, ESCAPED]);
    drop(running);
    problems.extend(compare("prosody", &theirs?, update)?);

    // ejabberd 23.01 with SCRAM-SHA-256 storage (`auth_scram_hash:
    // sha256`; its default is `sha`), every element in its log.
    let storage = ejabberd::Storage::ScramSha256;
    let running = ejabberd::start("ejabberd-probe", &[storage], true)?;
    let server = format!("127.0.0.1:{}", running.port);
    let [alice, bob] = ejabberd::ACCOUNTS;
    let theirs = probe(
        &xmpp,
        &server,
        storage.domain(),
        [alice, bob, ejabberd::ESCAPED],
    );
    let log = running.log.clone();
    drop(running);
    let theirs = theirs.map_err(|e| format!("{e}\nejabberd's log: {}", log.display()))?;
    problems.extend(compare("ejabberd", &theirs, update)?);

    if problems.is_empty() {
        println!("probe: results match testdata/probe/");
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
