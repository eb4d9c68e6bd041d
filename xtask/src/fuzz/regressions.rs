//! The regression test of the fuzz targets: every file under
//! `testdata/fuzz-regressions/<target>/` (what `cargo xtask fuzz` keeps of
//! a failing input) and every seed under `fuzz/seeds/<target>/` goes
//! through the target's own checks, `fuzz/checks/<target>.rs`, compiled
//! here as well as into the fuzz target. A finding whose answer is worth
//! stating also gets a row in its crate's vector files (for JIDs,
//! `testdata/jid/fuzz-findings.tsv`); this test only asks that no
//! invariant of the target breaks.

#![allow(
    clippy::duplicate_mod,
    reason = "both SASL checks load fuzz/checks/sasl_split.rs, as each SASL fuzz target does"
)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use crate::util::root;

#[path = "../../../fuzz/checks/jid_parse.rs"]
mod jid_parse;
#[path = "../../../fuzz/checks/precis_enforce.rs"]
mod precis_enforce;
#[path = "../../../fuzz/checks/sasl_client_step.rs"]
mod sasl_client_step;
#[path = "../../../fuzz/checks/sasl_server_step.rs"]
mod sasl_server_step;
#[path = "../../../fuzz/checks/sasl_structured.rs"]
mod sasl_structured;
#[path = "../../../fuzz/checks/session_client_input.rs"]
mod session_client_input;
#[path = "../../../fuzz/checks/session_server_input.rs"]
mod session_server_input;
#[path = "../../../fuzz/checks/stanza_parse.rs"]
mod stanza_parse;
#[path = "../../../fuzz/checks/stream_feed.rs"]
mod stream_feed;
#[path = "../../../fuzz/checks/stream_structured.rs"]
mod stream_structured;

/// A target's checks: panics when an invariant breaks.
type Check = fn(&[u8]);

/// Every target of `fuzz/Cargo.toml` and its checks.
const CHECKS: [(&str, Check); 10] = [
    ("jid_parse", jid_parse::run),
    ("precis_enforce", precis_enforce::run),
    ("sasl_client_step", sasl_client_step::run),
    ("sasl_server_step", sasl_server_step::run),
    ("sasl_structured", sasl_structured::run),
    ("session_client_input", session_client_input::run),
    ("session_server_input", session_server_input::run),
    ("stanza_parse", stanza_parse::run),
    ("stream_feed", stream_feed::run),
    ("stream_structured", stream_structured::run),
];

/// The files of `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every file of `dirs` through `check`; the failures, each named by
/// its file and the panic's message.
fn replay(check: Check, dirs: &[PathBuf]) -> (usize, Vec<String>) {
    let mut count = 0;
    let mut failed = Vec::new();
    for path in dirs.iter().flat_map(|d| files(d)) {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        count += 1;
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failed.push(format!("{}: {message}", path.display()));
        }
    }
    (count, failed)
}

#[test]
fn fuzz_regressions_and_seeds_pass_their_checks() {
    let mut failed = Vec::new();
    for (target, check) in CHECKS {
        let dirs = [super::regressions_dir(target), super::seeds_dir(target)];
        let (count, mut f) = replay(check, &dirs);
        assert!(count > 0, "{target}: no seeds or regressions");
        eprintln!("{target}: {count} inputs replayed");
        failed.append(&mut f);
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn every_fuzz_target_has_its_checks_here() {
    let manifest =
        std::fs::read_to_string(root().join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut bins: Vec<&str> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|section| {
            let line = section
                .lines()
                .find(|l| l.trim_start().starts_with("name"))?;
            line.split('"').nth(1)
        })
        .collect();
    bins.sort_unstable();
    let mut ours: Vec<&str> = CHECKS.iter().map(|(t, _)| *t).collect();
    ours.sort_unstable();
    assert_eq!(bins, ours, "fuzz/Cargo.toml targets vs CHECKS");
}

#[test]
fn a_failing_input_is_named() {
    let dir = std::env::temp_dir().join(format!("xtask-regressions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("crash-x"), b"boom").unwrap();
    let (count, failed) = replay(
        |d| assert!(d != b"boom", "it blew up"),
        std::slice::from_ref(&dir),
    );
    assert_eq!(count, 1);
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].contains("crash-x") && failed[0].contains("it blew up"),
        "{failed:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
