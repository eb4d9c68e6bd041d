//! What every subcommand shares: where inputs come from, how a JSON line is
//! written, and the exit status contract.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use serde_json::Value;

/// The exit status contract of every subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Every input was valid.
    Ok,
    /// Some input was invalid; its JSON line says why.
    Invalid,
    /// The command line was wrong; nothing was processed.
    Usage,
}

impl Exit {
    /// Folds one input's validity into the running status.
    pub(crate) fn record(&mut self, valid: bool) {
        if !valid && *self == Self::Ok {
            *self = Self::Invalid;
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        match e {
            Exit::Ok => Self::SUCCESS,
            Exit::Invalid => Self::from(1),
            Exit::Usage => Self::from(2),
        }
    }
}

/// Prints a usage message on stderr and returns [`Exit::Usage`].
pub(crate) fn usage(text: &str) -> Exit {
    eprintln!("{text}");
    Exit::Usage
}

/// Calls `f` on every input: the positional arguments when there are any,
/// otherwise each line of standard input (without its line ending).
pub(crate) fn for_each_input(positional: &[String], mut f: impl FnMut(&str)) {
    if !positional.is_empty() {
        for p in positional {
            f(p);
        }
        return;
    }
    let stdin = std::io::stdin();
    let mut line = Vec::new();
    let mut lock = stdin.lock();
    loop {
        line.clear();
        match lock.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        // Invalid UTF-8 on stdin cannot be a Rust string; it is reported as
        // U+FFFD, which every profile refuses, rather than being skipped.
        f(&String::from_utf8_lossy(&line));
    }
}

/// Writes one JSON object as one line on stdout and flushes, so that two
/// processes can be wired together line by line.
pub(crate) fn emit(value: &Value) {
    let mut out = std::io::stdout().lock();
    // A closed stdout (e.g. `| head`) is not worth a panic.
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}
