//! The `xmpp` command (see ARCHITECTURE.md for its JSON-lines contract).
fn main() {}
