//! `xmpp frame [--chunk N] [--transport tcp|websocket|bosh|bosh-requests] [--max-stanza BYTES] [FILE|-]`:
//! frames one whole stream and prints one JSON object per event.

use std::io::Read;

use serde_json::{Map, Value, json};
use xmpp_stream::{Event, Framer, FramingError, Limits, Transport};

use crate::io::{Exit, emit, usage};

const USAGE: &str = "usage: xmpp frame [--chunk N] [--transport tcp|websocket|bosh|bosh-requests] [--max-stanza BYTES] [FILE|-]";

/// Feeding size when `--chunk` is not given; any size gives the same events.
const DEFAULT_CHUNK: usize = 64 * 1024;

pub(crate) struct Options {
    pub(crate) chunk: usize,
    pub(crate) transport: Transport,
    pub(crate) limits: Limits,
    pub(crate) file: Option<String>,
}

pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        chunk: DEFAULT_CHUNK,
        transport: Transport::Tcp,
        limits: Limits::default(),
        file: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--chunk" => {
                o.chunk = value("--chunk")?
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or("--chunk needs a positive number")?;
            }
            "--transport" => {
                o.transport = match value("--transport")?.as_str() {
                    "tcp" => Transport::Tcp,
                    "websocket" => Transport::WebSocket,
                    "bosh" => Transport::Bosh,
                    "bosh-requests" => Transport::BoshRequests,
                    t => return Err(format!("unknown transport {t}")),
                };
            }
            "--max-stanza" => {
                let n = value("--max-stanza")?
                    .parse()
                    .map_err(|_| "--max-stanza needs a number of bytes")?;
                o.limits = o.limits.with_max_element_bytes(n);
                o.limits.validate().map_err(|e| e.to_string())?;
            }
            "-" if o.file.is_none() => o.file = Some("-".to_owned()),
            f if !f.starts_with('-') && o.file.is_none() => o.file = Some(f.to_owned()),
            f => return Err(format!("unexpected argument {f}")),
        }
    }
    Ok(o)
}

pub(crate) fn read_input(file: Option<&str>) -> Result<Vec<u8>, String> {
    match file {
        None | Some("-") => {
            let mut v = Vec::new();
            std::io::stdin()
                .read_to_end(&mut v)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            Ok(v)
        }
        Some(path) => std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}")),
    }
}

fn attrs<'a>(pairs: impl Iterator<Item = (&'a str, String)>) -> Value {
    Value::Object(
        pairs
            .map(|(k, v)| (k.to_owned(), Value::String(v)))
            .collect::<Map<_, _>>(),
    )
}

/// The JSON line of one event (the shapes are ARCHITECTURE.md's contract).
pub(crate) fn event_json(ev: &Event) -> Value {
    match ev {
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
    }
}

/// The JSON line of an error.
pub(crate) fn error_json(e: &FramingError) -> Value {
    json!({ "event": "error", "condition": e.condition().as_str(), "message": e.to_string() })
}

pub(crate) fn run(args: &[String]) -> Exit {
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) => return usage(&format!("xmpp frame: {e}\n{USAGE}")),
    };
    let input = match read_input(o.file.as_deref()) {
        Ok(i) => i,
        Err(e) => return usage(&format!("xmpp frame: {e}")),
    };
    let mut framer = match Framer::with_limits(o.transport, o.limits) {
        Ok(f) => f,
        Err(e) => return usage(&format!("xmpp frame: {e}")),
    };
    for chunk in input.chunks(o.chunk) {
        framer.feed(chunk);
        loop {
            match framer.next_event() {
                Ok(Some(ev)) => {
                    emit(&event_json(&ev));
                    // A peer restarts the stream after STARTTLS or SASL
                    // success (RFC 6120 §4.3.3); on WebSocket TLS is the
                    // socket's, and BOSH restarts with xmpp:restart
                    // instead (`restart_after` knows each transport).
                    let restart = matches!(&ev, Event::Element(e)
                        if e.restart_after(o.transport) != xmpp_stream::Restart::No);
                    if restart {
                        framer.reset();
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    emit(&error_json(&e));
                    return Exit::Invalid;
                }
            }
        }
    }
    match framer.finish() {
        Ok(()) => Exit::Ok,
        Err(e) => {
            emit(&error_json(&e));
            Exit::Invalid
        }
    }
}
