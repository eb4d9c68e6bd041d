//! Integration tests of the `xmpp` command, one module per subcommand.

#![allow(
    clippy::std_instead_of_alloc,
    clippy::std_instead_of_core,
    reason = "integration tests run with std"
)]

mod sasl;
