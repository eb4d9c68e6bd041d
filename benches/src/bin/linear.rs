//! One case of `cargo xtask linear` at one scale, for instruction counts:
//! `linear <case> <scale>` builds the case's input (see
//! `xmpp_benches::linear`), then runs `xmpp_benches::linear::run` over it,
//! the only function `cargo xtask linear` has callgrind count (`cargo
//! run --release -p xmpp-benches --bin linear -- nesting 10`). Prints the
//! input's size and the count of tree nodes.
#![allow(
    clippy::print_stdout,
    reason = "a measuring tool: it prints its result"
)]

use std::process::ExitCode;

use xmpp_benches::linear;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_default();
    let scale: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let Some((input, limits, chunk)) = linear::input(&case, scale) else {
        eprintln!("usage: linear <{}> [scale]", linear::CASES.join("|"));
        return ExitCode::from(2);
    };
    let nodes = linear::run(&input, limits, chunk);
    println!("{case} x{scale}: {} bytes, {nodes} nodes", input.len());
    ExitCode::SUCCESS
}
