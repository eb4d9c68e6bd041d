//! `cargo xtask conformance prosody [--record]`: our crates against a real
//! server.
//!
//! Starts Prosody (the Debian package `prosody`, 0.12) on a free loopback
//! port with its own configuration, data, log and pid file under
//! `target/prosody-conformance/`, as a child process in the foreground that
//! is killed when the run ends, passes or fails. Three virtual hosts,
//! because Prosody 0.12's `internal_hashed` storage offers one SCRAM hash
//! per host: `example.test` (SCRAM-SHA-1, the default),
//! `sha256.example.test` (`password_hash = "SHA-256"`), and
//! `plain.example.test` (`internal_plain`, passwords as they are, for
//! `cargo xtask interop`); all offer PLAIN, which we allow without TLS.
//! Accounts are made with `prosodyctl register`. Besides the c2s port with
//! STARTTLS, a second one speaks direct TLS (XEP-0368).
//!
//! Prosody also gets a self-signed certificate made for the run ([`tls`]),
//! so that it offers STARTTLS (not required: most checks run in the
//! clear), and mod_smacks (XEP-0198).
//!
//! Then [`client`] runs real c2s sessions over TCP: each is an
//! `xmpp-session` `Client` moved by the small blocking driver of
//! [`session`] (a `std::net` socket, rustls for STARTTLS), and a [`tap`]
//! frames, parses and round-trips every element Prosody sent with
//! xmpp-stream and xmpp-stanza on the side. It prints one line per check;
//! any mismatch fails the run with the connection's raw bytes. The library
//! crates stay free of I/O: the sockets, the clock, TLS and the child
//! process are this module's.
//!
//! `--record` also writes every distinct element Prosody sent, as the
//! vector cases `testdata/stanzas/prosody-0.12.txt`, with the expectation
//! our crates met; xmpp-stanza's tests and the `stanza_parse` fuzz seeds
//! (after `testdata/stanzas/make_fuzz_seeds.py`) then use them everywhere.

mod app;
mod client;
mod session;
mod sm;
mod starttls;
mod tap;
pub(crate) mod tls;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::local;

use tap::Recorded;
use tls::Certificate;

use crate::util::{Result, root};

/// The host with SCRAM-SHA-1 (and PLAIN).
const HOST: &str = "example.test";
/// The host with SCRAM-SHA-256 (and PLAIN).
const HOST_SHA256: &str = "sha256.example.test";
/// The host that stores passwords as they are (`internal_plain`).
const HOST_PLAIN: &str = "plain.example.test";
/// The accounts every host gets: (user, password). The third has a name
/// SCRAM escapes (`,` and `=`, RFC 5802 §5.1) and a password SASLprep maps
/// (RFC 4013 §2: U+2168 to `IX` by NFKC, U+00A0 to a space, U+00AD to
/// nothing), which Prosody applies when it stores the keys. (Not an `n`
/// before the `,` or `=`: Prosody 0.12 reads the username of a
/// client-first-message with a greedy pattern that takes the last `n=`,
/// so `n=o=2Cn=3De` logs in as `3De`.)
const USERS: [(&str, &str); 3] = [
    ("alice", "alice-secret"),
    ("bob", "bob-secret"),
    ("a,b=c", "\u{2168}\u{a0}p\u{e4}ssw\u{f6}rd\u{ad}"),
];
/// How long Prosody may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// The parts of the run a failure message points at.
struct Paths {
    dir: PathBuf,
    config: PathBuf,
    log: PathBuf,
    console: PathBuf,
    /// The run's certificate and key, PEM.
    cert: PathBuf,
    key: PathBuf,
}

/// Where `--record` writes the elements Prosody sent.
const RECORD: &str = "testdata/stanzas/prosody-0.12.txt";

/// A Prosody of this run's configuration, started under `target/<dir>`:
/// the process (killed when dropped), its port, certificate and paths.
pub(crate) struct Running {
    server: Server,
    pub(crate) port: u16,
    /// The c2s port with direct TLS (XEP-0368).
    pub(crate) tls_port: u16,
    certificate: Certificate,
    paths: Paths,
}

impl Running {
    /// The process id of the server (for its resident memory).
    pub(crate) fn pid(&self) -> u32 {
        self.server.child.id()
    }

    /// Gives each of `names` on `host` a copy of account `from`'s stored
    /// record (the same password: SCRAM's stored keys do not depend on the
    /// name). Prosody's `internal` storage reads
    /// `data/<host>/accounts/<name>.dat` at each login, so this works on a
    /// running server; the names must be lowercase letters and digits
    /// (Prosody escapes anything else in a file name, as `%2e` for `.` in
    /// the host).
    pub(crate) fn clone_account(&self, host: &str, from: &str, names: &[String]) -> Result {
        let dir = self
            .paths
            .dir
            .join("data")
            .join(host.replace('.', "%2e"))
            .join("accounts");
        let record = dir.join(format!("{from}.dat"));
        let text = std::fs::read(&record).map_err(|e| format!("{}: {e}", record.display()))?;
        for n in names {
            if !n
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                return Err(format!("{n:?}: not a plain account name"));
            }
            let to = dir.join(format!("{n}.dat"));
            std::fs::write(&to, &text).map_err(|e| format!("{}: {e}", to.display()))?;
        }
        Ok(())
    }
}

/// The domain and two accounts of a started Prosody, for other tools.
pub(crate) const DOMAIN: &str = HOST;
/// The hosts by storage: `internal_hashed` with SHA-1 ([`DOMAIN`]) and
/// SHA-256, and `internal_plain`.
pub(crate) const DOMAIN_SHA256: &str = HOST_SHA256;
pub(crate) const DOMAIN_PLAIN: &str = HOST_PLAIN;
pub(crate) const ACCOUNTS: [(&str, &str); 2] = [("alice", "alice-secret"), ("bob", "bob-secret")];
/// An account whose name SCRAM escapes (`jo=2Cn=3De`), for `xmpp probe`'s
/// escaping check.
/// Its password holds a space, for `xmpp probe`'s `sasl-saslprep` check
/// (the same password with U+00A0 must log in with PLAIN).
pub(crate) const ESCAPED: (&str, &str) = ("jo,n=e", "escape secret");

/// Starts a Prosody of this run's configuration under `target/<dir>`.
pub(crate) fn start(dir: &str) -> Result<Running> {
    start_logging(dir, "debug")
}

/// [`start`] with Prosody logging at `level` only (`warn` for a load
/// run, where a debug log would measure the disk).
pub(crate) fn start_logging(dir: &str, level: &str) -> Result<Running> {
    let prosody = find_program("prosody")?;
    let prosodyctl = find_program("prosodyctl")?;
    let paths = prepare(&root().join("target").join(dir))?;
    let port = local::free_port()?;
    let tls_port = local::free_port()?;
    let certificate = Certificate::generate(&[HOST, HOST_SHA256, HOST_PLAIN])?;
    for (file, pem) in [
        (&paths.cert, &certificate.cert_pem),
        (&paths.key, &certificate.key_pem),
    ] {
        std::fs::write(file, pem).map_err(|e| format!("write {}: {e}", file.display()))?;
    }
    std::fs::write(&paths.config, config(&paths.dir, port, tls_port, level))
        .map_err(|e| format!("write {}: {e}", paths.config.display()))?;
    for host in [HOST, HOST_SHA256, HOST_PLAIN] {
        for (user, password) in USERS.into_iter().chain([ESCAPED]) {
            register(&prosodyctl, &paths.config, user, host, password)?;
        }
    }
    let server = Server::start(&prosody, &paths, port)?;
    Ok(Running {
        server,
        port,
        tls_port,
        certificate,
        paths,
    })
}

pub(crate) fn run(args: &[String]) -> Result {
    let record = args.iter().any(|a| a == "--record");
    let started = Instant::now();
    let Running {
        server,
        port,
        certificate,
        tls_port: _,
        paths,
    } = start("prosody-conformance")?;
    eprintln!(
        "prosody: listening on 127.0.0.1:{port} after {} ms (config {})",
        started.elapsed().as_millis(),
        paths.config.display()
    );
    let result = client::run(port, &certificate);
    drop(server);
    match result {
        Ok((checks, recorded)) => {
            if record {
                write_vectors(&recorded)?;
            }
            eprintln!(
                "prosody: {checks} checks passed in {} ms",
                started.elapsed().as_millis()
            );
            Ok(())
        }
        Err(e) => Err(format!(
            "{e}\nprosody's log (debug level, every byte it sent and got): {}",
            paths.log.display()
        )),
    }
}

/// Writes the received elements as vector cases (testdata/stanzas/README.md),
/// each distinct element once.
fn write_vectors(recorded: &[Recorded]) -> Result {
    let mut out = String::from(
        "# Every distinct element Prosody 0.12 sent during `cargo xtask conformance\n\
         # prosody --record` (its bytes; `xmlns:stream` added where the stream\n\
         # header declared it), with what our crates read it as. Regenerate with\n\
         # that command, not by hand; ids, nonces and stamps change each time.\n",
    );
    let mut seen = std::collections::HashSet::new();
    for r in recorded {
        if !seen.insert(r.xml.as_str()) {
            continue;
        }
        out.push_str(&format!("\n=== {}\nexpect: {}\n", r.title, r.expect));
        if let Some(ver) = &r.caps_ver {
            out.push_str(&format!("caps-ver: {ver}\n"));
        }
        out.push_str(&r.xml);
        out.push('\n');
    }
    let path = root().join(RECORD);
    std::fs::write(&path, out).map_err(|e| format!("write {}: {e}", path.display()))?;
    eprintln!("prosody: wrote {} cases to {}", seen.len(), path.display());
    Ok(())
}

/// The absolute path of `name` on `PATH`, or how to install it.
fn find_program(name: &str) -> Result<PathBuf> {
    crate::setup::find_program(name).ok_or_else(|| {
        format!(
            "`{name}` not found on PATH: install Prosody 0.12, e.g. the Debian package \
             (`apt-get install prosody`; `cargo xtask setup` does it as root)"
        )
    })
}

/// A fresh directory for this run, after stopping the instance an earlier
/// run left behind when it was killed before it could kill its child (the
/// pid file's Prosody, if it still runs with this directory's
/// configuration).
fn prepare(dir: &Path) -> Result<Paths> {
    let config = dir.join("prosody.cfg.lua");
    let config_text = config.display().to_string();
    local::stop_stale(
        "prosody",
        &dir.join("prosody.pid"),
        &["prosody", config_text.as_str()],
    );
    local::fresh_dir(dir, &["data", "certs"])?;
    Ok(Paths {
        dir: dir.to_path_buf(),
        config,
        log: dir.join("prosody.log"),
        console: dir.join("console.txt"),
        cert: dir.join("certs").join("run.crt"),
        key: dir.join("certs").join("run.key"),
    })
}

/// A Lua string literal for `s` (paths under the workspace).
fn lua_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The configuration: c2s on `port` of 127.0.0.1 only, nothing else
/// listening, plaintext allowed, STARTTLS offered with the run's
/// certificate, XEP-0198 on, everything kept under `dir`.
fn config(dir: &Path, port: u16, tls_port: u16, level: &str) -> String {
    let path = |name: &str| lua_string(&dir.join(name).display().to_string());
    format!(
        r#"-- Written by cargo xtask conformance prosody; rewritten on every run.
-- Our own instance: runs as the invoking user (root in CI containers too),
-- in the foreground, with its files here and only c2s on loopback.
run_as_root = true
data_path = {data}
pidfile = {pid}
certificates = {certs}
ssl = {{ certificate = {cert}; key = {key} }}
log = {{ {level} = {log} }}
c2s_ports = {{ {port} }}
c2s_interfaces = {{ "127.0.0.1" }}
c2s_direct_tls_ports = {{ {tls_port} }}
c2s_direct_tls_interfaces = {{ "127.0.0.1" }}
s2s_ports = {{}}
component_ports = {{}}
http_ports = {{}}
https_ports = {{}}
modules_enabled = {{
  "roster"; "saslauth"; "disco"; "ping"; "version"; "uptime"; "time";
  "carbons"; "csi_simple"; "blocklist"; "private"; "server_contact_info";
  "tls"; "smacks";
}}
modules_disabled = {{ "s2s"; "offline" }}
contact_info = {{ admin = {{ "mailto:admin@example.test" }} }}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
storage = "internal"

VirtualHost "{HOST}"

VirtualHost "{HOST_SHA256}"
  password_hash = "SHA-256"

VirtualHost "{HOST_PLAIN}"
  authentication = "internal_plain"
"#,
        data = path("data"),
        pid = path("prosody.pid"),
        certs = path("certs"),
        cert = path("certs/run.crt"),
        key = path("certs/run.key"),
        log = path("prosody.log"),
    )
}

/// `prosodyctl register USER HOST PASSWORD` with our configuration.
fn register(prosodyctl: &Path, config: &Path, user: &str, host: &str, password: &str) -> Result {
    let out = Command::new(prosodyctl)
        .arg("--config")
        .arg(config)
        .args(["register", user, host, password])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", prosodyctl.display()))?;
    if !out.status.success() {
        return Err(format!(
            "prosodyctl register {user} {host} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// The running server; dropping it kills the process (also when a check
/// fails or panics).
struct Server {
    child: local::Killed,
}

impl Server {
    /// Starts Prosody in the foreground and waits until it accepts
    /// connections on `port`.
    fn start(prosody: &Path, paths: &Paths, port: u16) -> Result<Self> {
        let console = File::create(&paths.console)
            .map_err(|e| format!("create {}: {e}", paths.console.display()))?;
        let console2 = console
            .try_clone()
            .map_err(|e| format!("{}: {e}", paths.console.display()))?;
        let child = Command::new(prosody)
            .arg("--config")
            .arg(&paths.config)
            .arg("--no-daemonize")
            .current_dir(&paths.dir)
            .stdin(Stdio::null())
            .stdout(console)
            .stderr(console2)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", prosody.display()))?;
        let mut child = local::Killed::new(child);
        local::wait_until(
            &format!("prosody on 127.0.0.1:{port}"),
            &mut child,
            START_TIMEOUT,
            || local::accepts(port),
            || {
                format!(
                    "{}\n{}",
                    local::tail(&paths.console, 20),
                    local::tail(&paths.log, 20)
                )
            },
        )?;
        Ok(Self { child })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_strings_are_escaped() {
        assert_eq!(lua_string("/tmp/a"), "\"/tmp/a\"");
        assert_eq!(lua_string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }

    #[test]
    fn config_listens_on_loopback_only() {
        let c = config(Path::new("/w/target/p"), 40123, 40124, "debug");
        for want in [
            "c2s_ports = { 40123 }",
            "c2s_direct_tls_ports = { 40124 }\nc2s_direct_tls_interfaces = { \"127.0.0.1\" }",
            "VirtualHost \"plain.example.test\"\n  authentication = \"internal_plain\"",
            "c2s_interfaces = { \"127.0.0.1\" }",
            "s2s_ports = {}",
            "data_path = \"/w/target/p/data\"",
            "VirtualHost \"example.test\"",
            "VirtualHost \"sha256.example.test\"\n  password_hash = \"SHA-256\"",
        ] {
            assert!(c.contains(want), "{want} missing from {c}");
        }
    }
}
