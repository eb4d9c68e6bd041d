//! `Client` and `Server`: xmpp-session's c2s connection machines (RFC
//! 6120 §4 to §7, XEP-0198, XEP-0388/0386/0484), driven from Python.
//!
//! The machines do no I/O; neither do these wrappers. The driver (an
//! asyncio loop, a thread with a socket, a test) writes every
//! `poll_transmit()` to the transport, handles every `poll_event()` dict,
//! feeds received bytes to `handle_input()`, runs TLS when told to
//! (`{"event": "start-tls"}`, then `tls_established()`), and calls
//! `handle_timeout()` at `poll_timeout()`. Time is milliseconds on the
//! driver's clock (`time.monotonic()` by default, which asyncio's
//! `loop.time()` uses too); randomness is a 32-byte seed, `os.urandom(32)`
//! unless given.

mod client;
mod server;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyString};
use serde_json::{Value, json};
use xmpp_sasl::{ChannelBinding, ChannelBindingType, TlsVersion};
use xmpp_session::{Error, Instant, Seed, TlsInfo, TlsPolicy, Transport};
use xmpp_stanza::Stanza;

use crate::errors::{SessionError, with_attrs};
use crate::stanza::stanza_value;

pub(crate) use client::Client;
pub(crate) use server::Server;

/// The `SessionError` of a machine error: `condition` names what happened
/// (the stream condition sent or received, the SASL failure, the stanza
/// error of a failed bind, or the error's kind when it has none), `kind`
/// the kind of error, `fatal` whether the session is over.
pub(crate) fn session_error(py: Python<'_>, e: &Error) -> PyErr {
    let (kind, condition): (&str, String) = match e {
        Error::Framing(f) => ("framing", f.condition().as_str().to_owned()),
        Error::Protocol { condition, .. } => ("protocol", condition.as_str().to_owned()),
        // XEP-0198 §4: a protocol violation answered with `undefined-condition`.
        Error::HandledCountTooHigh { .. } => ("protocol", "undefined-condition".to_owned()),
        Error::PeerStreamError(s) => ("peer-stream-error", s.condition.as_str().to_owned()),
        Error::AuthFailed { condition, .. } => ("auth-failed", condition.as_str().to_owned()),
        Error::Sasl(s) => ("sasl", s.condition().as_str().to_owned()),
        Error::NoMechanism => ("no-mechanism", "no-mechanism".to_owned()),
        Error::TlsRequired => ("tls-required", "tls-required".to_owned()),
        Error::BindFailed(c) => ("bind-failed", c.as_str().to_owned()),
        Error::Timeout => ("timeout", "connection-timeout".to_owned()),
        Error::ConnectionLost => ("connection-lost", "connection-lost".to_owned()),
        Error::Closed => ("closed", "closed".to_owned()),
        Error::WrongPhase(_) => ("wrong-phase", "wrong-phase".to_owned()),
        Error::QueueFull => ("queue-full", "queue-full".to_owned()),
        _ => ("other", "other".to_owned()),
    };
    with_attrs::<SessionError>(
        py,
        e.to_string(),
        &[
            ("condition", PyString::new(py, &condition).into_any()),
            ("kind", PyString::new(py, kind).into_any()),
            ("fatal", PyBool::new(py, e.is_fatal()).to_owned().into_any()),
        ],
    )
}

/// The machine's seed: the given 32 bytes, or `os.urandom(32)`.
pub(crate) fn seed(py: Python<'_>, given: Option<Vec<u8>>) -> PyResult<Seed> {
    let bytes = match given {
        Some(b) => b,
        None => py
            .import("os")?
            .call_method1("urandom", (32,))?
            .extract::<Vec<u8>>()?,
    };
    let array: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        PyValueError::new_err(format!("seed must be 32 bytes, not {}", b.len()))
    })?;
    Ok(Seed::new(array))
}

/// `now_ms`, or the driver's default clock: `time.monotonic()` in
/// milliseconds.
pub(crate) fn now(py: Python<'_>, given: Option<u64>) -> PyResult<Instant> {
    let ms = match given {
        Some(ms) => ms,
        None => {
            let secs: f64 = py.import("time")?.call_method0("monotonic")?.extract()?;
            // Whole milliseconds; a clock before its epoch is 0.
            (secs * 1000.0).max(0.0) as u64
        }
    };
    Ok(Instant::from_millis(ms))
}

/// `tls="required"|"optional"|"off"`.
pub(crate) fn tls_policy(name: &str) -> PyResult<TlsPolicy> {
    match name {
        "required" => Ok(TlsPolicy::Required),
        "optional" => Ok(TlsPolicy::Optional),
        "off" => Ok(TlsPolicy::Off),
        t => Err(PyValueError::new_err(format!(
            "unknown tls policy {t:?}: expected required, optional or off"
        ))),
    }
}

/// `tls_mode="starttls"|"direct"` (RFC 6120 §5 or XEP-0368).
pub(crate) fn tls_mode(name: &str) -> PyResult<xmpp_session::TlsMode> {
    match name {
        "starttls" => Ok(xmpp_session::TlsMode::StartTls),
        "direct" => Ok(xmpp_session::TlsMode::Direct),
        t => Err(PyValueError::new_err(format!(
            "unknown tls mode {t:?}: expected starttls or direct"
        ))),
    }
}

/// `transport="tcp"|"websocket"` (RFC 6120 §4 or RFC 7395).
pub(crate) fn transport(name: &str) -> PyResult<Transport> {
    match name {
        "tcp" => Ok(Transport::Tcp),
        "websocket" => Ok(Transport::WebSocket),
        t => Err(PyValueError::new_err(format!(
            "unknown transport {t:?}: expected tcp or websocket"
        ))),
    }
}

/// What the driver's TLS layer reports: the version (`"TLSv1.2"`,
/// `"TLSv1.3"`, as `ssl.SSLObject.version()` names them) and the
/// channel-binding data by RFC 5929 / RFC 9266 type name.
pub(crate) fn tls_info(
    version: &str,
    channel_bindings: Option<&Bound<'_, PyDict>>,
) -> PyResult<TlsInfo> {
    let version = match version {
        "TLSv1.3" | "1.3" => TlsVersion::Tls13,
        "TLSv1.2" | "1.2" => TlsVersion::Tls12,
        v => {
            return Err(PyValueError::new_err(format!(
                "unsupported TLS version {v:?}: expected TLSv1.2 or TLSv1.3"
            )));
        }
    };
    let mut info = TlsInfo::new(version);
    if let Some(bindings) = channel_bindings {
        for (k, v) in bindings.iter() {
            let name: String = k.extract()?;
            let kind = ChannelBindingType::from_name(&name).ok_or_else(|| {
                PyValueError::new_err(format!("unknown channel binding type {name:?}"))
            })?;
            let data: Vec<u8> = v.extract()?;
            info = info.with_channel_binding(ChannelBinding::new(kind, data));
        }
    }
    Ok(info)
}

/// The typed stanza dicts of a list of stanzas.
pub(crate) fn stanza_list(stanzas: &[Stanza]) -> Value {
    Value::Array(stanzas.iter().map(stanza_value).collect())
}

/// `{"event": "stanza", "kind", "stanza"}`: the shape `parse_stanza` gives.
pub(crate) fn stanza_event(stanza: &Stanza) -> Value {
    stanza_value(stanza)
}

/// `{"event": "stream-error", "condition", "text"}` for a peer's
/// `<stream:error/>` (RFC 6120 §4.9).
pub(crate) fn stream_error_event(e: &xmpp_stanza::StreamError) -> Value {
    json!({
        "event": "stream-error",
        "condition": e.condition.as_str(),
        "text": e.text.as_ref().map(|(_, t)| t.as_str()),
        "see_other_host": e.see_other_host,
    })
}

/// The bytes of a transmit as Python `bytes`.
pub(crate) fn py_bytes(py: Python<'_>, data: Option<Vec<u8>>) -> Option<Bound<'_, PyBytes>> {
    data.map(|d| PyBytes::new(py, &d))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Client>()?;
    m.add_class::<Server>()?;
    Ok(())
}
