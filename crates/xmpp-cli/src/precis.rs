//! `xmpp precis PROFILE [--compare A B] [STRING...]`.

use crate::io::{Exit, usage};

const USAGE: &str = "usage: xmpp precis (username-case-mapped|username-case-preserved|opaque-string|nickname) [--compare A B] [STRING...]";

pub(crate) fn run(args: &[String]) -> Exit {
    let _ = args;
    usage(USAGE)
}
