//! What running a real server of our own on loopback takes, whichever
//! server it is (Prosody, ejabberd): a fresh directory under `target/`, a
//! free port, a child process killed when dropped, an instance left behind
//! by a killed run stopped by its pid file, and bounded waits whose errors
//! carry the tail of the server's logs.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::util::Result;

/// A loopback port nobody listens on right now (the kernel's choice).
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read the bound port: {e}"))
}

/// Empties `dir` (the previous run's accounts, logs and pid files go, so
/// that every run starts from the same state) and creates it with `subs`.
pub(crate) fn fresh_dir(dir: &Path, subs: &[&str]) -> Result {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("remove {}: {e}", dir.display())),
    }
    for sub in [""].iter().chain(subs) {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).map_err(|e| format!("create {}: {e}", d.display()))?;
    }
    Ok(())
}

/// Stops the process whose pid `pid_file` holds when an earlier run was
/// killed before it could kill its child, if its command line still holds
/// every one of `markers` (Linux's `/proc` tells; elsewhere, or for a pid
/// that now names another program, nothing is stopped). `name` is for the
/// message.
pub(crate) fn stop_stale(name: &str, pid_file: &Path, markers: &[&str]) {
    let Ok(pid) = std::fs::read_to_string(pid_file) else {
        return;
    };
    let pid = pid.trim();
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    let proc = Path::new("/proc").join(pid);
    let Ok(cmdline) = std::fs::read(proc.join("cmdline")) else {
        return;
    };
    let cmdline = String::from_utf8_lossy(&cmdline);
    if !markers.iter().all(|m| cmdline.contains(m)) {
        return;
    }
    eprintln!("{name}: stopping pid {pid}, left running by an earlier run");
    let _ = Command::new("kill").args(["-KILL", pid]).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while proc.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process that is killed (SIGKILL) and reaped when dropped, also
/// when a check fails or panics. The servers' state is thrown away with
/// their directory on the next run, so SIGKILL loses nothing.
pub(crate) struct Killed {
    child: Child,
}

impl Killed {
    /// Takes charge of `child`.
    pub(crate) fn new(child: Child) -> Self {
        Self { child }
    }

    /// The child's pid.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if the child has exited.
    pub(crate) fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) fn accepts(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Polls `ready` every 50 ms until it says yes, `child` exits, or
/// `timeout` passes; the errors name `what` and carry `why()` (the logs'
/// tails, read only when it fails).
pub(crate) fn wait_until(
    what: &str,
    child: &mut Killed,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
    why: impl Fn() -> String,
) -> Result {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.exited() {
            return Err(format!(
                "{what}: exited during start-up ({status})\n{}",
                why()
            ));
        }
        if ready() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{what}: not ready within {timeout:?}\n{}", why()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The last `lines` lines of the file at `path`, headed by its name, or a
/// note that it cannot be read.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            let from = all.len().saturating_sub(lines);
            let kept: Vec<&str> = all.iter().skip(from).copied().collect();
            format!(
                "--- last {} lines of {} ---\n{}",
                kept.len(),
                path.display(),
                kept.join("\n")
            )
        }
        Err(e) => format!("--- {}: {e} ---", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = std::env::temp_dir().join(format!("xtask-local-{}", std::process::id()));
        fresh_dir(&dir, &["sub"]).unwrap();
        assert!(dir.join("sub").is_dir());
        let file = dir.join("log");
        std::fs::write(&file, "a\nb\nc\n").unwrap();
        assert!(tail(&file, 2).ends_with("---\nb\nc"), "{}", tail(&file, 2));
        assert!(tail(&file, 9).ends_with("---\na\nb\nc"));
        assert!(tail(&dir.join("none"), 2).contains("none"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_stale_pid_of_another_program_is_left_alone() {
        let dir = std::env::temp_dir().join(format!("xtask-stale-{}", std::process::id()));
        fresh_dir(&dir, &[]).unwrap();
        let pid_file = dir.join("x.pid");
        // Our own pid: a live process whose command line lacks the marker.
        std::fs::write(&pid_file, std::process::id().to_string()).unwrap();
        stop_stale("test", &pid_file, &["no-such-marker-in-a-test-binary"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
