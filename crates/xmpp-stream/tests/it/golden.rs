//! Every stream of `testdata/streams/` against its golden events
//! (`<name>.jsonl`, refreshed by `cargo xtask golden`), fed whole, byte by
//! byte and split in two at every point (at a bounded sample of points for
//! streams over 64 KiB).

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

/// Streams longer than this are split at a sample of points (see
/// [`split_points`]); shorter ones at every point.
const EVERY_SPLIT_MAX: usize = 64 * 1024;

/// Where `every_split_point` splits an input of `len` bytes: everywhere up
/// to [`EVERY_SPLIT_MAX`]; beyond, a bounded sample (the first and last 256
/// bytes, 256 evenly spaced points, and 8 bytes around every multiple of 64
/// KiB, where the element limit of 256 KiB and buffer sizes fall), so that
/// a 10 MB stream costs a few thousand cheap runs rather than ten million.
/// The byte-by-byte run of `whole_and_byte_by_byte` still covers every byte.
fn split_points(len: usize) -> Vec<usize> {
    if len <= EVERY_SPLIT_MAX {
        return (0..=len).collect();
    }
    let mut v: Vec<usize> = (0..=256).chain(len - 256..=len).collect();
    v.extend((0..256).map(|i| i * len / 256));
    for k in (1..).map(|k| k * 64 * 1024).take_while(|&k| k < len) {
        v.extend(k - 4..(k + 4).min(len));
    }
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn every_split_point() {
    for (name, input, golden) in cases() {
        let t = transport_of(&name);
        // Feed the prefix byte by byte into one run, and at each split point
        // finish a copy of it with the rest in one piece.
        let mut prefix = Run::new(t);
        let mut fed = 0;
        for split in split_points(input.len()) {
            prefix.feed(&input[fed..split]);
            fed = split;
            let mut run = prefix.clone();
            run.feed(&input[split..]);
            assert_eq!(run.finish(), golden, "{name}: split at byte {split}");
        }
    }
}

#[test]
fn split_points_are_bounded_and_cover_small_inputs() {
    assert_eq!(split_points(3), [0, 1, 2, 3]);
    assert_eq!(split_points(EVERY_SPLIT_MAX).len(), EVERY_SPLIT_MAX + 1);
    let big = split_points(10_000_000);
    assert!(big.len() < 2_500, "{}", big.len());
    assert_eq!(big.first(), Some(&0));
    assert_eq!(big.last(), Some(&10_000_000));
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
