//! `cargo xtask linear`: the check that framing and tree building stay
//! linear in the input on worst-case inputs (issue 12), by instruction
//! counts, which a busy machine cannot skew as it skews times.
//!
//! It builds the `linear` binary of `benches/` in release mode and runs
//! each case of `xmpp_benches::linear` at scale 1 and 10 under callgrind
//! (`valgrind --tool=callgrind`, Debian package `valgrind`), counting only
//! the instructions of `xmpp_benches::linear::run` (`--toggle-collect`),
//! so that building the input is not counted. It prints one row per case:
//! instructions at 1x, at 10x, and their ratio, and fails when a ratio is
//! over [`MAX_RATIO`] (linear work gives about 10, quadratic about 100).
//! The callgrind profiles stay under `target/linear/` for
//! `callgrind_annotate`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use crate::util::{Result, root, sh};

/// The largest ratio of instructions at 10x to those at 1x that passes.
const MAX_RATIO: f64 = 15.0;

/// The cases, as `xmpp_benches::linear::CASES` names them (xtask does not
/// depend on the benches crate, whose dev-dependencies are heavy).
const CASES: [&str; 5] = [
    "attribute-value",
    "text",
    "nesting",
    "attributes",
    "namespace-declarations",
];

/// The function whose instructions are counted.
const MEASURED: &str = "xmpp_benches::linear::run";

/// Callgrind runs at once: the machine's cores (two here), or fewer.
const JOBS: usize = 2;

pub(crate) fn run(_args: &[String]) -> Result {
    if Command::new("valgrind").arg("--version").output().is_err() {
        return Err(
            "valgrind is not installed (Debian package `valgrind`; `cargo xtask setup` installs it)"
                .into(),
        );
    }
    sh(Command::new(env!("CARGO")).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "xmpp-benches",
        "--bin",
        "linear",
    ]))?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let binary = target.join("release").join("linear");
    let out = target.join("linear");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;

    // The 10x runs first: they take longest.
    let mut jobs: Vec<(&str, usize)> = [10, 1]
        .iter()
        .flat_map(|&scale| CASES.iter().map(move |&case| (case, scale)))
        .collect();
    jobs.reverse();
    let queue = Mutex::new(jobs);
    let counts = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..JOBS {
            s.spawn(|| {
                while let Some((case, scale)) = queue.lock().ok().and_then(|mut q| q.pop()) {
                    let profile = out.join(format!("{case}-x{scale}.callgrind"));
                    let count = callgrind(&binary, case, scale, &profile);
                    if let Ok(mut c) = counts.lock() {
                        c.push((case, scale, count));
                    }
                }
            });
        }
    });
    let counts = counts
        .into_inner()
        .map_err(|_| "a callgrind thread panicked")?;
    let count = |case: &str, scale: usize| -> Result<u64> {
        counts
            .iter()
            .find(|(c, s, _)| *c == case && *s == scale)
            .ok_or_else(|| format!("{case} x{scale}: not run"))?
            .2
            .clone()
    };

    println!("{:<24} {:>16} {:>16} {:>7}", "case", "1x", "10x", "ratio");
    let mut over = Vec::new();
    for case in CASES {
        let (one, ten) = (count(case, 1)?, count(case, 10)?);
        let ratio = ten as f64 / one.max(1) as f64;
        println!("{case:<24} {one:>16} {ten:>16} {ratio:>7.2}");
        if ratio > MAX_RATIO {
            over.push(format!("{case} ({ratio:.1})"));
        }
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "not linear: instructions at 10x over {MAX_RATIO} times those at 1x for {}",
            over.join(", ")
        ))
    }
}

/// The instructions of [`MEASURED`] in one run of `binary case scale`.
fn callgrind(
    binary: &std::path::Path,
    case: &str,
    scale: usize,
    profile: &std::path::Path,
) -> Result<u64> {
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", profile.display()))
        .arg(format!("--toggle-collect={MEASURED}"))
        .arg(binary)
        .arg(case)
        .arg(scale.to_string())
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot start valgrind: {e}"))?;
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("{case} x{scale}: {}\n{log}", output.status));
    }
    // Callgrind ends its log with `==PID== Collected : N`.
    log.lines()
        .find_map(|l| {
            l.split_once("Collected :")
                .map(|(_, n)| n.trim().parse().ok())
        })
        .flatten()
        .ok_or_else(|| format!("{case} x{scale}: no instruction count in callgrind's log\n{log}"))
}
