//! `xmpp stanza [--chunk N] [--transport tcp|websocket|bosh|bosh-requests] [--max-stanza BYTES] [FILE|-]`:
//! frames one whole stream as `xmpp frame` does and prints one JSON object
//! per top-level element, read as a typed stanza.
//!
//! Shapes (the stanza JSON is the one of xmpp-stanza's `serde` feature):
//!
//! ```text
//! {"event":"stanza","kind":"message"|"presence"|"iq","stanza":{…typed JSON…}}
//! {"event":"nonza","kind":"features","name":"features","ns":"http://etherx.jabber.org/streams","element":{ELEMENT}}
//! {"event":"error","condition":"<stanza condition>","message":"…","kind":"message","reply":"<message …>"|null}
//! {"event":"error","condition":"incorrect-encoding","message":"…","kind":"auth","reply":null}
//! {"event":"error","condition":"<stream condition>","message":"…"}
//! ```
//!
//! A stanza that is not valid (a bad address, type or payload) gives an
//! error line with its RFC 6120 §8.3.3 condition and the error reply that a
//! server would send (null when none is due), and the stream goes on. A
//! nonza's `kind` names its typed form (`starttls`, `sasl-auth`, `sm-ack`,
//! …, `other` for namespaces the crate does not know); a nonza of a known
//! namespace with a bad shape gives an error line whose condition is the
//! SASL failure condition (RFC 6120 §6.5) for SASL and SASL2 elements, the
//! stanza condition otherwise. A
//! framing error gives the RFC 6120 §4.9.3 condition and ends the output.
//! Stream headers, white space and the close print nothing.

use serde_json::{Value, json};
use xmpp_stanza::{Element, Nonza, PayloadError, SASL_NS, SASL2_NS, Stanza};
use xmpp_stream::{Event, Framer};

use crate::frame::{error_json, parse, read_input};
use crate::io::{Exit, emit, usage};

const USAGE: &str = "usage: xmpp stanza [--chunk N] [--transport tcp|websocket|bosh|bosh-requests] [--max-stanza BYTES] [FILE|-]";

/// The JSON line of one framed element; `false` when it is not valid.
fn element_json(frame: &xmpp_stream::Frame) -> (Value, bool) {
    let element = match Element::from_frame(frame) {
        Ok(e) => e,
        Err(e) => {
            return (
                json!({
                    "event": "error",
                    "condition": e.condition().as_str(),
                    "message": e.to_string(),
                }),
                false,
            );
        }
    };
    let is_stanza = matches!(element.name(), "message" | "presence" | "iq")
        && xmpp_stanza::StanzaNs::from_ns(element.ns()).is_some();
    if !is_stanza {
        return match Nonza::from_element(&element) {
            Ok(n) => (
                json!({
                    "event": "nonza",
                    "kind": n.kind(),
                    "name": element.name(),
                    "ns": element.ns(),
                    "element": element,
                }),
                true,
            ),
            Err(e) => (
                json!({
                    "event": "error",
                    "condition": nonza_condition(&element, &e),
                    "message": e.to_string(),
                    "kind": element.name(),
                    "reply": null,
                }),
                false,
            ),
        };
    }
    match Stanza::from_element(element) {
        Ok(s) => (
            json!({ "event": "stanza", "kind": s.kind(), "stanza": s }),
            true,
        ),
        Err(invalid) => (
            json!({
                "event": "error",
                "condition": invalid.error.condition().as_str(),
                "message": invalid.to_string(),
                "kind": invalid.element.name(),
                "reply": invalid.error_reply().map(|r| r.to_xml()),
            }),
            false,
        ),
    }
}

/// The condition a peer answers a malformed nonza with: the SASL failure
/// of RFC 6120 §6.5 inside SASL negotiation (`incorrect-encoding` for bad
/// base64, `malformed-request` otherwise), the stanza condition for the
/// rest.
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

pub(crate) fn run(args: &[String]) -> Exit {
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) => return usage(&format!("xmpp stanza: {e}\n{USAGE}")),
    };
    let input = match read_input(o.file.as_deref()) {
        Ok(i) => i,
        Err(e) => return usage(&format!("xmpp stanza: {e}")),
    };
    let mut framer = match Framer::with_limits(o.transport, o.limits) {
        Ok(f) => f,
        Err(e) => return usage(&format!("xmpp stanza: {e}")),
    };
    let mut exit = Exit::Ok;
    for chunk in input.chunks(o.chunk) {
        framer.feed(chunk);
        loop {
            match framer.next_event() {
                Ok(Some(Event::Element(frame))) => {
                    let (line, valid) = element_json(&frame);
                    emit(&line);
                    exit.record(valid);
                    // The same restart as `xmpp frame` (RFC 6120 §4.3.3).
                    if frame.restart_after(o.transport) != xmpp_stream::Restart::No {
                        framer.reset();
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    emit(&error_json(&e));
                    return Exit::Invalid;
                }
            }
        }
    }
    match framer.finish() {
        Ok(()) => exit,
        Err(e) => {
            emit(&error_json(&e));
            Exit::Invalid
        }
    }
}
