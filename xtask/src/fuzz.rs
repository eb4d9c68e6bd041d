//! The cargo-fuzz targets of `fuzz/` (its own workspace), driven on the
//! stable toolchain: `RUSTC_BOOTSTRAP=1` lets `cargo fuzz` pass the
//! sanitizer flags, and `cargo-fuzz` is installed on first use.
//!
//! - `cargo xtask fuzz-smoke [--seconds N]`: every target for a few seconds
//!   from its inputs, new ones kept under `target/fuzz-corpus/` (CI-sized).
//! - `cargo xtask fuzz --minutes N [--target T]`: a campaign ([`campaign`]):
//!   each target for N minutes, new coverage merged into `fuzz/corpus/`,
//!   every crash turned into a regression file under
//!   `testdata/fuzz-regressions/<target>/`.
//!
//! A target's inputs are its seeds (`fuzz/seeds/<target>/`, written from
//! `testdata/` by the generators there), its local corpus
//! (`fuzz/corpus/<target>/`, untracked) and its regressions
//! (`testdata/fuzz-regressions/<target>/`, tracked). Each target's
//! invariants live in `fuzz/checks/<target>.rs`, which the target and the
//! regression test of `cargo test -p xtask` (`fuzz::regressions`) both run, so
//! a normal test run replays every regression through the same code.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{Result, flag, root, sh};

mod campaign;
#[cfg(test)]
mod regressions;

pub(crate) use campaign::run as run_campaign;

/// `cargo xtask fuzz-smoke [--seconds N]`.
pub(crate) fn run(args: &[String]) -> Result {
    let seconds: u32 = flag(args, "--seconds", 10)?;
    for target in targets()? {
        let corpus = root().join("target").join("fuzz-corpus").join(&target);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("create {}: {e}", corpus.display()))?;
        let mut cmd = cargo_fuzz("run");
        cmd.arg(&target).arg(&corpus).args(inputs(&target));
        cmd.arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048");
        sh(&mut cmd)?;
    }
    Ok(())
}

/// `cargo fuzz <sub> --fuzz-dir fuzz` on the stable toolchain, with
/// cargo-fuzz installed first if it is missing.
fn cargo_fuzz(sub: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", sub, "--fuzz-dir"])
        .arg(root().join("fuzz"));
    cmd
}

/// The targets `cargo fuzz list` names, installing cargo-fuzz if needed.
fn targets() -> Result<Vec<String>> {
    let have = Command::new(env!("CARGO"))
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("cargo-fuzz is missing: installing it");
        sh(Command::new(env!("CARGO")).args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let list = Command::new(env!("CARGO"))
        .args(["fuzz", "list", "--fuzz-dir"])
        .arg(root().join("fuzz"))
        .output()
        .map_err(|e| format!("cargo fuzz list: {e}"))?;
    if !list.status.success() {
        return Err(format!(
            "cargo fuzz list failed: {}",
            String::from_utf8_lossy(&list.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The checked-in corpus of a target: seeds written from `testdata/`.
fn seeds_dir(target: &str) -> PathBuf {
    root().join("fuzz").join("seeds").join(target)
}

/// The local corpus a campaign grows (untracked).
fn corpus_dir(target: &str) -> PathBuf {
    root().join("fuzz").join("corpus").join(target)
}

/// The crash inputs kept as regression tests (tracked).
fn regressions_dir(target: &str) -> PathBuf {
    root()
        .join("testdata")
        .join("fuzz-regressions")
        .join(target)
}

/// The input directories of a target that exist: seeds, corpus,
/// regressions.
fn inputs(target: &str) -> Vec<PathBuf> {
    [
        seeds_dir(target),
        corpus_dir(target),
        regressions_dir(target),
    ]
    .into_iter()
    .filter(|d| d.is_dir())
    .collect()
}
