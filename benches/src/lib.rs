//! Criterion benches of the workspace crates, run with `cargo bench -p
//! xmpp-benches`. Each bench puts our code and the peer crates named in its
//! issue in the same group, on the same inputs, so the report shows the ratio.
#![forbid(unsafe_code)]

pub mod corpus;
pub mod framing;
pub mod jids;
pub mod linear;
pub mod stanza_path;
