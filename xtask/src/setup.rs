//! `cargo xtask setup [--check]`: makes sure the machine has what the test
//! suite needs beyond a Rust toolchain, and installs what it lacks.
//!
//! | need | for | Debian package |
//! |---|---|---|
//! | the UCD 15.0 text files under `/usr/share/unicode` | `cargo xtask codegen --check` | `unicode-data` |
//! | Python 3 with `venv` and `ensurepip` | the PyPI oracles of `cargo xtask conformance`, `cargo xtask py` | `python3-venv` |
//! | `prosody` and `prosodyctl` on `PATH` | `cargo xtask conformance prosody` | `prosody` |
//! | `erl`, `epmd` and Debian's `ejabberdctl` (for its `ERL_LIBS`) | the ejabberd 23.01 of `cargo xtask probe` and `cargo xtask interop` | `ejabberd` |
//! | `node` and `npm` on `PATH` | `cargo xtask interop` (@xmpp/client) | `npm` (pulls `nodejs`) |
//! | `gcc` on `PATH` | `cargo xtask ffi` (the header as C99, the C test) | `gcc` |
//! | OpenSSL's headers and `libssl`, `libcrypto` | `cargo xtask ffi` (the C test's STARTTLS login) | `libssl-dev` |
//! | `valgrind` on `PATH` | `cargo xtask linear` (callgrind) and `cargo xtask ffi` (memcheck) | `valgrind` |
//! | `cargo fmt` and `cargo clippy` | the first checks of `cargo xtask ci` | (rustup components) |
//!
//! System packages are installed with `apt-get` when xtask runs as root
//! and `apt-get` is on `PATH`; otherwise setup prints the command to run
//! and fails. While installing, a `/usr/sbin/policy-rc.d` that forbids
//! every action (exit 101, Debian's invoke-rc.d policy interface), and
//! `RUNLEVEL=1` for maintainer scripts that look at it instead, keep the
//! `prosody` and `ejabberd` packages from starting the system's own
//! servers (the runs start their own instances under `target/`); a policy
//! the machine already has is left alone. Should a system ejabberd run
//! after all (a policy that allows starts), it is stopped by its service,
//! or by the pid in its pid file, so that nothing of the system listens
//! on 5222, 5269 or 5280. `cargo xtask ci` runs this first.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::{Result, sh};

/// One thing the test suite needs from the system.
struct Need {
    /// The Debian package that provides it.
    package: &'static str,
    /// What needs it, for the messages.
    why: &'static str,
    /// Needed by the conformance runs and `cargo xtask linear` only (not
    /// by `cargo xtask ci --quick`).
    conformance_only: bool,
    /// Whether the machine has it.
    present: fn() -> bool,
}

const NEEDS: [Need; 8] = [
    Need {
        package: "unicode-data",
        why: "the Unicode 15.0 data of `cargo xtask codegen --check`",
        conformance_only: false,
        present: ucd_present,
    },
    Need {
        package: "python3-venv",
        why: "Python venvs for the oracles of `cargo xtask conformance` and for `cargo xtask py`",
        conformance_only: true,
        present: venv_present,
    },
    Need {
        package: "prosody",
        why: "the Prosody server of `cargo xtask conformance prosody`",
        conformance_only: true,
        present: prosody_present,
    },
    Need {
        package: "ejabberd",
        why: "the ejabberd 23.01 of `cargo xtask probe` and `cargo xtask interop`",
        conformance_only: true,
        present: ejabberd_present,
    },
    Need {
        package: "npm",
        why: "Node.js and npm for @xmpp/client in `cargo xtask interop`",
        conformance_only: true,
        present: node_present,
    },
    Need {
        package: "gcc",
        why: "the C compiler of `cargo xtask ffi` (the header as strict C99, the C test)",
        conformance_only: true,
        present: gcc_present,
    },
    Need {
        package: "libssl-dev",
        why: "OpenSSL for the C test of `cargo xtask ffi` (STARTTLS, tls-exporter binding)",
        conformance_only: true,
        present: libssl_present,
    },
    Need {
        package: "valgrind",
        why: "callgrind for `cargo xtask linear`, memcheck for the C test of `cargo xtask ffi`",
        conformance_only: true,
        present: valgrind_present,
    },
];

/// Debian's invoke-rc.d policy hook (see /usr/share/doc/init-system-helpers/README.policy-rc.d).
const POLICY_RC_D: &str = "/usr/sbin/policy-rc.d";

pub(crate) fn run(args: &[String]) -> Result {
    let missing = missing(true);
    let tools = missing_components();
    if missing.is_empty() && tools.is_empty() {
        eprintln!("setup: nothing is missing");
        return Ok(());
    }
    if args.iter().any(|a| a == "--check") {
        return Err(instructions(&missing, &tools));
    }
    ensure(true)
}

/// Installs what is missing for `cargo xtask ci` (with the conformance
/// runs or without), or fails with what to run instead.
pub(crate) fn ensure(conformance: bool) -> Result {
    let tools = missing_components();
    let missing = missing(conformance);
    if missing.is_empty() && tools.is_empty() {
        return Ok(());
    }
    // Say everything that is missing at once when any of it cannot be
    // installed from here.
    let rustup = tools.is_empty() || find_program("rustup").is_some();
    let apt = missing.is_empty() || (is_root() && find_program("apt-get").is_some());
    if !(rustup && apt) {
        return Err(instructions(&missing, &tools));
    }
    if !tools.is_empty() {
        add_components(&tools)?;
    }
    if missing.is_empty() {
        return Ok(());
    }
    install(&missing)?;
    let still = self::missing(conformance);
    if still.is_empty() {
        Ok(())
    } else {
        let names: Vec<&str> = still.iter().map(|n| n.package).collect();
        Err(format!(
            "`apt-get install {}` succeeded, but the check still finds them missing",
            names.join(" ")
        ))
    }
}

fn missing(conformance: bool) -> Vec<&'static Need> {
    NEEDS
        .iter()
        .filter(|n| conformance || !n.conformance_only)
        .filter(|n| !(n.present)())
        .collect()
}

/// The message for a machine where setup cannot install: what is missing,
/// what needs it, and the command that installs it.
fn instructions(missing: &[&Need], tools: &[&str]) -> String {
    let mut text = String::from("the test suite needs what this machine lacks:\n");
    for n in missing {
        text.push_str(&format!("  {:<14} {}\n", n.package, n.why));
    }
    for t in tools {
        text.push_str(&format!(
            "  {t:<14} a rustup component `cargo xtask ci` runs\n"
        ));
    }
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|n| n.package).collect();
        text.push_str(&format!(
            "install the packages as root (Debian or Ubuntu): apt-get install {}\n\
             or run `cargo xtask setup` as root, which does it without starting \
             the system services of Prosody and ejabberd;\n\
             elsewhere install the Unicode 15.0 UCD files under /usr/share/unicode, \
             Python 3 with venv, Prosody 0.12, ejabberd 23.01 and valgrind by the \
             system's own means\n",
            names.join(" ")
        ));
    }
    if !tools.is_empty() {
        text.push_str(&format!(
            "install the components: rustup component add {}",
            tools.join(" ")
        ));
    }
    text.trim_end().to_owned()
}

/// `apt-get install` of the missing packages under a policy that starts no
/// service.
fn install(missing: &[&Need]) -> Result {
    let names: Vec<&str> = missing.iter().map(|n| n.package).collect();
    eprintln!("setup: installing with apt-get (root, apt-get found):");
    for n in missing {
        eprintln!("  {:<14} {}", n.package, n.why);
    }
    let _policy = NoServiceStarts::install(Path::new(POLICY_RC_D))?;
    let apt = || {
        let mut c = Command::new("apt-get");
        c.env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    sh(apt().args(["update", "-qq"]))?;
    let installed = sh(apt()
        .env("RUNLEVEL", "1")
        .args(["install", "-y", "-qq"])
        .args(&names));
    if names.contains(&"ejabberd") {
        stop_system_ejabberd();
    }
    installed
}

/// Debian's ejabberd writes its pid here (`/etc/default/ejabberd`).
const EJABBERD_PID: &str = "/run/ejabberd/ejabberd.pid";

/// Stops a system ejabberd that installing started after all: by systemd
/// when it manages it, else by the pid of its pid file (if that process
/// is an ejabberd). Nothing happens when none runs.
fn stop_system_ejabberd() {
    if succeeds(Command::new("systemctl").args(["is-active", "--quiet", "ejabberd"])) {
        eprintln!("setup: stopping the system's ejabberd service");
        let _ = sh(Command::new("systemctl").args(["stop", "ejabberd"]));
        return;
    }
    let Ok(pid) = std::fs::read_to_string(EJABBERD_PID) else {
        return;
    };
    let pid = pid.trim();
    let cmdline = std::fs::read(Path::new("/proc").join(pid).join("cmdline")).unwrap_or_default();
    if pid.bytes().all(|b| b.is_ascii_digit())
        && String::from_utf8_lossy(&cmdline).contains("ejabberd")
    {
        eprintln!("setup: stopping the system's ejabberd (pid {pid})");
        let _ = sh(Command::new("kill").arg(pid));
    }
}

/// A `policy-rc.d` that forbids invoke-rc.d every action while it lives,
/// written only when the machine has none, and removed on drop.
struct NoServiceStarts {
    /// The file written, to remove; `None` when the machine had a policy.
    written: Option<PathBuf>,
}

impl NoServiceStarts {
    /// The policy at `path` (the real one is [`POLICY_RC_D`]).
    fn install(path: &Path) -> Result<Self> {
        if path.exists() {
            eprintln!("setup: keeping the existing {}", path.display());
            return Ok(Self { written: None });
        }
        let policy =
            "#!/bin/sh\n# Written by cargo xtask setup while it installs packages.\nexit 101\n";
        std::fs::write(path, policy).map_err(|e| format!("write {}: {e}", path.display()))?;
        set_executable(path)?;
        eprintln!(
            "setup: {} forbids service starts while installing",
            path.display()
        );
        Ok(Self {
            written: Some(path.to_path_buf()),
        })
    }
}

impl Drop for NoServiceStarts {
    fn drop(&mut self) {
        if let Some(path) = self.written.take() {
            if let Err(e) = std::fs::remove_file(&path) {
                eprintln!("setup: cannot remove {}: {e}", path.display());
            }
        }
    }
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("chmod {}: {e}", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> Result {
    Ok(())
}

/// The rustup components of the cargo subcommands `cargo xtask ci` runs
/// that cargo does not find.
fn missing_components() -> Vec<&'static str> {
    [("fmt", "rustfmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(sub, _)| !succeeds(Command::new(env!("CARGO")).args([*sub, "--version"])))
        .map(|(_, component)| component)
        .collect()
}

/// `rustup component add` of the missing components (no root needed).
fn add_components(components: &[&str]) -> Result {
    eprintln!(
        "setup: adding the rustup components {}",
        components.join(" ")
    );
    sh(Command::new("rustup")
        .args(["component", "add"])
        .args(components))
}

fn ucd_present() -> bool {
    let dir = Path::new(crate::codegen::UCD_DIR);
    crate::codegen::UCD_FILES
        .iter()
        .all(|f| dir.join(f).is_file())
}

fn venv_present() -> bool {
    succeeds(Command::new("python3").args(["-c", "import venv, ensurepip"]))
}

fn node_present() -> bool {
    find_program("node").is_some() && find_program("npm").is_some()
}

fn gcc_present() -> bool {
    find_program("gcc").is_some()
}

fn libssl_present() -> bool {
    Path::new("/usr/include/openssl/ssl.h").is_file()
}

fn valgrind_present() -> bool {
    find_program("valgrind").is_some()
}

/// What `conformance::ejabberd` runs: `erl` and `epmd`, and Debian's
/// `ejabberdctl` (in `/usr/sbin`, which a user's `PATH` may lack) whose
/// `ERL_LIBS` locates the application.
fn ejabberd_present() -> bool {
    find_program("erl").is_some()
        && find_program("epmd").is_some()
        && (find_program("ejabberdctl").is_some() || Path::new("/usr/sbin/ejabberdctl").is_file())
}

fn prosody_present() -> bool {
    find_program("prosody").is_some() && find_program("prosodyctl").is_some()
}

/// Whether xtask runs as root (`id -u` is 0).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.trim_ascii() == b"0")
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `name` on `PATH`, if it is there.
pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_name_the_packages_and_the_command() {
        let text = instructions(&[&NEEDS[0], &NEEDS[2]], &["clippy"]);
        assert!(
            text.contains("apt-get install unicode-data prosody"),
            "{text}"
        );
        assert!(text.contains("cargo xtask setup"), "{text}");
        assert!(text.contains("rustup component add clippy"), "{text}");
        assert!(!text.contains("python3-venv"), "{text}");
    }

    #[test]
    fn the_policy_lives_while_installing_and_never_replaces_one() {
        let dir = std::env::temp_dir().join(format!("xtask-setup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("policy-rc.d");
        {
            let _policy = NoServiceStarts::install(&path).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.starts_with("#!/bin/sh\n") && text.ends_with("exit 101\n"));
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode();
                assert_eq!(mode & 0o111, 0o111);
            }
        }
        assert!(!path.exists(), "removed after installing");
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
        drop(NoServiceStarts::install(&path).unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "#!/bin/sh\nexit 0\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn quick_ci_needs_the_unicode_data_only() {
        let quick: Vec<&str> = NEEDS
            .iter()
            .filter(|n| !n.conformance_only)
            .map(|n| n.package)
            .collect();
        assert_eq!(quick, ["unicode-data"]);
    }
}
