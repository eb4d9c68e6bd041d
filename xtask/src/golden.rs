//! `cargo xtask golden [--check]`: frames every stream of `testdata/streams/`
//! with xmpp-stream and writes its events as `<name>.jsonl` next to it (the
//! shapes of `xmpp frame`), and the stream as a seed of the `stream_feed`
//! fuzz target (streams of up to 64 KiB); with `--check` fails when one is
//! stale. The integration
//! tests read the same files.

use std::path::Path;

use crate::util::{Result, root};

#[path = "../../crates/xmpp-stream/tests/it/render.rs"]
pub(crate) mod render;

/// Streams larger than this get no `stream_feed` seed.
const MAX_SEED_BYTES: usize = 64 * 1024;

pub(crate) fn run(args: &[String]) -> Result {
    let check = args.iter().any(|a| a == "--check");
    let dir = root().join("testdata").join("streams");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    entries.sort();
    let mut stale = Vec::new();
    for path in &entries {
        let name = stem(path);
        let input = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let lines = render::frame(render::transport_of(&name), &input, input.len());
        let mut text = lines.join("\n");
        text.push('\n');
        let golden = path.with_extension("jsonl");
        let seed = root()
            .join("fuzz")
            .join("seeds")
            .join("stream_feed")
            .join(&name);
        let mut files = vec![(golden, text.into_bytes())];
        // The fuzzer's seeds stay small: a large stream is a golden case
        // only (its cut-down variants are what the fuzzer makes anyway).
        if input.len() <= MAX_SEED_BYTES {
            files.push((seed, seed_bytes(&name, &input)));
        }
        for (file, want) in files {
            if std::fs::read(&file).ok().as_deref() == Some(want.as_slice()) {
                continue;
            }
            if check {
                stale.push(file.display().to_string());
            } else {
                std::fs::write(&file, want).map_err(|e| format!("{}: {e}", file.display()))?;
                eprintln!("wrote {}", file.display());
            }
        }
    }
    if !stale.is_empty() {
        return Err(format!(
            "stale golden or seed files (run cargo xtask golden): {}",
            stale.join(", ")
        ));
    }
    eprintln!(
        "{} streams, golden files {}",
        entries.len(),
        if check { "up to date" } else { "refreshed" }
    );
    Ok(())
}

/// The `stream_feed` seed of a stream: the transport in the top bits of
/// the first byte, three chunk sizes (1, 7, 64), then the stream (see the
/// target's input layout).
fn seed_bytes(name: &str, input: &[u8]) -> Vec<u8> {
    let transport: u8 = match render::transport_of(name) {
        xmpp_stream::Transport::WebSocket => 1,
        xmpp_stream::Transport::Bosh => 2,
        xmpp_stream::Transport::BoshRequests => 3,
        _ => 0,
    };
    let mut seed = vec![(transport << 6) | 3, 1, 7, 64];
    seed.extend_from_slice(input);
    seed
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
