//! The incremental stream framer (RFC 6120 §4 streams, §11 restricted
//! XML; RFC 7395 WebSocket; XEP-0124 BOSH bodies): bytes in, stream
//! header, top-level elements and the close out.

use core::ffi::c_char;

use xmpp_stream::{Event, Framer, FramingError, Transport};

use crate::ffi::{self, guard, guard_value, handle, handle_ref, write_out, xmpp_str};
use crate::status::{Failure, Result, xmpp_status};

/// A transport, as a `uint32_t`: one of the `XMPP_TRANSPORT_*` values.
pub type xmpp_transport = u32;
/// TCP (RFC 6120): one byte stream, any chunking.
pub const XMPP_TRANSPORT_TCP: xmpp_transport = 0;
/// WebSocket (RFC 7395): `<open/>` and `<close/>` of the framing namespace.
pub const XMPP_TRANSPORT_WEBSOCKET: xmpp_transport = 1;
/// BOSH (XEP-0124/XEP-0206) bodies as a client receives them.
pub const XMPP_TRANSPORT_BOSH: xmpp_transport = 2;
/// BOSH request bodies as a connection manager receives them (`rid`
/// required).
pub const XMPP_TRANSPORT_BOSH_REQUESTS: xmpp_transport = 3;

/// The kind of a framer event.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum xmpp_frame_kind {
    /// No event: feed more bytes.
    XMPP_FRAME_NONE = 0,
    /// The stream header (`<stream:stream>`, WebSocket `<open/>`, a BOSH
    /// `<body>`): its attributes are readable.
    XMPP_FRAME_STREAM_OPEN = 1,
    /// A complete top-level element: its name, namespace, attributes and
    /// exact bytes are readable.
    XMPP_FRAME_ELEMENT = 2,
    /// White space between elements (a keepalive, RFC 6120 §4.6.1).
    XMPP_FRAME_WHITESPACE = 3,
    /// The stream's end tag (or WebSocket `<close/>`).
    XMPP_FRAME_STREAM_CLOSE = 4,
    /// An event this version of the header does not name: skip it.
    XMPP_FRAME_OTHER = 5,
}

/// A stream framer. Made by [`xmpp_framer_new`], freed by
/// [`xmpp_framer_free`]. Call order: [`xmpp_framer_feed`], then
/// [`xmpp_framer_next`] until it reports `XMPP_FRAME_NONE`, then feed
/// again; read the current event with the `xmpp_framer_event_*` getters.
#[derive(Debug)]
pub struct xmpp_framer {
    framer: Framer,
    /// The event the last `xmpp_framer_next` returned.
    event: Option<Event>,
    /// The value the last attribute getter returned, when it had to be
    /// unescaped (the getters borrow from here).
    attr: String,
}

pub(crate) fn transport(value: xmpp_transport) -> Result<Transport> {
    Ok(match value {
        XMPP_TRANSPORT_TCP => Transport::Tcp,
        XMPP_TRANSPORT_WEBSOCKET => Transport::WebSocket,
        XMPP_TRANSPORT_BOSH => Transport::Bosh,
        XMPP_TRANSPORT_BOSH_REQUESTS => Transport::BoshRequests,
        other => {
            return Err(Failure::new(
                xmpp_status::XMPP_INVALID_ARGUMENT,
                format!("unknown transport {other}"),
            ));
        }
    })
}

/// A framer error as its RFC 6120 §4.9.3 condition.
pub(crate) fn framing_failure(e: &FramingError) -> Failure {
    Failure::new(xmpp_status::stream(e.condition().as_str()), e.to_string())
}

/// Makes a framer for `transport` (an `XMPP_TRANSPORT_*` value) with the
/// default limits, stored in `*out`.
///
/// Returns `XMPP_OK`, or `XMPP_INVALID_ARGUMENT` for an unknown transport
/// or a null `out`. Ownership: the caller owns the handle and frees it
/// with [`xmpp_framer_free`].
///
/// # Safety
///
/// `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_framer_new(
    transport: xmpp_transport,
    out: *mut *mut xmpp_framer,
) -> xmpp_status {
    guard(|| {
        let t = self::transport(transport)?;
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let h = ffi::into_handle(xmpp_framer {
            framer: Framer::new(t),
            event: None,
            attr: String::new(),
        });
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// Appends `bytes[0..len]` (any chunking, one byte at a time included).
/// Nothing is parsed until [`xmpp_framer_next`]. The current event is
/// dropped. Returns `XMPP_OK` or `XMPP_INVALID_ARGUMENT`. `bytes` is
/// copied; the caller keeps it.
///
/// # Safety
///
/// `framer` is null or a live handle; `bytes` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_framer_feed(
    framer: *mut xmpp_framer,
    bytes: *const u8,
    len: usize,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on framer, bytes and len.
        let (f, b) = unsafe { (handle(framer, "framer")?, ffi::bytes(bytes, len, "bytes")?) };
        f.event = None;
        f.framer.feed(b);
        Ok(())
    })
}

/// Frames the next event and writes its kind to `*kind`:
/// `XMPP_FRAME_NONE` when more bytes are needed. The event stays readable
/// through the `xmpp_framer_event_*` getters until the next call on
/// `framer`.
///
/// Returns `XMPP_OK`; the RFC 6120 §4.9.3 stream condition (such as
/// `XMPP_STREAM_NOT_WELL_FORMED`, `XMPP_STREAM_RESTRICTED_XML`,
/// `XMPP_STREAM_POLICY_VIOLATION`) when the bytes break the stream, which
/// every later call returns again; `XMPP_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `framer` is null or a live handle; `kind` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_framer_next(
    framer: *mut xmpp_framer,
    kind: *mut xmpp_frame_kind,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on framer.
        let f = unsafe { handle(framer, "framer") }?;
        if kind.is_null() {
            return Err(ffi::null("kind"));
        }
        f.event = None;
        let event = f.framer.next_event().map_err(|e| framing_failure(&e))?;
        let k = match &event {
            None => xmpp_frame_kind::XMPP_FRAME_NONE,
            Some(Event::StreamOpen(_)) => xmpp_frame_kind::XMPP_FRAME_STREAM_OPEN,
            Some(Event::Element(_)) => xmpp_frame_kind::XMPP_FRAME_ELEMENT,
            Some(Event::Whitespace) => xmpp_frame_kind::XMPP_FRAME_WHITESPACE,
            Some(Event::StreamClose) => xmpp_frame_kind::XMPP_FRAME_STREAM_CLOSE,
            Some(_) => xmpp_frame_kind::XMPP_FRAME_OTHER,
        };
        f.event = event;
        // SAFETY: the caller's promise on kind.
        unsafe { write_out(kind, k, "kind") }
    })
}

/// Tells the framer that the input ended: `XMPP_OK` when it ended
/// between elements (a stream not closed is fine),
/// `XMPP_STREAM_NOT_WELL_FORMED` when it ended inside one.
///
/// # Safety
///
/// `framer` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_framer_finish(framer: *mut xmpp_framer) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on framer.
        let f = unsafe { handle(framer, "framer") }?;
        f.event = None;
        f.framer.finish().map_err(|e| framing_failure(&e))
    })
}

/// Starts over for a restarted stream (RFC 6120 §4.3.3, after STARTTLS
/// or SASL success): the next bytes must be a new stream header; bytes
/// fed but not consumed are kept. A previous error is forgotten.
///
/// # Safety
///
/// `framer` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_framer_reset(framer: *mut xmpp_framer) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on framer.
        let f = unsafe { handle(framer, "framer") }?;
        f.event = None;
        f.framer.reset();
        Ok(())
    })
}

/// Reads the current event; the absent value when there is none.
///
/// # Safety
///
/// `framer` is null or a live handle.
unsafe fn event_str(
    framer: *const xmpp_framer,
    pick: impl FnOnce(&Event) -> Option<&str>,
) -> xmpp_str {
    guard_value(xmpp_str::NONE, || {
        // SAFETY: the caller's promise on framer.
        let f = unsafe { handle_ref(framer) }?;
        Some(xmpp_str::from_opt(pick(f.event.as_ref()?)))
    })
}

/// The local name of the current stream header or element (`stream`,
/// `message`); the absent value (null pointer) for other events.
///
/// Ownership: borrowed from `framer`, valid until the next call on it.
///
/// # Safety
///
/// `framer` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_framer_event_name(framer: *const xmpp_framer) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        event_str(framer, |e| match e {
            Event::StreamOpen(h) => Some(h.name()),
            Event::Element(el) => Some(el.name()),
            _ => None,
        })
    }
}

/// The resolved namespace of the current stream header or element
/// (`jabber:client`). Ownership as [`xmpp_framer_event_name`].
///
/// # Safety
///
/// `framer` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_framer_event_namespace(framer: *const xmpp_framer) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        event_str(framer, |e| match e {
            Event::StreamOpen(h) => Some(h.namespace()),
            Event::Element(el) => Some(el.namespace()),
            _ => None,
        })
    }
}

/// The exact bytes of the current element, as received (zero-copy
/// forwarding); the absent value for other events. Ownership as
/// [`xmpp_framer_event_name`].
///
/// # Safety
///
/// `framer` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_framer_event_xml(framer: *const xmpp_framer) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        event_str(framer, |e| match e {
            Event::Element(el) => Some(el.xml()),
            _ => None,
        })
    }
}

/// The value of the attribute `name[0..len]` (a qualified name as
/// written, such as `to`, `xml:lang`) of the current stream header or
/// element, unescaped; the absent value when it has none, for other
/// events, or for a name that is not UTF-8.
///
/// Ownership: borrowed from `framer`, valid until the next call on it
/// (this getter included).
///
/// # Safety
///
/// `framer` is null or a live handle; `name` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_framer_event_attr(
    framer: *mut xmpp_framer,
    name: *const c_char,
    len: usize,
) -> xmpp_str {
    guard_value(xmpp_str::NONE, || {
        // SAFETY: the caller's promises on framer, name and len.
        let (f, qname) = unsafe {
            (
                handle(framer, "framer").ok()?,
                ffi::text(name, len, "name").ok()?,
            )
        };
        let value = match f.event.as_ref()? {
            Event::StreamOpen(h) => h.attr(qname)?.to_owned(),
            Event::Element(el) => el.attr(qname)?.into_owned(),
            _ => return None,
        };
        f.attr = value;
        Some(xmpp_str::from(&f.attr))
    })
}

/// Frees a framer; null is ignored. Every string borrowed from it becomes
/// invalid.
///
/// # Safety
///
/// `framer` is null or a live handle, not used again after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_framer_free(framer: *mut xmpp_framer) {
    // SAFETY: the caller's promise on framer.
    unsafe { ffi::free_handle(framer) }
}
