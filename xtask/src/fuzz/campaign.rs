//! `cargo xtask fuzz --minutes N [--target T]`: a fuzzing campaign.
//!
//! For each target (or the one named), in turn:
//!
//! 1. `cargo fuzz run` for N minutes from the target's inputs (seeds, local
//!    corpus, regressions; see [`super`]). libFuzzer writes the inputs that
//!    reach new coverage into a scratch directory under
//!    `target/fuzz-campaign/<target>/` and its artifacts (`crash-…`,
//!    `leak-…`, `timeout-…`, `oom-…`) beside it. A crash ends the run of
//!    that target: it is a bug to fix before fuzzing it further.
//! 2. The scratch inputs are merged into `fuzz/corpus/<target>/` with
//!    libFuzzer's `-merge=1`, which keeps only those that add coverage to
//!    what the corpus already reaches.
//! 3. Every artifact becomes a regression test: a crash is minimized
//!    first (`cargo fuzz tmin`), then the input is copied to
//!    `testdata/fuzz-regressions/<target>/<artifact name>`, which `cargo
//!    test -p xtask` replays through the target's checks.
//!
//! The command fails when it wrote a regression (or found one that still
//! fails), listing the files to fix the code for and commit.

use std::path::{Path, PathBuf};

use super::{cargo_fuzz, corpus_dir, inputs, regressions_dir, targets};
use crate::util::{Result, flag, root, sh};

/// The artifact kinds libFuzzer writes on a failure (`slow-unit-` is a
/// report only, not a failure).
const FAILURES: [&str; 4] = ["crash-", "leak-", "timeout-", "oom-"];

/// Seconds one input may run before libFuzzer calls it a timeout.
const UNIT_TIMEOUT_SECONDS: u32 = 20;

pub(crate) fn run(args: &[String]) -> Result {
    let minutes: u32 = flag(args, "--minutes", 0)?;
    if minutes == 0 {
        return Err("usage: cargo xtask fuzz --minutes N [--target T] (N > 0)".to_owned());
    }
    let only: Option<String> = match args.iter().position(|a| a == "--target") {
        Some(i) => Some(args.get(i + 1).ok_or("--target needs a value")?.clone()),
        None => None,
    };
    let mut all = targets()?;
    if let Some(t) = &only {
        if !all.contains(t) {
            return Err(format!(
                "no fuzz target {t}; the targets are: {}",
                all.join(", ")
            ));
        }
        all.retain(|x| x == t);
    }
    let mut written = Vec::new();
    for target in &all {
        written.extend(one(target, minutes)?);
    }
    if written.is_empty() {
        eprintln!(
            "fuzz: {} target(s), {minutes} min each, no failure",
            all.len()
        );
        return Ok(());
    }
    for path in &written {
        eprintln!("  {}", path.display());
    }
    Err(format!(
        "{} failing input(s) kept as regression tests (listed above): fix the code until \
         `cargo test -p xtask fuzz` passes, then commit them",
        written.len()
    ))
}

/// One target's campaign: run, merge, keep the failures. Returns the
/// regression files that fail.
fn one(target: &str, minutes: u32) -> Result<Vec<PathBuf>> {
    let work = root().join("target").join("fuzz-campaign").join(target);
    let scratch = work.join("new");
    let artifacts = work.join("artifacts");
    for dir in [&scratch, &artifacts] {
        fresh_dir(dir)?;
    }
    let corpus = corpus_dir(target);
    std::fs::create_dir_all(&corpus).map_err(|e| format!("create {}: {e}", corpus.display()))?;

    let mut cmd = cargo_fuzz("run");
    cmd.arg(target).arg(&scratch).args(inputs(target));
    cmd.arg("--")
        .arg(format!("-max_total_time={}", u64::from(minutes) * 60))
        .arg(format!("-timeout={UNIT_TIMEOUT_SECONDS}"))
        .arg("-rss_limit_mb=2048")
        .arg(prefix("-artifact_prefix=", &artifacts));
    if let Err(e) = sh(&mut cmd) {
        // A failing input ends the run; anything else is an error of ours.
        if failures(&artifacts)?.is_empty() {
            return Err(e);
        }
        eprintln!("fuzz {target}: the run stopped at a failing input");
    }

    let before = count(&corpus)?;
    sh(cargo_fuzz("run")
        .arg(target)
        .arg(&corpus)
        .arg(&scratch)
        .args(["--", "-merge=1", "-rss_limit_mb=2048"])
        .arg(format!("-timeout={UNIT_TIMEOUT_SECONDS}")))?;
    let after = count(&corpus)?;
    eprintln!(
        "fuzz {target}: {} new input(s) merged into {} ({after} in all)",
        after.saturating_sub(before),
        corpus.display()
    );

    let mut written = Vec::new();
    for artifact in failures(&artifacts)? {
        written.push(keep(target, &artifact, &artifacts)?);
    }
    Ok(written)
}

/// Copies a failing input to the target's regressions, minimized first
/// when it is a crash; returns the regression file.
fn keep(target: &str, artifact: &Path, artifacts: &Path) -> Result<PathBuf> {
    let name = artifact
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("odd artifact name {}", artifact.display()))?;
    let dir = regressions_dir(target);
    let path = dir.join(name);
    if path.exists() {
        eprintln!(
            "fuzz {target}: {} is a known regression that still fails",
            path.display()
        );
        return Ok(path);
    }
    let mut input = artifact.to_path_buf();
    if name.starts_with("crash-") {
        let minimized = artifacts.join(format!("minimized-{name}"));
        let tmin = sh(cargo_fuzz("tmin")
            .arg(target)
            .arg(artifact)
            .arg("--")
            .arg(prefix("-exact_artifact_path=", &minimized)));
        match tmin {
            Ok(()) if minimized.is_file() => input = minimized,
            _ => eprintln!("fuzz {target}: keeping {name} as found (not minimized)"),
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    std::fs::copy(&input, &path)
        .map_err(|e| format!("copy {} to {}: {e}", input.display(), path.display()))?;
    eprintln!("fuzz {target}: wrote {}", path.display());
    Ok(path)
}

/// The failure artifacts in `dir`, sorted.
fn failures(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| FAILURES.iter().any(|k| n.starts_with(k)))
        })
        .collect();
    found.sort();
    Ok(found)
}

fn count(dir: &Path) -> Result<usize> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .count())
}

/// An empty directory at `dir` (what a previous campaign left is removed).
fn fresh_dir(dir: &Path) -> Result {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("remove {}: {e}", dir.display())),
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))
}

/// A libFuzzer flag whose value is a path (`-artifact_prefix=` wants the
/// trailing slash of a directory).
fn prefix(flag: &str, path: &Path) -> String {
    let mut s = format!("{flag}{}", path.display());
    if path.is_dir() && !s.ends_with('/') {
        s.push('/');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failure_artifacts_count() {
        let dir = std::env::temp_dir().join(format!("xtask-fuzz-{}", std::process::id()));
        fresh_dir(&dir).unwrap();
        for name in [
            "crash-ab",
            "slow-unit-cd",
            "timeout-ef",
            "minimized-crash-ab",
        ] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        let names: Vec<String> = failures(&dir)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["crash-ab", "timeout-ef"]);
        assert!(prefix("-artifact_prefix=", &dir).ends_with('/'));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn minutes_are_required() {
        assert!(run(&[]).is_err());
        assert!(run(&["--minutes".to_owned(), "0".to_owned()]).is_err());
    }
}
