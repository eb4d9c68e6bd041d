//! `cargo xtask fuzz-smoke [--seconds N]`: builds every cargo-fuzz target and
//! runs each for a few seconds from its checked-in seeds. Needs `cargo-fuzz`
//! (installed on first use) and uses `RUSTC_BOOTSTRAP=1` so a stable toolchain
//! can build with the sanitizer flags.

use std::process::Command;

use crate::util::{Result, flag, root, sh};

pub(crate) fn run(args: &[String]) -> Result {
    let seconds: u32 = flag(args, "--seconds", 10)?;
    let have_cargo_fuzz = Command::new(env!("CARGO"))
        .args(["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !have_cargo_fuzz {
        sh(Command::new(env!("CARGO")).args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let fuzz_dir = root().join("fuzz");
    let list = Command::new(env!("CARGO"))
        .args(["fuzz", "list"])
        .current_dir(&fuzz_dir)
        .output()
        .map_err(|e| format!("cargo fuzz list: {e}"))?;
    let targets = String::from_utf8_lossy(&list.stdout).into_owned();
    for target in targets.lines().map(str::trim).filter(|t| !t.is_empty()) {
        let seeds = root().join("fuzz").join("seeds").join(target);
        let corpus = root().join("target").join("fuzz-corpus").join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("mkdir: {e}"))?;
        let mut cmd = Command::new(env!("CARGO"));
        cmd.env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", "--fuzz-dir"])
            .arg(&fuzz_dir)
            .arg(target)
            .arg(&corpus);
        if seeds.is_dir() {
            cmd.arg(&seeds);
        }
        cmd.arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048");
        sh(&mut cmd)?;
    }
    Ok(())
}
