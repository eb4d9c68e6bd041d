//! `cargo xtask codegen [--check]`.

use crate::util::Result;

pub(crate) fn run(_args: &[String]) -> Result {
    Ok(())
}
