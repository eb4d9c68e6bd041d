//! `xmpp serve`'s JSON lines on stdout, written by a thread of their own
//! so that no session ever waits on whoever reads them: a reader that
//! stops (a supervisor, a harness that reads only the first line) must
//! not stall the server. Lines go through a bounded queue; when it is
//! full a line is dropped and counted, and the count is reported as
//! `{"event":"dropped","lines":N}` once the writer moves again.

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::io::Write as _;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, OnceLock};

/// Lines queued for the writer at most.
const QUEUE: usize = 1024;

/// The writer's queue and counters.
struct Lines {
    queue: SyncSender<String>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    /// Lines dropped since the last report.
    dropped: AtomicU64,
    /// Lines queued and not yet written.
    pending: AtomicUsize,
}

static LINES: OnceLock<Lines> = OnceLock::new();

fn lines() -> &'static Lines {
    LINES.get_or_init(|| {
        let (queue, rx) = sync_channel(QUEUE);
        let counts = Arc::new(Counts::default());
        let c = Arc::clone(&counts);
        // Without the thread every line counts as dropped, which is all
        // that can be done then.
        let _ = std::thread::Builder::new()
            .name("xmpp-serve-stdout".into())
            .spawn(move || write(&rx, &c));
        Lines { queue, counts }
    })
}

fn write(rx: &Receiver<String>, counts: &Counts) {
    let mut out = std::io::stdout();
    while let Ok(line) = rx.recv() {
        let _ = writeln!(out, "{line}");
        let dropped = counts.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let _ = writeln!(
                out,
                "{}",
                serde_json::json!({"event": "dropped", "lines": dropped})
            );
        }
        let _ = out.flush();
        counts.pending.fetch_sub(1, Ordering::Release);
    }
}

/// Queues one JSON line for stdout; never waits.
pub(crate) fn emit(line: &serde_json::Value) {
    let lines = lines();
    lines.counts.pending.fetch_add(1, Ordering::Acquire);
    // Full, or the writer is gone: either way the line is not written.
    if lines.queue.try_send(line.to_string()).is_err() {
        lines.counts.pending.fetch_sub(1, Ordering::Release);
        lines.counts.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

/// Waits up to `within` for the queued lines to be written (at exit).
pub(crate) async fn flush(within: core::time::Duration) {
    let Some(lines) = LINES.get() else { return };
    let deadline = tokio::time::Instant::now() + within;
    while lines.counts.pending.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(core::time::Duration::from_millis(10)).await;
    }
}
