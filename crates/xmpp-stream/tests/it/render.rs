//! Drives a framer over a stream file the way `xmpp frame` does and renders
//! each event as its JSON line (ARCHITECTURE.md's shapes). Shared by the
//! golden tests and `cargo xtask golden`, which includes this file, so the
//! golden files are made and checked by the same code.

use serde_json::{Map, Value, json};
use xmpp_stream::{Event, Framer, FramingError, Transport};

/// The transport a stream file is framed with, from its provenance prefix:
/// `rfc7395-` WebSocket, `xep0124-`/`xep0206-` BOSH (a client's requests
/// when the name has `-request`), anything else TCP.
pub(crate) fn transport_of(name: &str) -> Transport {
    if name.starts_with("rfc7395-") {
        Transport::WebSocket
    } else if name.starts_with("xep0124-") || name.starts_with("xep0206-") {
        if name.contains("-request") {
            Transport::BoshRequests
        } else {
            Transport::Bosh
        }
    } else {
        Transport::Tcp
    }
}

fn attrs<'a>(pairs: impl Iterator<Item = (&'a str, String)>) -> Value {
    Value::Object(
        pairs
            .map(|(k, v)| (k.to_owned(), Value::String(v)))
            .collect::<Map<_, _>>(),
    )
}

/// The JSON line of one event.
pub(crate) fn event_line(ev: &Event) -> String {
    let v = match ev {
        Event::StreamOpen(h) => json!({
            "event": "stream-open",
            "name": h.name(),
            "ns": h.namespace(),
            "attrs": attrs(h.attributes().map(|(k, v)| (k, v.to_owned()))),
        }),
        Event::Element(e) => json!({
            "event": "element",
            "name": e.name(),
            "ns": e.namespace(),
            "attrs": attrs(e.attributes().map(|a| (a.name(), a.value().into_owned()))),
            "xml": e.xml(),
        }),
        Event::Whitespace => json!({ "event": "whitespace" }),
        Event::StreamClose => json!({ "event": "stream-close" }),
        _ => json!({ "event": "unknown" }),
    };
    v.to_string()
}

fn error_line(e: &FramingError) -> String {
    json!({ "event": "error", "condition": e.condition().as_str(), "message": e.to_string() })
        .to_string()
}

/// One run of a framer over a stream, restarting after `<proceed/>` and
/// `<success/>` as a peer does, stopping at the first error.
#[derive(Clone)]
pub(crate) struct Run {
    framer: Framer,
    transport: Transport,
    /// The JSON lines so far.
    pub(crate) lines: Vec<String>,
    done: bool,
}

impl Run {
    /// A run with the default limits.
    pub(crate) fn new(transport: Transport) -> Self {
        Self {
            framer: Framer::new(transport),
            transport,
            lines: Vec::new(),
            done: false,
        }
    }

    /// Feeds one chunk and collects the events it completes.
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if self.done {
            return;
        }
        self.framer.feed(chunk);
        loop {
            match self.framer.next_event() {
                Ok(Some(ev)) => {
                    self.lines.push(event_line(&ev));
                    let restart = matches!(&ev, Event::Element(e) if e.restarts_stream());
                    if restart && !self.transport.is_bosh() {
                        self.framer.reset();
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    self.lines.push(error_line(&e));
                    self.done = true;
                    return;
                }
            }
        }
    }

    /// Ends the input and returns every line.
    pub(crate) fn finish(mut self) -> Vec<String> {
        if !self.done {
            if let Err(e) = self.framer.finish() {
                self.lines.push(error_line(&e));
            }
        }
        self.lines
    }
}

/// The lines for `input` fed in chunks of `chunk` bytes.
pub(crate) fn frame(transport: Transport, input: &[u8], chunk: usize) -> Vec<String> {
    let mut run = Run::new(transport);
    for c in input.chunks(chunk.max(1)) {
        run.feed(c);
    }
    run.finish()
}
