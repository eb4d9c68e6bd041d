//! What the Python oracles share: one request per JSON line on the oracle's
//! stdin, one `{"ok": bool, "out": string}` answer per line on its stdout,
//! and the TSV of investigated difference classes.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::{Result, root};

/// An oracle's answer: `Ok(output)` or `Err(reason it refused)`.
pub(crate) type Answer = std::result::Result<String, String>;

/// Runs `python script mode`, writes `requests` to it (one JSON value per
/// line) and reads exactly one answer per request.
pub(crate) fn ask(
    python: &Path,
    script: &Path,
    mode: &str,
    requests: &[Value],
) -> Result<Vec<Answer>> {
    let mut text = String::new();
    for r in requests {
        text.push_str(&r.to_string());
        text.push('\n');
    }
    let mut child = Command::new(python)
        .arg(script)
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run the oracle: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    // Written from a thread so that neither pipe fills while the other waits.
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("oracle: {e}"))?;
    writer
        .join()
        .map_err(|_| "writer thread panicked".to_owned())?
        .map_err(|e| format!("write to oracle: {e}"))?;
    if !out.status.success() {
        return Err(format!("the oracle failed ({})", out.status));
    }
    let answers = String::from_utf8(out.stdout).map_err(|_| "oracle printed invalid UTF-8")?;
    let answers: Vec<Answer> = answers
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).map_err(|e| format!("oracle line: {e}"))?;
            let out = v["out"].as_str().unwrap_or("").to_owned();
            Ok(if v["ok"].as_bool() == Some(true) {
                Ok(out)
            } else {
                Err(out)
            })
        })
        .collect::<Result<_>>()?;
    if answers.len() != requests.len() {
        return Err("the oracle answered a different number of cases".to_owned());
    }
    Ok(answers)
}

/// The investigated difference classes of `testdata/<area>/oracle-differences.tsv`:
/// class id (first column) to reason (last column); each line has `columns`
/// tab-separated fields.
pub(crate) fn known_differences(area: &str, columns: usize) -> Result<HashMap<String, String>> {
    let path = root()
        .join("testdata")
        .join(area)
        .join("oracle-differences.tsv");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut known = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        match (f.len() == columns, f.first(), f.last()) {
            (true, Some(class), Some(reason)) => {
                known.insert((*class).to_owned(), (*reason).to_owned());
            }
            _ => return Err(format!("bad line in {}: {line}", path.display())),
        }
    }
    Ok(known)
}
