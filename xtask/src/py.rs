//! `cargo xtask py`: builds the Python wheel of `crates/xmpp-py` and runs
//! its pytest suite against it, as a user would install it.
//!
//! 1. a venv under `target/py-venv` with maturin and pytest from PyPI
//!    (needs Python 3 with `venv`, which `cargo xtask setup` installs);
//! 2. `maturin build --release -m crates/xmpp-py/Cargo.toml` into
//!    `target/py-wheels` (an abi3 wheel, `extension-module` on);
//! 3. the wheel installed into the venv, then `pytest crates/xmpp-py/tests`,
//!    with the servers the live tests run `examples/asyncio_client.py`
//!    against: the `xmpp` binary (built here, `XMPP_BIN`; the test starts
//!    `xmpp serve`) and a Prosody started for the run by the conformance
//!    code (`XMPP_PROSODY`: its address, domain and accounts), stopped
//!    when pytest ends. `XMPP_PY_LIVE=required` makes a missing server a
//!    failure rather than a skip.
//!
//! pytest's exit status 5 (no test collected) is a failure: a suite that
//! ran nothing proves nothing.

use std::path::PathBuf;
use std::process::Command;

use crate::conformance::prosody;
use crate::util::{Result, python_venv, root, sh};

/// What the venv holds; bump to rebuild it.
const PACKAGES: &[&str] = &["maturin>=1.7,<2", "pytest>=7"];

/// pytest's exit status when it collected no test.
const PYTEST_NO_TESTS: i32 = 5;

pub(crate) fn run(args: &[String]) -> Result {
    if let Some(a) = args.first() {
        return Err(format!("cargo xtask py takes no arguments (got {a})"));
    }
    let python = python_venv("py-venv", PACKAGES)?;
    let bin = python
        .parent()
        .map(PathBuf::from)
        .ok_or("venv has no bin directory")?;
    let wheels = root().join("target").join("py-wheels");
    if wheels.exists() {
        std::fs::remove_dir_all(&wheels)
            .map_err(|e| format!("remove {}: {e}", wheels.display()))?;
    }
    sh(Command::new(bin.join("maturin"))
        .args([
            "build",
            "--release",
            "-m",
            "crates/xmpp-py/Cargo.toml",
            "--out",
        ])
        .arg(&wheels))?;
    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| format!("read {}: {e}", wheels.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or("maturin built no wheel")?;
    sh(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--force-reinstall",
            "--no-deps",
        ])
        .arg(&wheel))?;
    sh(Command::new(env!("CARGO")).args(["build", "--quiet", "-p", "xmpp-cli"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let xmpp = target.join("debug").join("xmpp");
    let running = prosody::start("prosody-py")?;
    let accounts: Vec<[&str; 2]> = prosody::ACCOUNTS.iter().map(|(u, p)| [*u, *p]).collect();
    let prosody = serde_json::json!({
        "connect": format!("127.0.0.1:{}", running.port),
        "domain": prosody::DOMAIN,
        "accounts": accounts,
    });
    let result = pytest(&python, &xmpp, &prosody.to_string());
    drop(running);
    result
}

/// Runs the suite; any failure, and a run that collected nothing, fails.
fn pytest(python: &std::path::Path, xmpp: &std::path::Path, prosody: &str) -> Result {
    let mut cmd = Command::new(python);
    cmd.args([
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "crates/xmpp-py/tests",
    ])
    // The tests must import the installed wheel, not the source tree.
    .env("PYTHONDONTWRITEBYTECODE", "1")
    .env("XMPP_BIN", xmpp)
    .env("XMPP_PROSODY", prosody)
    .env("XMPP_PY_LIVE", "required")
    .current_dir(root());
    eprintln!("$ {} -m pytest -q crates/xmpp-py/tests", python.display());
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start pytest: {e}"))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(PYTEST_NO_TESTS) => Err("pytest collected no tests in crates/xmpp-py/tests".into()),
        _ => Err(format!("pytest failed ({status})")),
    }
}
