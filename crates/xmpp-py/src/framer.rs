//! `Framer`: incremental framing of an XMPP stream (RFC 6120 §4, §11; RFC
//! 7395; XEP-0124/0206) into event dicts, the shapes `xmpp frame` prints.

use std::collections::VecDeque;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use xmpp_stream::{Event, Limits, Restart, Transport};

use crate::errors::{StreamError, with_attrs};

/// The `StreamError` of a framing error: `condition` is the RFC 6120
/// §4.9.3 condition, `offset` the stream offset when the error has one.
pub(crate) fn stream_error(py: Python<'_>, e: &xmpp_stream::FramingError) -> PyErr {
    with_attrs::<StreamError>(
        py,
        e.to_string(),
        &[(
            "condition",
            PyString::new(py, e.condition().as_str()).into_any(),
        )],
    )
}

/// The transport named as `xmpp frame --transport` names it.
pub(crate) fn transport(name: &str) -> PyResult<Transport> {
    match name {
        "tcp" => Ok(Transport::Tcp),
        "websocket" => Ok(Transport::WebSocket),
        "bosh" => Ok(Transport::Bosh),
        "bosh-requests" => Ok(Transport::BoshRequests),
        t => Err(PyValueError::new_err(format!(
            "unknown transport {t:?}: expected tcp, websocket, bosh or bosh-requests"
        ))),
    }
}

/// The dict of one event, as `xmpp frame` prints it:
/// `{"event": "stream-open", "name", "ns", "attrs"}`,
/// `{"event": "element", "name", "ns", "attrs", "xml"}`,
/// `{"event": "whitespace"}`, `{"event": "stream-close"}`.
pub(crate) fn event_dict<'py>(py: Python<'py>, ev: &Event) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match ev {
        Event::StreamOpen(h) => {
            d.set_item("event", "stream-open")?;
            d.set_item("name", h.name())?;
            d.set_item("ns", h.namespace())?;
            let attrs = PyDict::new(py);
            for (k, v) in h.attributes() {
                attrs.set_item(k, v)?;
            }
            d.set_item("attrs", attrs)?;
        }
        Event::Element(e) => {
            d.set_item("event", "element")?;
            d.set_item("name", e.name())?;
            d.set_item("ns", e.namespace())?;
            let attrs = PyDict::new(py);
            for a in e.attributes() {
                attrs.set_item(a.name(), a.value().as_ref())?;
            }
            d.set_item("attrs", attrs)?;
            d.set_item("xml", e.xml())?;
        }
        Event::Whitespace => d.set_item("event", "whitespace")?,
        Event::StreamClose => d.set_item("event", "stream-close")?,
        _ => d.set_item("event", "unknown")?,
    }
    Ok(d)
}

/// Frames an XMPP stream fed in chunks of any size.
///
/// `feed(data)` frames as far as the bytes go; the events come out of
/// `events()` (a list) or by iterating over the framer. An error ends the
/// stream: once the events before it are out, every call raises the same
/// `StreamError`. After an element that restarts the stream (SASL
/// `<success/>`, STARTTLS `<proceed/>`: RFC 6120 §4.3.3) framing pauses
/// until `restart()`, or restarts by itself with `auto_restart=True`.
#[pyclass(module = "xmpp_primitives")]
pub(crate) struct Framer {
    framer: xmpp_stream::Framer,
    /// Events framed and not yet handed out.
    queue: VecDeque<Event>,
    /// The error that ended the stream, raised once the queue is empty.
    failed: Option<xmpp_stream::FramingError>,
    /// An element that restarts the stream was framed: nothing more is
    /// framed until `restart()`.
    paused: bool,
    auto_restart: bool,
}

impl Framer {
    /// Frames what the buffer holds, up to an error or a restart.
    fn drain(&mut self) {
        while !self.paused && self.failed.is_none() {
            match self.framer.next_event() {
                Ok(Some(ev)) => {
                    let restart = matches!(&ev, Event::Element(e)
                        if e.restart_after(self.framer.transport()) != Restart::No);
                    self.queue.push_back(ev);
                    if restart {
                        if self.auto_restart {
                            self.framer.reset();
                        } else {
                            self.paused = true;
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => self.failed = Some(e),
            }
        }
    }

    /// The error to raise now: the stream's, once the queue is empty.
    fn pending_error(&self, py: Python<'_>) -> Option<PyErr> {
        match &self.failed {
            Some(e) if self.queue.is_empty() => Some(stream_error(py, e)),
            _ => None,
        }
    }
}

#[pymethods]
impl Framer {
    /// A framer for `transport` (`tcp`, `websocket`, `bosh`,
    /// `bosh-requests`); `max_stanza` bounds a top-level element in bytes
    /// (default 256 KiB, as `xmpp frame --max-stanza`).
    #[new]
    #[pyo3(signature = (transport = "tcp", *, max_stanza = None, auto_restart = false))]
    fn new(transport: &str, max_stanza: Option<usize>, auto_restart: bool) -> PyResult<Self> {
        let t = self::transport(transport)?;
        let mut limits = Limits::default();
        if let Some(n) = max_stanza {
            limits = limits.with_max_element_bytes(n);
        }
        let framer = xmpp_stream::Framer::with_limits(t, limits)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Self {
            framer,
            queue: VecDeque::new(),
            failed: None,
            paused: false,
            auto_restart,
        })
    }

    /// Feeds received bytes and frames them.
    fn feed(&mut self, data: &[u8]) {
        self.framer.feed(data);
        self.drain();
    }

    /// Frames one WebSocket message (RFC 7395 §3.3.3: exactly one element)
    /// and returns its event; raises `StreamError`.
    fn feed_message<'py>(
        &mut self,
        py: Python<'py>,
        message: &[u8],
    ) -> PyResult<Bound<'py, PyDict>> {
        if let Some(e) = &self.failed {
            return Err(stream_error(py, e));
        }
        match self.framer.feed_message(message) {
            Ok(ev) => event_dict(py, &ev),
            Err(e) => {
                let err = stream_error(py, &e);
                self.failed = Some(e);
                Err(err)
            }
        }
    }

    /// Every event framed so far, as dicts; raises `StreamError` when the
    /// stream failed (its `events` attribute holds the events framed
    /// before the error).
    fn events<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        while let Some(ev) = self.queue.pop_front() {
            list.append(event_dict(py, &ev)?)?;
        }
        if let Some(e) = &self.failed {
            let err = stream_error(py, e);
            err.value(py).setattr("events", list)?;
            return Err(err);
        }
        Ok(list)
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next event, or the end of iteration when more bytes are needed.
    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        if let Some(err) = self.pending_error(py) {
            return Err(err);
        }
        self.queue
            .pop_front()
            .map(|ev| event_dict(py, &ev))
            .transpose()
    }

    /// Starts over for a restarted stream (RFC 6120 §4.3.3): the next bytes
    /// must be a new stream header; bytes fed but not framed are kept as
    /// its start (call `take_unconsumed()` first when they are TLS data).
    fn restart(&mut self) {
        self.framer.reset();
        self.failed = None;
        self.paused = false;
        self.drain();
    }

    /// Whether framing waits for `restart()` after a restarting element.
    #[getter]
    fn awaiting_restart(&self) -> bool {
        self.paused
    }

    /// The bytes fed but not consumed by an event.
    fn unconsumed<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.framer.unconsumed())
    }

    /// Takes the bytes fed but not consumed (after `<proceed/>`, the first
    /// TLS records).
    fn take_unconsumed<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.framer.take_unconsumed())
    }

    /// Bytes of the stream consumed so far (the offsets errors count in).
    #[getter]
    fn consumed(&self) -> u64 {
        self.framer.consumed()
    }

    /// Tells the framer the input ended; raises `StreamError` when it ended
    /// inside a header or an element.
    fn finish(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Some(e) = &self.failed {
            return Err(stream_error(py, e));
        }
        self.framer.finish().map_err(|e| stream_error(py, &e))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Framer>()
}
