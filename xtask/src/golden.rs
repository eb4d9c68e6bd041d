//! `cargo xtask golden [--check]`: frames every stream of `testdata/streams/`
//! with xmpp-stream and writes its events as `<name>.jsonl` next to it (the
//! shapes of `xmpp frame`), or with `--check` fails when one is stale.
//! The integration tests read the same files.

use std::path::Path;

use crate::util::{Result, root};

#[path = "../../crates/xmpp-stream/tests/it/render.rs"]
mod render;

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
        let current = std::fs::read_to_string(&golden).unwrap_or_default();
        if current == text {
            continue;
        }
        if check {
            stale.push(name);
        } else {
            std::fs::write(&golden, text).map_err(|e| format!("{}: {e}", golden.display()))?;
            eprintln!("wrote {}", golden.display());
        }
    }
    if !stale.is_empty() {
        return Err(format!(
            "stale golden files (run cargo xtask golden): {}",
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

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
