//! `cargo xtask load [--full]`: `xmpp serve`, Prosody and ejabberd under
//! the same load, on loopback, and one table side by side.
//!
//! The load comes from `xmpp-load` (`xtask/load/`), a generator that
//! shares no code with the project's XMPP crates (Debian's tsung, the tool
//! of ejabberd's own benchmarks, has no SCRAM; see that crate's docs). It
//! runs on one thread, so the server has the machine's other core. Per
//! server it measures, each on a freshly started process:
//!
//! - logins per second: stream, SCRAM-SHA-256 against stored keys,
//!   restart, bind, close; in the clear and with STARTTLS;
//! - messages routed per second: K senders and K receivers, each sender
//!   writing M chat messages to its receiver's full JID;
//! - resident memory per idle authenticated connection (the server's
//!   process tree, before and after N more connections, each an account
//!   of its own), in the clear and with STARTTLS.
//!
//! The run is bounded in count (the sizes below) and in time (every step
//! of the generator has a deadline). The small run is what CI does; the
//! figures of the full one go in the note. Nothing here fails on a
//! figure: a run fails only when a server does not do what is asked.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::conformance::ejabberd::{self, Storage};
use crate::conformance::prosody;
use crate::interop::{self, Served};
use crate::util::{Result, sh, target_dir};

/// The sizes of a run.
struct Sizes {
    logins: usize,
    pairs: usize,
    messages: usize,
    idle: usize,
}

const SMALL: Sizes = Sizes {
    logins: 200,
    pairs: 10,
    messages: 1_000,
    idle: 200,
};

const FULL: Sizes = Sizes {
    logins: 2_000,
    pairs: 50,
    messages: 4_000,
    idle: 2_000,
};

/// A server under load: where it listens, its accounts, its process.
struct Target {
    addr: String,
    domain: String,
    users: [(String, String); 2],
    pid: u32,
    /// Stops the server when dropped.
    _running: Box<dyn core::any::Any>,
}

/// The prefix of the idle run's accounts (`xmpp-load idle --accounts`):
/// one per connection, plus xmpp-load's warm-ups, each with the server's
/// first account's password. One account holding N sessions is not what
/// an idle connection costs: ejabberd 23.01 then keeps a dead heap per
/// session that grows with N (its figure went from 177 kB at 200 to
/// 968 kB at 2,000; with an account per connection it is about 75 kB).
const IDLE_PREFIX: &str = "idle";

/// xmpp-load's warm-up connections before an idle reading.
const IDLE_WARMUP: usize = 20;

/// The idle run's account names for `n` connections.
fn idle_names(n: usize) -> Vec<String> {
    (0..n + IDLE_WARMUP)
        .map(|i| format!("{IDLE_PREFIX}{i}"))
        .collect()
}

/// The servers measured, by name.
const SERVERS: [&str; 3] = ["xmpp serve", "prosody 0.12", "ejabberd 23.01"];

pub(crate) fn run(args: &[String]) -> Result {
    let sizes = if args.iter().any(|a| a == "--full") {
        FULL
    } else {
        SMALL
    };
    sh(Command::new("cargo").args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "xmpp-cli",
        "-p",
        "xtask-load",
    ]))?;
    let release = target_dir().join("release");
    let load = release.join("xmpp-load");
    let xmpp = release.join("xmpp");
    let mut rows = Vec::new();
    for name in SERVERS {
        // `idle`: the one-connection accounts the server needs.
        let start = |idle: &[String]| -> Result<Target> {
            match name {
                "xmpp serve" => serve(&xmpp, idle),
                "prosody 0.12" => prosody_target(idle),
                _ => ejabberd_target(idle),
            }
        };
        eprintln!("load: {name}");
        let mut row = json!({"server": name});
        {
            let t = start(&[])?;
            let logins = [("--count", sizes.logins)];
            row["logins"] = drive(&load, &t, "logins", &logins, &[], false)?;
            row["logins_tls"] = drive(&load, &t, "logins", &logins, &[], true)?;
            row["messages"] = drive(
                &load,
                &t,
                "messages",
                &[("--pairs", sizes.pairs), ("--count", sizes.messages)],
                &[],
                false,
            )?;
        }
        let idle = idle_names(sizes.idle);
        for (key, tls) in [("idle", false), ("idle_tls", true)] {
            let t = start(&idle)?;
            let pid = usize::try_from(t.pid).map_err(|e| e.to_string())?;
            row[key] = drive(
                &load,
                &t,
                "idle",
                &[("--count", sizes.idle), ("--pid", pid)],
                &["--accounts", IDLE_PREFIX],
                tls,
            )?;
        }
        rows.push(row);
    }
    let out = target_dir().join("load");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let file = out.join("results.json");
    std::fs::write(&file, Value::Array(rows.clone()).to_string())
        .map_err(|e| format!("{}: {e}", file.display()))?;
    print!("{}", table(&rows));
    eprintln!("load: the raw figures are in {}", file.display());
    Ok(())
}

/// One `xmpp-load` run against `t`; its JSON line.
fn drive(
    load: &Path,
    t: &Target,
    mode: &str,
    numbers: &[(&str, usize)],
    extra: &[&str],
    tls: bool,
) -> Result<Value> {
    let (user, password) = &t.users[0];
    let (to_user, to_password) = &t.users[1];
    let mut cmd = Command::new(load);
    cmd.args([mode, "--server", &t.addr, "--domain", &t.domain])
        .args(["--user", &format!("{user}:{password}")])
        .args(["--to", &format!("{to_user}:{to_password}")])
        .args(["--mechanism", "SCRAM-SHA-256"])
        .args(["--tls", if tls { "starttls" } else { "off" }]);
    for (flag, n) in numbers {
        cmd.args([*flag, &n.to_string()]);
    }
    cmd.args(extra);
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", load.display()))?;
    if !out.status.success() {
        return Err(format!(
            "xmpp-load {mode} (tls {tls}) against {}: {}",
            t.addr,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(line.trim())
        .map_err(|e| format!("xmpp-load printed {line:?}: {e}"))?;
    eprintln!("  {v}");
    Ok(v)
}

/// `xmpp serve` on free ports, TLS optional (so that both plain and
/// STARTTLS logins are possible), with the interop run's two accounts,
/// each of which logs in thousands of connections (hence no cap on
/// resources per account worth the name), and the `idle` ones.
fn serve(xmpp: &Path, idle: &[String]) -> Result<Target> {
    let password = interop::ACCOUNTS[0].1;
    let users: Vec<String> = idle.iter().map(|n| format!("{n}:{password}")).collect();
    let mut extra = vec!["--tls", "optional", "--max-resources", "1000000"];
    for u in &users {
        extra.extend(["--user", u.as_str()]);
    }
    let served = Served::start(xmpp, &extra)?;
    Ok(Target {
        addr: served.field("c2s"),
        domain: served.field("domain"),
        users: accounts(&interop::ACCOUNTS),
        pid: served.pid(),
        _running: Box::new(served),
    })
}

/// Prosody 0.12 (logging warnings only), on its SCRAM-SHA-256 host, with
/// the `idle` accounts.
fn prosody_target(idle: &[String]) -> Result<Target> {
    let running = prosody::start_logging("prosody-load", "warn")?;
    running.clone_account(prosody::DOMAIN_SHA256, prosody::ACCOUNTS[0].0, idle)?;
    Ok(Target {
        addr: format!("127.0.0.1:{}", running.port),
        domain: prosody::DOMAIN_SHA256.to_owned(),
        users: accounts(&prosody::ACCOUNTS),
        pid: running.pid(),
        _running: Box::new(running),
    })
}

/// ejabberd 23.01 (logging without debug), on its SCRAM-SHA-256 host: no
/// shaper, no session limit (see its configuration), with the `idle`
/// accounts.
fn ejabberd_target(idle: &[String]) -> Result<Target> {
    let extra = ejabberd::Numbered {
        prefix: IDLE_PREFIX,
        count: idle.len(),
        password: ejabberd::ACCOUNTS[0].1,
    };
    let running = ejabberd::start_with("ejabberd-load", &[Storage::ScramSha256], false, extra)?;
    Ok(Target {
        addr: format!("127.0.0.1:{}", running.port),
        domain: Storage::ScramSha256.domain().to_owned(),
        users: accounts(&ejabberd::ACCOUNTS),
        pid: running.pid(),
        _running: Box::new(running),
    })
}

fn accounts(a: &[(&str, &str); 2]) -> [(String, String); 2] {
    a.map(|(u, p)| (u.to_owned(), p.to_owned()))
}

fn number(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

/// The table: one row per server, then the ratios of the first (ours) to
/// each other.
fn table(rows: &[Value]) -> String {
    let mut s = format!(
        "{:<14} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
        "server", "logins/s", "TLS logins/s", "messages/s", "B/idle conn", "B/idle TLS"
    );
    let cell = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |x| format!("{x:.0}"));
    for r in rows {
        s.push_str(&format!(
            "{:<14} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
            r["server"].as_str().unwrap_or_default(),
            cell(number(&r["logins"], "per_second")),
            cell(number(&r["logins_tls"], "per_second")),
            cell(number(&r["messages"], "per_second")),
            cell(number(&r["idle"], "bytes_per_connection")),
            cell(number(&r["idle_tls"], "bytes_per_connection")),
        ));
    }
    if let Some((ours, peers)) = rows.split_first() {
        for peer in peers {
            let ratio = |section: &str, key: &str| -> String {
                match (number(&ours[section], key), number(&peer[section], key)) {
                    (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
                    _ => "-".into(),
                }
            };
            s.push_str(&format!(
                "ours / {:<7} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
                peer["server"]
                    .as_str()
                    .unwrap_or_default()
                    .split(' ')
                    .next()
                    .unwrap_or_default(),
                ratio("logins", "per_second"),
                ratio("logins_tls", "per_second"),
                ratio("messages", "per_second"),
                ratio("idle", "bytes_per_connection"),
                ratio("idle_tls", "bytes_per_connection"),
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_puts_ours_against_each_peer() {
        let rows = [
            json!({"server": "xmpp serve", "messages": {"per_second": 300.0}, "idle": {"bytes_per_connection": 1000.0}}),
            json!({"server": "prosody 0.12", "messages": {"per_second": 100.0}, "idle": {"bytes_per_connection": 4000.0}}),
        ];
        let t = table(&rows);
        assert!(t.contains("ours / prosody"), "{t}");
        assert!(t.contains("3.00x"), "{t}");
        assert!(t.contains("0.25x"), "{t}");
    }
}
