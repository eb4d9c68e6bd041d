//! `parse_stanza`: one top-level element read as a typed stanza or nonza,
//! as the dict `xmpp stanza` prints for it (xmpp-stanza's serde shapes).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use serde_json::{Value, json};
use xmpp_stanza::{Element, Nonza, PayloadError, SASL_NS, SASL2_NS, Stanza, StanzaNs};
use xmpp_stream::{Event, Framer, STREAM_NS, Transport, escape_attribute};

use crate::errors::{StanzaError, opt_str, with_attrs};
use crate::json::to_py;

/// A `StanzaError` with `condition`, and `kind` and `reply` (the error
/// reply's XML) when they are known.
pub(crate) fn stanza_error(
    py: Python<'_>,
    message: String,
    condition: &str,
    kind: Option<&str>,
    reply: Option<&str>,
) -> PyErr {
    with_attrs::<StanzaError>(
        py,
        message,
        &[
            ("condition", PyString::new(py, condition).into_any()),
            ("kind", opt_str(py, kind)),
            ("reply", opt_str(py, reply)),
        ],
    )
}

/// The condition a peer answers a malformed nonza with: the SASL failure
/// of RFC 6120 §6.5 inside SASL negotiation (`incorrect-encoding` for bad
/// base64, `malformed-request` otherwise), the stanza condition for the
/// rest (the rule of `xmpp stanza`).
fn nonza_condition(element: &Element, e: &PayloadError) -> &'static str {
    if matches!(element.ns(), SASL_NS | SASL2_NS) {
        if matches!(e, PayloadError::InvalidBase64 { .. }) {
            "incorrect-encoding"
        } else {
            "malformed-request"
        }
    } else {
        e.condition().as_str()
    }
}

/// The JSON `xmpp stanza` prints for a framed element, or the error.
fn element_value(py: Python<'_>, frame: &xmpp_stream::Frame) -> PyResult<Value> {
    let element = Element::from_frame(frame)
        .map_err(|e| stanza_error(py, e.to_string(), e.condition().as_str(), None, None))?;
    let is_stanza = matches!(element.name(), "message" | "presence" | "iq")
        && StanzaNs::from_ns(element.ns()).is_some();
    if !is_stanza {
        return match Nonza::from_element(&element) {
            Ok(n) => Ok(json!({
                "event": "nonza",
                "kind": n.kind(),
                "name": element.name(),
                "ns": element.ns(),
                "element": element,
            })),
            Err(e) => Err(stanza_error(
                py,
                e.to_string(),
                nonza_condition(&element, &e),
                Some(element.name()),
                None,
            )),
        };
    }
    match Stanza::from_element(element) {
        Ok(s) => Ok(stanza_value(&s)),
        Err(invalid) => {
            let reply = invalid.error_reply().map(|r| r.to_xml());
            Err(stanza_error(
                py,
                invalid.to_string(),
                invalid.error.condition().as_str(),
                Some(invalid.element.name()),
                reply.as_deref(),
            ))
        }
    }
}

/// Reads one top-level element (a stanza or a nonza) as `xmpp stanza`
/// does, in a stream whose default namespace is `ns`:
/// `{"event": "stanza", "kind": "message"|"presence"|"iq", "stanza": {...}}`
/// or `{"event": "nonza", "kind", "name", "ns", "element"}`. Raises
/// `StanzaError` for XML that is not one well-formed element (`condition`:
/// the RFC 6120 §4.9.3 stream condition) and for an invalid stanza (the
/// §8.3.3 stanza condition, with the error reply in `reply`).
#[pyfunction]
#[pyo3(signature = (xml, *, ns = "jabber:client"))]
fn parse_stanza<'py>(
    py: Python<'py>,
    xml: &Bound<'py, PyAny>,
    ns: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let frame = frame_one(py, &xml_bytes(xml)?, ns)?;
    to_py(py, &element_value(py, &frame)?)
}

/// The bytes of a `bytes` or `str` argument (a `str` as UTF-8).
pub(crate) fn xml_bytes(xml: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = xml.cast::<PyBytes>() {
        Ok(b.as_bytes().to_vec())
    } else if let Ok(s) = xml.cast::<PyString>() {
        Ok(s.to_cow()?.as_bytes().to_vec())
    } else {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "expected XML as bytes or str",
        ))
    }
}

/// Frames `bytes` as the one top-level element of a stream whose default
/// namespace is `ns`, with every check the framer makes on a real stream.
/// Anything but exactly one element raises `StanzaError` with the RFC 6120
/// §4.9.3 stream condition.
pub(crate) fn frame_one(
    py: Python<'_>,
    bytes: &[u8],
    ns: &str,
) -> PyResult<Box<xmpp_stream::Frame>> {
    let framing = |e: &xmpp_stream::FramingError| {
        stanza_error(py, e.to_string(), e.condition().as_str(), None, None)
    };
    let mut framer = Framer::new(Transport::Tcp);
    let header = format!(
        "<stream:stream xmlns='{}' xmlns:stream='{STREAM_NS}'>",
        escape_attribute(ns)
    );
    framer.feed(header.as_bytes());
    framer.feed(bytes);
    let mut found = None;
    loop {
        match framer.next_event() {
            Ok(Some(Event::Element(frame))) if found.is_none() => found = Some(frame),
            Ok(Some(Event::StreamOpen(_) | Event::Whitespace)) => {}
            Ok(Some(_)) => {
                return Err(stanza_error(
                    py,
                    "more than one top-level element".to_owned(),
                    "not-well-formed",
                    None,
                    None,
                ));
            }
            Ok(None) => break,
            Err(e) => return Err(framing(&e)),
        }
    }
    framer.finish().map_err(|e| framing(&e))?;
    found.ok_or_else(|| stanza_error(py, "no element".to_owned(), "not-well-formed", None, None))
}

/// One stanza from XML written by the application (`send_xml`): framed
/// and typed as one received would be; a nonza or an invalid stanza
/// raises `StanzaError` (for an invalid one with its §8.3.3 condition).
pub(crate) fn stanza_from_xml(py: Python<'_>, xml: &Bound<'_, PyAny>) -> PyResult<Stanza> {
    let frame = frame_one(py, &xml_bytes(xml)?, xmpp_stanza::CLIENT_NS)?;
    let element = Element::from_frame(&frame)
        .map_err(|e| stanza_error(py, e.to_string(), e.condition().as_str(), None, None))?;
    let is_stanza = matches!(element.name(), "message" | "presence" | "iq")
        && StanzaNs::from_ns(element.ns()).is_some();
    if !is_stanza {
        return Err(stanza_error(
            py,
            format!(
                "<{}/> in {:?} is not a stanza",
                element.name(),
                element.ns()
            ),
            "bad-request",
            Some(element.name()),
            None,
        ));
    }
    Stanza::from_element(element).map_err(|invalid| {
        let reply = invalid.error_reply().map(|r| r.to_xml());
        stanza_error(
            py,
            invalid.to_string(),
            invalid.error.condition().as_str(),
            Some(invalid.element.name()),
            reply.as_deref(),
        )
    })
}

/// A typed stanza as the dict `parse_stanza` gives for it:
/// `{"event": "stanza", "kind", "stanza": {...}}`.
pub(crate) fn stanza_value(stanza: &Stanza) -> Value {
    json!({ "event": "stanza", "kind": stanza.kind(), "stanza": stanza })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_stanza, m)?)
}
