//! Every stream of `testdata/streams/` against its golden events
//! (`<name>.jsonl`, refreshed by `cargo xtask golden`), fed whole, byte by
//! byte and split in two at every point.

use std::path::PathBuf;

use crate::render::{Run, frame, transport_of};

fn streams_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/streams")
}

/// `(name, input, golden lines)` of every stream file.
fn cases() -> Vec<(String, Vec<u8>, Vec<String>)> {
    let mut out = Vec::new();
    let dir = streams_dir();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    names.sort();
    for path in names {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(&path).unwrap();
        let golden = std::fs::read_to_string(path.with_extension("jsonl"))
            .unwrap_or_else(|e| panic!("{name}: no golden file ({e}); run cargo xtask golden"));
        out.push((name, input, golden.lines().map(str::to_owned).collect()));
    }
    out
}

#[test]
fn there_are_at_least_60_streams() {
    assert!(cases().len() >= 60, "{}", cases().len());
}

#[test]
fn whole_and_byte_by_byte() {
    for (name, input, golden) in cases() {
        let t = transport_of(&name);
        assert_eq!(frame(t, &input, input.len()), golden, "{name}: fed whole");
        assert_eq!(frame(t, &input, 1), golden, "{name}: fed byte by byte");
        assert_eq!(frame(t, &input, 7), golden, "{name}: fed 7 bytes at a time");
    }
}

#[test]
fn every_split_point() {
    for (name, input, golden) in cases() {
        let t = transport_of(&name);
        // Feed the prefix byte by byte into one run, and at each split point
        // finish a copy of it with the rest in one piece.
        let mut prefix = Run::new(t);
        for split in 0..=input.len() {
            let mut run = prefix.clone();
            run.feed(&input[split..]);
            assert_eq!(run.finish(), golden, "{name}: split at byte {split}");
            if let Some(b) = input.get(split) {
                prefix.feed(std::slice::from_ref(b));
            }
        }
    }
}

#[test]
fn every_rule_is_broken_somewhere() {
    let all: String = cases()
        .into_iter()
        .flat_map(|(_, _, g)| g)
        .collect::<Vec<_>>()
        .join("\n");
    for condition in [
        "restricted-xml",
        "not-well-formed",
        "invalid-namespace",
        "bad-namespace-prefix",
        "unsupported-encoding",
        "unsupported-version",
        "policy-violation",
        "bad-format",
    ] {
        assert!(
            all.contains(&format!("\"condition\":\"{condition}\"")),
            "no stream breaks {condition}"
        );
    }
}
