//! Python bindings of the XMPP primitives, the native part of the
//! `xmpp_primitives` package (PyO3, built into an abi3 wheel by maturin).
//!
//! What Python sees, with the names ARCHITECTURE.md fixes:
//!
//! | Python | Rust | spec |
//! |---|---|---|
//! | `Jid`, `JidError`, `escape_localpart`, `unescape_localpart` | [`xmpp_jid`] | RFC 7622, RFC 6122, XEP-0106 |
//! | `precis.enforce`, `precis.compare`, `PrecisError` | [`xmpp_precis`] | RFC 8264, 8265, 8266 |
//! | `Framer`, `StreamError` | [`xmpp_stream`] | RFC 6120 §4, §11; RFC 7395; XEP-0124 |
//! | `parse_stanza`, `StanzaError` | [`xmpp_stanza`] | RFC 6120 §8, RFC 6121 |
//! | `SaslClient` (`ScramClient`), `SaslServer`, `SaslError` | [`xmpp_sasl`] | RFC 4422, 4616, 5802, 7677 |
//! | `Client`, `Server`, `SessionError` | [`xmpp_session`] | RFC 6120 §4 to §7, XEP-0198, XEP-0388 |
//!
//! Every error is a `ValueError` subclass whose `condition` attribute is the
//! name the `xmpp` command prints for the same failure, so scripts and the
//! command never disagree. The crate does the I/O of neither side: bytes go
//! in, values come out, exactly as in the crates it wraps.
//!
//! Building: `maturin build --release -m crates/xmpp-py/Cargo.toml` (the
//! `extension-module` feature is enabled through pyproject.toml). Without
//! that feature the crate links libpython, so `cargo test --workspace`
//! builds it like any other member.

#![forbid(unsafe_code)]
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "a std-only binding crate"
)]

mod errors;
mod framer;
mod jid;
mod json;
mod precis;
mod sasl;
mod session;
mod stanza;

use pyo3::prelude::*;

/// The module `xmpp_primitives._native`, re-exported by the package's
/// `__init__.py`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    errors::register(m)?;
    jid::register(m)?;
    framer::register(m)?;
    stanza::register(m)?;
    sasl::register(m)?;
    session::register(m)?;
    let precis = PyModule::new(py, "precis")?;
    precis::register(&precis)?;
    m.add_submodule(&precis)?;
    Ok(())
}
