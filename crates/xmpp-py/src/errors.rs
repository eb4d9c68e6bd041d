//! The exceptions: one `ValueError` subclass per layer, each instance
//! carrying the failure's `condition` (the name the `xmpp` command prints)
//! and a few structured attributes.

use pyo3::PyTypeInfo;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyType;

create_exception!(
    xmpp_primitives,
    JidError,
    PyValueError,
    "An address refused by RFC 7622 (or RFC 6122) enforcement; `condition` is the kind \
     `xmpp jid` prints (`empty-localpart`, `domainpart-disallowed`, ...), `part` the part."
);
create_exception!(
    xmpp_primitives,
    PrecisError,
    PyValueError,
    "A string refused by a PRECIS profile (RFC 8264); `condition` is one of empty, \
     disallowed, unassigned, context-rule, bidi-rule, unstable."
);
create_exception!(
    xmpp_primitives,
    StreamError,
    PyValueError,
    "A framing error that ends the stream; `condition` is the RFC 6120 §4.9.3 stream \
     error condition to send (`not-well-formed`, `policy-violation`, ...)."
);
create_exception!(
    xmpp_primitives,
    StanzaError,
    PyValueError,
    "A stanza or nonza that cannot be read; `condition` is the RFC 6120 §8.3.3 stanza \
     error condition (or the §4.9.3 stream condition for bad XML, or the §6.5 SASL \
     failure for bad SASL elements), `reply` the error reply a server sends, if any."
);
create_exception!(
    xmpp_primitives,
    SaslError,
    PyValueError,
    "A failed SASL exchange; `condition` is the RFC 6120 §6.5 failure condition \
     (`not-authorized`, `malformed-request`, ...), `scram_error` the RFC 5802 §7 `e=` \
     value when there is one."
);

create_exception!(
    xmpp_primitives,
    SessionError,
    PyValueError,
    "A refused command or the end of a session (xmpp-session `Error`); `condition` is the \
     stream condition sent or received, the SASL failure, the stanza error of a failed \
     bind, or the kind itself (`tls-required`, `connection-lost`, `wrong-phase`, ...); \
     `kind` the kind of error; `fatal` whether the session is over."
);

/// An exception of type `T` with `message` and the given attributes.
pub(crate) fn with_attrs<'py, T: PyTypeInfo>(
    py: Python<'py>,
    message: String,
    attrs: &[(&str, Bound<'py, PyAny>)],
) -> PyErr {
    let err = PyErr::new::<T, _>(message);
    let value = err.value(py);
    for (name, v) in attrs {
        if let Err(e) = value.setattr(*name, v) {
            return e;
        }
    }
    err
}

/// The `str` (or `None`) as a Python object.
pub(crate) fn opt_str<'py>(py: Python<'py>, s: Option<&str>) -> Bound<'py, PyAny> {
    match s {
        Some(s) => pyo3::types::PyString::new(py, s).into_any(),
        None => py.None().into_bound(py),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let types: [(&str, Bound<'_, PyType>); 6] = [
        ("JidError", py.get_type::<JidError>()),
        ("PrecisError", py.get_type::<PrecisError>()),
        ("StreamError", py.get_type::<StreamError>()),
        ("StanzaError", py.get_type::<StanzaError>()),
        ("SaslError", py.get_type::<SaslError>()),
        ("SessionError", py.get_type::<SessionError>()),
    ];
    for (name, t) in types {
        m.add(name, t)?;
    }
    Ok(())
}
