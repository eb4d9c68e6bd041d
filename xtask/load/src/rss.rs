//! Resident memory of a process and its descendants, from Linux's `/proc`
//! (`VmRSS` of `/proc/PID/status`; the parent of each process from field 4
//! of `/proc/PID/stat`). A server started through a wrapper (ejabberd's
//! `erl` launches `beam.smp`) is measured whole.

use std::collections::HashMap;

/// The summed `VmRSS`, in KiB, of `pid` and every process below it.
pub(crate) fn tree_kib(pid: usize) -> Result<u64, String> {
    let parents = parents()?;
    let mut tree = vec![pid];
    let mut i = 0;
    while let Some(&p) = tree.get(i) {
        tree.extend(
            parents
                .iter()
                .filter(|&(_, &parent)| parent == p)
                .map(|(&child, _)| child),
        );
        i += 1;
    }
    let mut total = 0;
    for p in tree {
        total += rss_kib(p).ok_or_else(|| format!("no VmRSS for pid {p}"))?;
    }
    Ok(total)
}

fn rss_kib(pid: usize) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Every process's parent.
fn parents() -> Result<HashMap<usize, usize>, String> {
    let mut out = HashMap::new();
    let dir = std::fs::read_dir("/proc").map_err(|e| format!("/proc: {e}"))?;
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces and parentheses.
        let Some(after) = stat.rfind(')').and_then(|i| stat.get(i + 1..)) else {
            continue;
        };
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|s| s.parse().ok()) {
            out.insert(pid, ppid);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_resident_memory() {
        let me = std::process::id() as usize;
        assert!(tree_kib(me).unwrap() > 0);
        assert!(parents().unwrap().contains_key(&me));
    }
}
