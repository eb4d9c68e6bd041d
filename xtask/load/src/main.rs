//! `xmpp-load`: the c2s load generator that `cargo xtask load` runs against
//! `xmpp serve`, Prosody and ejabberd alike.
//!
//! Debian's tsung 1.7.0, the XMPP load tool of ejabberd's own benchmarks,
//! has SASL PLAIN, DIGEST-MD5, ANONYMOUS and legacy authentication but no
//! SCRAM, so it cannot log in the way the comparison needs (SCRAM with
//! stored keys). This generator does, and on purpose shares no code with
//! the project's XMPP crates: it speaks RFC 6120 with its own few lines of
//! byte search and RFC 5802 on the RustCrypto primitives, so that every
//! server, ours included, is measured by the same independent client.
//!
//! It runs on one thread (tokio's current-thread runtime), leaving the
//! other core to the server. Each mode prints one JSON line:
//!
//! ```text
//! xmpp-load logins   COMMON --count N [--concurrency C]
//! xmpp-load messages COMMON --to USER:PASSWORD --pairs K --count M
//! xmpp-load idle     COMMON --count N --pid PID [--concurrency C] [--accounts PREFIX]
//! COMMON: --server ADDR --domain D --user USER:PASSWORD
//!         [--mechanism SCRAM-SHA-256|SCRAM-SHA-1] [--tls starttls|off]
//! ```
//!
//! An account given as `USER` alone takes its password from the variable
//! `XMPP_PASSWORD`, out of the command line every local user can read.
//!
//! - `logins`: N logins (stream, SCRAM, restart, bind) and closes, C at a
//!   time; logins per second and latency percentiles.
//! - `messages`: K senders logged in as USER and K receivers as the `--to`
//!   account, one pair per full JID; each sender writes M chat messages to
//!   its receiver as fast as the server takes them; messages per second
//!   from the first write to the last `</message>` received.
//! - `idle`: N logged-in connections held open; the resident memory of the
//!   process PID and its descendants (Linux `/proc`) before and after,
//!   after a warm-up of a few connections. With `--accounts PREFIX` each
//!   connection is an account of its own (PREFIX0…PREFIX{N-1}, the
//!   warm-ups PREFIX{N}… after them, all with USER's password), as on a
//!   real server: thousands of sessions of one account make ejabberd keep
//!   a dead heap per session that grows with their number (it reads every
//!   session of the account at each bind), which is not what an idle
//!   connection costs.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "a std-only measuring tool"
)]

mod conn;
mod rss;
mod scram;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use conn::{Account, Conn, Login, find};
use scram::Cache;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xmpp-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xmpp-load: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The value after `--name`.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn number(args: &[String], name: &str, default: usize) -> Result<usize> {
    flag(args, name).map_or(Ok(default), |v| {
        v.parse().map_err(|_| format!("{name}: not a number: {v}"))
    })
}

/// `USER:PASSWORD`, or `USER` with the password in `XMPP_PASSWORD`.
fn account(s: &str) -> Result<Account> {
    account_with(s, std::env::var("XMPP_PASSWORD").ok())
}

fn account_with(s: &str, from_env: Option<String>) -> Result<Account> {
    let (user, password) = match s.split_once(':') {
        Some((user, password)) => (user, password.to_owned()),
        None => (
            s,
            from_env
                .filter(|p| !p.is_empty())
                .ok_or_else(|| format!("{s:?}: want USER:PASSWORD, or XMPP_PASSWORD set"))?,
        ),
    };
    Ok(Account {
        user: user.to_owned(),
        password,
    })
}

async fn run(args: &[String]) -> Result<serde_json::Value> {
    let mode = args.first().map(String::as_str).unwrap_or_default();
    let server = flag(args, "--server")
        .ok_or("--server ADDR is required")?
        .parse()
        .map_err(|e| format!("--server: {e}"))?;
    let login = Login {
        server,
        domain: flag(args, "--domain").unwrap_or("localhost").to_owned(),
        mechanism: flag(args, "--mechanism")
            .unwrap_or("SCRAM-SHA-256")
            .to_owned(),
        tls: match flag(args, "--tls").unwrap_or("off") {
            "starttls" => Some(conn::tls_connector()),
            "off" => None,
            other => return Err(format!("--tls {other}: want starttls or off")),
        },
        cache: Cache::default(),
    };
    let user = account(flag(args, "--user").ok_or("--user USER:PASSWORD is required")?)?;
    let count = number(args, "--count", 100)?;
    let concurrency = number(args, "--concurrency", 20)?.max(1);
    // One login first: a wrong password or a missing mechanism fails here,
    // clearly, and the generator's PBKDF2 is paid before the clock starts.
    Conn::login(&login, &user, "warmup").await?.close().await;
    match mode {
        "logins" => logins(&login, &user, count, concurrency).await,
        "messages" => {
            let to = account(flag(args, "--to").ok_or("--to USER:PASSWORD is required")?)?;
            Conn::login(&login, &to, "warmup").await?.close().await;
            messages(&login, &user, &to, number(args, "--pairs", 10)?, count).await
        }
        "idle" => {
            let pid = number(args, "--pid", 0)?;
            if pid == 0 {
                return Err("--pid PID is required".into());
            }
            let accounts: Vec<Account> = match flag(args, "--accounts") {
                Some(prefix) => (0..count + WARMUP)
                    .map(|i| Account {
                        user: format!("{prefix}{i}"),
                        password: user.password.clone(),
                    })
                    .collect(),
                None => vec![user.clone()],
            };
            idle(&login, &accounts, count, concurrency, pid).await
        }
        _ => Err(format!(
            "unknown mode {mode:?}: want logins, messages or idle"
        )),
    }
}

/// Logs in `count` connections with `concurrency` workers, connection `i`
/// as `users[i % users.len()]`; `close` each one after its bind unless
/// `keep`.
async fn many(
    login: &Login,
    users: &[Account],
    prefix: &str,
    count: usize,
    concurrency: usize,
    keep: bool,
) -> Result<(Vec<Conn>, Vec<Duration>)> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(concurrency);
    let next = Arc::new(AtomicUsize::new(0));
    for _ in 0..concurrency.min(count) {
        let (login, users, tx, next) =
            (login.clone(), users.to_vec(), tx.clone(), Arc::clone(&next));
        let prefix = prefix.to_owned();
        tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let started = Instant::now();
                let Some(user) = users.get(i % users.len().max(1)) else {
                    break;
                };
                let result = Conn::login(&login, user, &format!("{prefix}{i}")).await;
                let took = started.elapsed();
                let item = match result {
                    Ok(c) if keep => Ok((Some(c), took)),
                    Ok(c) => {
                        c.close().await;
                        Ok((None, took))
                    }
                    Err(e) => Err(e),
                };
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut conns = Vec::new();
    let mut times = Vec::with_capacity(count);
    while let Some(item) = rx.recv().await {
        let (conn, took) = item?;
        conns.extend(conn);
        times.push(took);
    }
    if times.len() != count {
        return Err(format!("{} of {count} logins finished", times.len()));
    }
    Ok((conns, times))
}

/// The `q` quantile of `times`, in milliseconds.
fn quantile(times: &mut [Duration], q: f64) -> f64 {
    times.sort_unstable();
    if times.is_empty() {
        return 0.0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short list"
    )]
    let i = ((times.len() - 1) as f64 * q).round() as usize;
    times.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn per_second(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64().max(1e-9)
}

async fn logins(
    login: &Login,
    user: &Account,
    count: usize,
    concurrency: usize,
) -> Result<serde_json::Value> {
    let started = Instant::now();
    let (_, mut times) = many(
        login,
        core::slice::from_ref(user),
        "l",
        count,
        concurrency,
        false,
    )
    .await?;
    let elapsed = started.elapsed();
    Ok(json!({
        "mode": "logins",
        "mechanism": login.mechanism,
        "tls": login.tls.is_some(),
        "count": count,
        "concurrency": concurrency,
        "seconds": elapsed.as_secs_f64(),
        "per_second": per_second(count, elapsed),
        "p50_ms": quantile(&mut times, 0.5),
        "p99_ms": quantile(&mut times, 0.99),
    }))
}

/// The chat messages one sender writes per `write`.
const BATCH: usize = 50;

async fn messages(
    login: &Login,
    from: &Account,
    to: &Account,
    pairs: usize,
    count: usize,
) -> Result<serde_json::Value> {
    let (senders, _) = many(
        login,
        core::slice::from_ref(from),
        "s",
        pairs,
        pairs.min(20),
        true,
    )
    .await?;
    let (receivers, _) = many(
        login,
        core::slice::from_ref(to),
        "r",
        pairs,
        pairs.min(20),
        true,
    )
    .await?;
    // The receivers' resources are r0…r{K-1}, in login order. Each counts
    // what it has so far, for the report when the deadline passes.
    let counts: Vec<_> = (0..receivers.len())
        .map(|_| Arc::new(AtomicUsize::new(0)))
        .collect();
    let mut receive = Vec::new();
    for (mut conn, counted) in receivers.into_iter().zip(counts.iter().cloned()) {
        receive.push(tokio::spawn(async move {
            let mut got = 0usize;
            let mut carry: Vec<u8> = Vec::new();
            while got < count {
                conn.fill().await?;
                let mut data = core::mem::take(&mut carry);
                data.extend_from_slice(&conn.take());
                let mut at = 0;
                while let Some(p) = data.get(at..).and_then(|d| find(d, b"</message>")) {
                    got += 1;
                    at += p + b"</message>".len();
                }
                counted.store(got, Ordering::Relaxed);
                // Searched before the tail is kept back, which may cut it:
                // an `<error` cut by the read's end lies in the kept tail.
                if find(&data, b"<error").is_some() {
                    return Err(format!(
                        "a message bounced: {}",
                        String::from_utf8_lossy(&data)
                    ));
                }
                // A close tag may be split across reads: keep its start.
                let keep = data.len().saturating_sub(at).min(b"</message>".len() - 1);
                carry = data.split_off(data.len() - keep);
            }
            Ok::<_, String>((Instant::now(), conn))
        }));
    }
    // Set once every receiver has all its messages: the senders stop
    // watching their own sockets then.
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    // A sender that sees a bounce says so here at once.
    let (bounced_tx, mut bounced) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let mut send = Vec::new();
    for (i, mut conn) in senders.into_iter().enumerate() {
        let to_jid = format!("{}@{}/r{i}", to.user, login.domain);
        let mut done = done_rx.clone();
        let bounced_tx = bounced_tx.clone();
        send.push(tokio::spawn(async move {
            let mut sent = 0;
            while sent < count {
                let mut batch = String::new();
                for n in sent..(sent + BATCH).min(count) {
                    batch.push_str(&format!(
                        "<message to='{to_jid}' type='chat' id='m{n}'>\
                         <body>load test message {n} of {count}</body></message>"
                    ));
                }
                conn.write(batch.as_bytes()).await?;
                sent = (sent + BATCH).min(count);
            }
            // A message the server could not deliver comes back to its
            // sender as an error (RFC 6120 §10.4.3): watch for one, so a
            // bounce is reported as such instead of as a missing message.
            loop {
                tokio::select! {
                    _ = done.wait_for(|d| *d) => break,
                    read = conn.fill() => {
                        read?;
                        let data = conn.take();
                        if find(&data, b"<error").is_some() {
                            let e = format!(
                                "a message bounced to its sender: {}",
                                String::from_utf8_lossy(&data)
                            );
                            let _ = bounced_tx.send(e.clone());
                            return Err(e);
                        }
                    }
                }
            }
            Ok::<_, String>(conn)
        }));
    }
    drop(bounced_tx);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut last = started;
    let mut keep = Vec::new();
    let mut receive = receive.into_iter();
    let mut pending = receive.next();
    while let Some(task) = pending.as_mut() {
        tokio::select! {
            joined = task => {
                let (done, conn) = joined.map_err(|e| format!("receiver: {e}"))??;
                last = last.max(done);
                keep.push(conn);
                pending = receive.next();
            }
            () = tokio::time::sleep_until(deadline) => {
                let got: Vec<usize> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
                return Err(format!(
                    "messages not all delivered within 120s: the receivers have {got:?} of {count} each"
                ));
            }
            Some(e) = bounced.recv() => return Err(e),
        }
    }
    let _ = done_tx.send(true);
    for task in send {
        keep.push(task.await.map_err(|e| format!("sender: {e}"))??);
    }
    let elapsed = last - started;
    for c in keep {
        c.close().await;
    }
    let total = pairs * count;
    Ok(json!({
        "mode": "messages",
        "mechanism": login.mechanism,
        "tls": login.tls.is_some(),
        "pairs": pairs,
        "count": total,
        "seconds": elapsed.as_secs_f64(),
        "per_second": per_second(total, elapsed),
    }))
}

/// Connections logged in before the first reading, so that the server's
/// one-time allocations (first login, caches, TLS session state) are not
/// counted per connection.
const WARMUP: usize = 20;

async fn idle(
    login: &Login,
    accounts: &[Account],
    count: usize,
    concurrency: usize,
    pid: usize,
) -> Result<serde_json::Value> {
    let settle = Duration::from_millis(1500);
    // The warm-ups use the accounts after the first `count` (the one
    // account when there is only one).
    let warm_users = accounts
        .get(count..)
        .filter(|w| !w.is_empty())
        .unwrap_or(accounts);
    let (warm, _) = many(login, warm_users, "w", WARMUP, concurrency, true).await?;
    tokio::time::sleep(settle).await;
    let before = rss::tree_kib(pid)?;
    let (conns, _) = many(login, accounts, "i", count, concurrency, true).await?;
    tokio::time::sleep(settle).await;
    let after = rss::tree_kib(pid)?;
    for c in warm.into_iter().chain(conns) {
        c.close().await;
    }
    #[allow(clippy::cast_precision_loss, reason = "KiB counts far below 2^52")]
    let per = (after.saturating_sub(before) as f64) * 1024.0 / count.max(1) as f64;
    Ok(json!({
        "mode": "idle",
        "mechanism": login.mechanism,
        "tls": login.tls.is_some(),
        "count": count,
        "accounts": accounts.len().min(count),
        "rss_before_kib": before,
        "rss_after_kib": after,
        "bytes_per_connection": per,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_comes_whole_or_with_the_password_from_the_environment() {
        let a = account_with("alice:won:der", Some("ignored".into())).unwrap();
        assert_eq!((a.user.as_str(), a.password.as_str()), ("alice", "won:der"));
        let a = account_with("alice", Some("s3cr3t".into())).unwrap();
        assert_eq!((a.user.as_str(), a.password.as_str()), ("alice", "s3cr3t"));
        assert!(account_with("alice", None).is_err());
        assert!(account_with("alice", Some(String::new())).is_err());
    }
}
