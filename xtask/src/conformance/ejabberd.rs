//! A private ejabberd 23.01 (the Debian package `ejabberd`) on loopback, for
//! `cargo xtask probe` and `cargo xtask interop`.
//!
//! Everything lives under `target/<dir>/`: the configuration
//! (`ejabberd.yml`), the Mnesia spool, the logs, the certificate, and the
//! Erlang cookie's home. The system's ejabberd (its service, its
//! `/etc/ejabberd`, `/var/lib/ejabberd`, the epmd on 4369) is never
//! touched: we start our own epmd on a free port of 127.0.0.1 (both
//! children get `ERL_EPMD_PORT`), then `erl` itself (not `ejabberdctl`,
//! which switches to the `ejabberd` user when run as root) with its own
//! node name and a random cookie, distribution on 127.0.0.1 only. Both
//! processes are ours by pid and killed when [`Running`] is dropped.
//!
//! The c2s listeners: one with STARTTLS offered but not required (so that
//! plaintext logins work too, PLAIN included: ejabberd offers PLAIN in the
//! clear) and one with direct TLS (XEP-0368, `tls: true`); no s2s, no HTTP.
//! Each storage variant of the run ([`Storage`]) is a virtual host of its
//! own, since ejabberd reads `auth_password_format` and `auth_scram_hash`
//! per host (`host_config`); every host gets the same accounts. They are
//! registered in the same node by `ejabberd_auth:try_register/3` (what
//! `ejabberdctl register` calls) once the application has started, and
//! the node prints a marker line when that is done: readiness is the
//! marker and then a TCP connection to the c2s port, within bounded waits
//! whose errors carry the tails of the console and the log.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::local::{self, Killed};
use super::prosody::tls::Certificate;
use crate::util::{Result, root};

/// The accounts every host gets: two for the checks and the one whose
/// name SCRAM escapes (shared with Prosody's run).
pub(crate) const ACCOUNTS: [(&str, &str); 2] = super::prosody::ACCOUNTS;
/// An account whose name SCRAM escapes (`jo=2Cn=3De`).
pub(crate) const ESCAPED: (&str, &str) = super::prosody::ESCAPED;

/// The version the configuration is written for (Debian bookworm's).
pub(crate) const VERSION: &str = "23.01";

/// How long the node may take to start and register the accounts (a cold
/// start on a busy 2-core machine takes about 8 s).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long our epmd may take to listen.
const EPMD_TIMEOUT: Duration = Duration::from_secs(10);
/// What the node prints once every account is registered.
const READY: &str = "xtask-ready";

/// How a virtual host stores passwords, which decides the mechanisms
/// ejabberd offers there (`ejabberd_c2s:sasl_mechanisms/2` in 23.01: SCRAM
/// storage offers only its own hash, plain storage every hash, and PLAIN
/// everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Storage {
    /// `auth_password_format: scram`, `auth_scram_hash: sha` (SCRAM-SHA-1).
    ScramSha1,
    /// `auth_password_format: scram`, `auth_scram_hash: sha256`.
    ScramSha256,
    /// `auth_password_format: plain`: every SCRAM hash, from the password.
    Plain,
}

impl Storage {
    /// Every variant.
    pub(crate) const ALL: [Self; 3] = [Self::ScramSha1, Self::ScramSha256, Self::Plain];

    /// The virtual host of this variant.
    pub(crate) fn domain(self) -> &'static str {
        match self {
            Self::ScramSha1 => "sha1.example.test",
            Self::ScramSha256 => "sha256.example.test",
            Self::Plain => "plain.example.test",
        }
    }

    /// What the tables call it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::ScramSha1 => "scram SHA-1",
            Self::ScramSha256 => "scram SHA-256",
            Self::Plain => "plain",
        }
    }

    /// The host's options in `host_config`.
    fn options(self) -> &'static str {
        match self {
            Self::ScramSha1 => "auth_password_format: scram\n    auth_scram_hash: sha",
            Self::ScramSha256 => "auth_password_format: scram\n    auth_scram_hash: sha256",
            Self::Plain => "auth_password_format: plain",
        }
    }
}

/// The files of an instance.
struct Paths {
    dir: PathBuf,
    config: PathBuf,
    spool: PathBuf,
    log: PathBuf,
    console: PathBuf,
    epmd_console: PathBuf,
    pem: PathBuf,
}

impl Paths {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            config: dir.join("ejabberd.yml"),
            spool: dir.join("spool"),
            log: dir.join("logs").join("ejabberd.log"),
            console: dir.join("console.txt"),
            epmd_console: dir.join("epmd.txt"),
            pem: dir.join("certs").join("run.pem"),
        }
    }

    /// The tails of the console and the log, for an error.
    fn tails(&self) -> String {
        format!(
            "{}\n{}",
            local::tail(&self.console, 15),
            local::tail(&self.log, 25)
        )
    }
}

/// A started ejabberd: the node and its epmd (both killed when dropped,
/// the node first), its ports and files.
pub(crate) struct Running {
    // Field order is drop order: the node before its epmd.
    node: Killed,
    _epmd: Killed,
    /// The c2s listener with STARTTLS offered (plaintext allowed).
    pub(crate) port: u16,
    /// The c2s listener with direct TLS (XEP-0368).
    pub(crate) tls_port: u16,
    /// The log (`loglevel: debug`: every stanza in and out).
    pub(crate) log: PathBuf,
}

impl Running {
    /// The node's process id (`beam.smp` and what it starts run under
    /// it), for its resident memory.
    pub(crate) fn pid(&self) -> u32 {
        self.node.id()
    }
}

/// Starts an ejabberd with a virtual host per `storages` under
/// `target/<dir>/`; `debug` logs every element (`loglevel: debug`), which
/// a long run should not.
pub(crate) fn start(dir: &str, storages: &[Storage], debug: bool) -> Result<Running> {
    let none = Numbered {
        prefix: "",
        count: 0,
        password: "",
    };
    start_with(dir, storages, debug, none)
}

/// Accounts `prefix0` … `prefix{count-1}`, all with `password`: the load
/// run's one-connection accounts, registered on every host by the node
/// itself (a list of thousands would not fit in one command-line
/// argument).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Numbered<'a> {
    pub(crate) prefix: &'a str,
    pub(crate) count: usize,
    pub(crate) password: &'a str,
}

/// [`start`] with the [`Numbered`] accounts too.
pub(crate) fn start_with(
    dir: &str,
    storages: &[Storage],
    debug: bool,
    extra: Numbered<'_>,
) -> Result<Running> {
    let install = Install::find()?;
    let paths = Paths::new(&root().join("target").join(dir));
    let name = node_name(dir);
    // An instance a killed run left behind: its node and epmd by their
    // pid files, if they still run with this directory.
    let dir_text = paths.dir.display().to_string();
    for (pid, program) in [("erl.pid", "beam"), ("epmd.pid", "epmd")] {
        let pid_file = paths.dir.join(pid);
        let marker = if program == "beam" {
            dir_text.as_str()
        } else {
            "-port"
        };
        local::stop_stale("ejabberd", &pid_file, &[program, marker]);
    }
    local::fresh_dir(&paths.dir, &["spool", "logs", "certs", "home"])?;
    let domains: Vec<&str> = storages.iter().map(|s| s.domain()).collect();
    let certificate = Certificate::generate(&domains)?;
    write(
        &paths.pem,
        &format!("{}{}", certificate.cert_pem, certificate.key_pem),
    )?;
    let (port, tls_port, epmd_port) = (
        local::free_port()?,
        local::free_port()?,
        local::free_port()?,
    );
    write(
        &paths.config,
        &config(&paths, storages, port, tls_port, debug),
    )?;

    let mut epmd = spawn(
        Command::new(&install.epmd).args([
            "-port",
            &epmd_port.to_string(),
            "-address",
            "127.0.0.1",
        ]),
        &paths.epmd_console,
    )?;
    write(&paths.dir.join("epmd.pid"), &epmd.id().to_string())?;
    local::wait_until(
        &format!("epmd on 127.0.0.1:{epmd_port}"),
        &mut epmd,
        EPMD_TIMEOUT,
        || local::accepts(epmd_port),
        || local::tail(&paths.epmd_console, 10),
    )?;

    let cookie = cookie()?;
    let mut erl = Command::new(&install.erl);
    erl.args(["-sname", &name, "-setcookie", &cookie])
        .args(["-noinput", "-start_epmd", "false"])
        .args(["-kernel", "inet_dist_use_interface", "{127,0,0,1}"])
        .args([
            "-mnesia",
            "dir",
            &quoted(&paths.spool.display().to_string()),
        ])
        .args(["-s", "ejabberd", "-eval", &register_eval(storages, extra)])
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        .env("ERL_LIBS", &install.libs)
        .env("HOME", paths.dir.join("home"))
        .env("EJABBERD_CONFIG_PATH", &paths.config)
        .env("EJABBERD_LOG_PATH", &paths.log)
        .env("ERL_CRASH_DUMP", paths.dir.join("erl_crash.dump"))
        .env("CONTRIB_MODULES_PATH", paths.dir.join("modules"))
        .env("CONTRIB_MODULES_CONF_DIR", paths.dir.join("modules.d"))
        .current_dir(&paths.dir);
    let mut node = spawn(&mut erl, &paths.console)?;
    write(&paths.dir.join("erl.pid"), &node.id().to_string())?;
    // Registering takes about 16 ms an account on a busy machine.
    let registering = START_TIMEOUT
        + Duration::from_millis(50).saturating_mul(u32::try_from(extra.count).unwrap_or(u32::MAX));
    local::wait_until(
        &format!("ejabberd {VERSION} (node {name}) registering its accounts"),
        &mut node,
        registering,
        || console_says(&paths.console, READY),
        || paths.tails(),
    )?;
    local::wait_until(
        &format!("ejabberd on 127.0.0.1:{port}"),
        &mut node,
        START_TIMEOUT,
        || local::accepts(port) && local::accepts(tls_port),
        || paths.tails(),
    )?;
    Ok(Running {
        node,
        _epmd: epmd,
        port,
        tls_port,
        log: paths.log.clone(),
    })
}

/// Where the Debian package put the programs and the Erlang libraries.
struct Install {
    erl: PathBuf,
    epmd: PathBuf,
    /// `ERL_LIBS`: the directory holding `ejabberd-23.01/` and its
    /// dependencies (`/usr/lib/<triplet>` on Debian).
    libs: PathBuf,
}

impl Install {
    fn find() -> Result<Self> {
        let missing = |name: &str| {
            format!(
                "`{name}` not found: install ejabberd {VERSION}, e.g. the Debian package \
                 (`apt-get install ejabberd`; `cargo xtask setup` does it as root, without \
                 starting the system's service)"
            )
        };
        let program = |name: &str| crate::setup::find_program(name).ok_or_else(|| missing(name));
        let ctl = crate::setup::find_program("ejabberdctl")
            .or_else(|| Some(PathBuf::from("/usr/sbin/ejabberdctl")).filter(|p| p.is_file()))
            .ok_or_else(|| missing("ejabberdctl"))?;
        let script =
            std::fs::read_to_string(&ctl).map_err(|e| format!("read {}: {e}", ctl.display()))?;
        let libs = erl_libs(&script).ok_or_else(|| {
            format!(
                "no ERL_LIBS in {}: not the Debian package's script?",
                ctl.display()
            )
        })?;
        let app = libs.join(format!("ejabberd-{VERSION}"));
        if !app.join("ebin").is_dir() {
            return Err(format!(
                "{} missing: this run is written for ejabberd {VERSION}",
                app.display()
            ));
        }
        Ok(Self {
            erl: program("erl")?,
            epmd: program("epmd")?,
            libs,
        })
    }
}

/// The `ERL_LIBS='…'` assignment of Debian's `ejabberdctl`.
fn erl_libs(script: &str) -> Option<PathBuf> {
    script.lines().find_map(|l| {
        let v = l.trim().strip_prefix("ERL_LIBS=")?;
        let v = v.trim_matches(|c| c == '\'' || c == '"');
        (!v.is_empty() && !v.contains('$')).then(|| PathBuf::from(v))
    })
}

/// Our node's short name: the directory's name, made of what `-sname`
/// takes, on `localhost`.
fn node_name(dir: &str) -> String {
    let name: String = dir
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("xtask_{name}@localhost")
}

/// A random cookie (32 hex digits), so that no other node can talk to
/// ours even on loopback.
fn cookie() -> Result<String> {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut bytes)
        .map_err(|e| format!("no randomness for the cookie: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `s` in double quotes with `"` and `\\` escaped: an Erlang string
/// literal, and a YAML double-quoted scalar (paths under the workspace).
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// An Erlang binary of the UTF-8 bytes of `s`, written as numbers, so that
/// no name or password needs escaping.
fn erlang_binary(s: &str) -> String {
    let bytes: Vec<String> = s.bytes().map(|b| b.to_string()).collect();
    format!("<<{}>>", bytes.join(","))
}

/// The expression the node evaluates after `ejabberd:start/0`: register
/// every account (and the `extra` ones) on every host, then print
/// [`READY`] (or why not).
fn register_eval(storages: &[Storage], extra: Numbered<'_>) -> String {
    let mut triples = Vec::new();
    for s in storages {
        for (user, password) in ACCOUNTS.into_iter().chain([ESCAPED]) {
            triples.push(format!(
                "{{{},{},{}}}",
                erlang_binary(user),
                erlang_binary(s.domain()),
                erlang_binary(password)
            ));
        }
    }
    let hosts: Vec<String> = storages.iter().map(|s| erlang_binary(s.domain())).collect();
    let prefix: Vec<String> = extra.prefix.bytes().map(|b| b.to_string()).collect();
    let numbered = match extra.count {
        0 => "[]".to_owned(),
        n => format!(
            "[ejabberd_auth:try_register(<<{}(integer_to_binary(I))/binary>>, H, {}) \
             || H <- [{}], I <- lists:seq(0, {})]",
            prefix.iter().map(|b| format!("{b},")).collect::<String>(),
            erlang_binary(extra.password),
            hosts.join(","),
            n - 1
        ),
    };
    format!(
        "R = [ejabberd_auth:try_register(U, H, P) || {{U, H, P}} <- [{}]] ++ {numbered}, \
         case lists:all(fun(X) -> X =:= ok end, R) of \
         true -> io:format(\"~s~n\", [\"{READY}\"]); \
         false -> io:format(\"xtask: registering failed: ~p~n\", [R]) end.",
        triples.join(",")
    )
}

/// Whether the console file holds `line` as a line of its own.
fn console_says(console: &Path, line: &str) -> bool {
    std::fs::read(console).is_ok_and(|b| {
        String::from_utf8_lossy(&b)
            .lines()
            .any(|l| l.trim() == line)
    })
}

fn write(path: &Path, text: &str) -> Result {
    std::fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

/// Spawns `cmd` with stdout and stderr into `console`.
fn spawn(cmd: &mut Command, console: &Path) -> Result<Killed> {
    let out = File::create(console).map_err(|e| format!("create {}: {e}", console.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("{}: {e}", console.display()))?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", cmd.get_program().to_string_lossy()))?;
    Ok(Killed::new(child))
}

/// The configuration: a host per storage, c2s on two ports of 127.0.0.1
/// (STARTTLS offered, and direct TLS), nothing else listening, no
/// shaper, XEP-0198 with resumption, the modules a probe meets.
fn config(paths: &Paths, storages: &[Storage], port: u16, tls_port: u16, debug: bool) -> String {
    let hosts: String = storages
        .iter()
        .map(|s| format!("  - {}\n", s.domain()))
        .collect();
    let host_config: String = storages
        .iter()
        .map(|s| format!("  {}:\n    {}\n", s.domain(), s.options()))
        .collect();
    let pem = quoted(&paths.pem.display().to_string());
    let loglevel = if debug { "debug" } else { "info" };
    format!(
        r#"# Written by cargo xtask ({dir}); rewritten on every run.
# Our own ejabberd {VERSION}: started by xtask as `erl`, its files here,
# only c2s on 127.0.0.1.
hosts:
{hosts}loglevel: {loglevel}
log_rotate_count: 0
hide_sensitive_log_data: false
certfiles:
  - {pem}
acme:
  auto: false
listen:
  -
    port: {port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    backlog: 128
    max_stanza_size: 262144
    access: c2s
    starttls: true
    starttls_required: false
  -
    port: {tls_port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    backlog: 128
    max_stanza_size: 262144
    access: c2s
    tls: true
disable_sasl_mechanisms:
  - "digest-md5"
  - "X-OAUTH2"
auth_method: internal
host_config:
{host_config}s2s_access: none
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
shaper_rules: {{}}
modules:
  mod_blocking: {{}}
  mod_caps: {{}}
  mod_carboncopy: {{}}
  mod_disco: {{}}
  mod_ping: {{}}
  mod_privacy: {{}}
  mod_private: {{}}
  mod_roster: {{}}
  mod_stream_mgmt:
    resend_on_timeout: if_offline
  mod_version: {{}}
"#,
        dir = paths.dir.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_listens_on_loopback_only_with_a_host_per_storage() {
        let paths = Paths::new(Path::new("/w/target/e"));
        let c = config(&paths, &Storage::ALL, 40123, 40124, false);
        for want in [
            "  - sha1.example.test\n  - sha256.example.test\n  - plain.example.test\n",
            "port: 40123\n    ip: \"127.0.0.1\"",
            "port: 40124\n    ip: \"127.0.0.1\"",
            "    tls: true\n",
            "starttls: true\n    starttls_required: false",
            "  sha1.example.test:\n    auth_password_format: scram\n    auth_scram_hash: sha\n",
            "  plain.example.test:\n    auth_password_format: plain\n",
            "  - \"/w/target/e/certs/run.pem\"",
            "loglevel: info",
            "s2s_access: none",
        ] {
            assert!(c.contains(want), "{want:?} missing from {c}");
        }
        assert_eq!(c.matches("module: ").count(), 2, "two listeners only: {c}");
    }

    #[test]
    fn accounts_reach_erlang_as_bytes() {
        assert_eq!(erlang_binary("a,=é"), "<<97,44,61,195,169>>");
        let none = Numbered {
            prefix: "",
            count: 0,
            password: "",
        };
        let eval = register_eval(&[Storage::Plain], none);
        assert_eq!(eval.matches("ejabberd_auth:try_register").count(), 1);
        assert_eq!(eval.matches("},{").count(), 2, "three accounts: {eval}");
        assert!(eval.contains(&erlang_binary("plain.example.test")));
        assert_eq!(quoted("/a \"b\""), "\"/a \\\"b\\\"\"");
    }

    #[test]
    fn the_debian_script_names_the_libraries() {
        let script = "EPMD=\"/usr/bin/epmd\"\nERL_LIBS='/usr/lib/x86_64-linux-gnu'\n";
        assert_eq!(
            erl_libs(script),
            Some(PathBuf::from("/usr/lib/x86_64-linux-gnu"))
        );
        assert_eq!(erl_libs("ERL_LIBS=\"$X\"\n"), None);
        assert_eq!(
            node_name("ejabberd-probe"),
            "xtask_ejabberd_probe@localhost"
        );
    }
}
