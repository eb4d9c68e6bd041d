//! The c2s client machine of `xmpp-session` (RFC 6120 negotiation,
//! SASL, resource binding, XEP-0198) behind a handle. The C program is
//! the driver: it moves bytes between the handle and its socket, passes
//! time in milliseconds, and runs TLS when told to.

use core::ffi::c_char;

use xmpp_jid::{BareJid, Jid};
use xmpp_session::{Client, ClientConfig, ClientEvent, Instant, Seed};
use xmpp_stanza::{Message, Stanza, StanzaNs};

use crate::ffi::{self, guard, guard_value, handle, handle_ref, write_out, xmpp_bytes, xmpp_str};
use crate::framer::xmpp_transport;
use crate::resume::xmpp_resumption;
use crate::session::{
    Secret, StanzaView, parse_stanza, session_failure, stanza_list, tls_info, tls_policy,
    transport, xmpp_channel_binding, xmpp_tls_policy, xmpp_tls_version,
};
use crate::status::{Failure, Result, xmpp_status};
// Entry points of other files, for the doc links (which are the
// header's comments too).
#[cfg(doc)]
#[allow(unused_imports, reason = "only the doc links use them")]
use crate::{
    xmpp_client_config_set_fast_token, xmpp_client_config_set_resume, xmpp_client_event_body,
    xmpp_client_event_bytes, xmpp_client_event_count, xmpp_client_event_detail,
    xmpp_client_event_flag, xmpp_client_event_from, xmpp_client_event_stanza,
    xmpp_client_event_text, xmpp_client_event_token, xmpp_client_event_xml, xmpp_resumption_free,
};

/// The kind of a client event ([`xmpp_client_poll_event`]).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum xmpp_client_event {
    /// No event.
    XMPP_CLIENT_EVENT_NONE = 0,
    /// Start TLS now: flush the transmits, run the TLS handshake (first
    /// feeding it [`xmpp_client_event_bytes`]), then call
    /// [`xmpp_client_tls_established`].
    XMPP_CLIENT_EVENT_START_TLS = 1,
    /// SASL succeeded and the server was verified;
    /// [`xmpp_client_event_text`] is the mechanism name,
    /// [`xmpp_client_event_detail`] the channel-binding type of a `-PLUS`
    /// mechanism (`tls-exporter`, `tls-server-end-point`, `tls-unique`).
    XMPP_CLIENT_EVENT_AUTHENTICATED = 2,
    /// A resource is bound (RFC 6120 §7): stanzas may flow;
    /// [`xmpp_client_event_text`] is the full JID.
    XMPP_CLIENT_EVENT_BOUND = 3,
    /// XEP-0198 is on; [`xmpp_client_event_flag`] says whether the server
    /// allows resuming.
    XMPP_CLIENT_EVENT_SM_ENABLED = 4,
    /// The previous session was resumed (XEP-0198 §5);
    /// [`xmpp_client_event_text`] is the full JID,
    /// [`xmpp_client_event_count`] how many stanzas were sent again.
    XMPP_CLIENT_EVENT_RESUMED = 5,
    /// The server refused to resume; a new resource is being bound. The
    /// stanzas of the old session never acknowledged are listed
    /// ([`xmpp_client_event_count`], [`xmpp_client_event_stanza`]): send
    /// them again or report them undelivered; [`xmpp_client_event_text`]
    /// is the `<failed/>` condition, when the server gave one.
    XMPP_CLIENT_EVENT_RESUME_FAILED = 6,
    /// A stanza from the server: [`xmpp_client_event_xml`],
    /// [`xmpp_client_event_from`], [`xmpp_client_event_body`].
    XMPP_CLIENT_EVENT_STANZA = 7,
    /// The server acknowledged stanzas (XEP-0198 §4), listed oldest first
    /// ([`xmpp_client_event_count`], [`xmpp_client_event_stanza`]).
    XMPP_CLIENT_EVENT_ACKED = 8,
    /// The server sent a stream error; [`xmpp_client_event_text`] is its
    /// condition. The stream is closed.
    XMPP_CLIENT_EVENT_STREAM_ERROR = 9,
    /// The stream is over: flush the transmits, then close the transport;
    /// [`xmpp_client_event_flag`] says whether it may be resumed.
    XMPP_CLIENT_EVENT_CLOSED = 10,
    /// An event this version of the header does not name: skip it. (Kinds
    /// are added after it as the ABI grows: treat any unknown value so.)
    XMPP_CLIENT_EVENT_OTHER = 11,
    /// The server issued a XEP-0484 FAST token (asked for, or rotated):
    /// [`xmpp_client_event_text`] is the HT mechanism,
    /// [`xmpp_client_event_token`] the secret, [`xmpp_client_event_detail`]
    /// the expiry (XEP-0082 DateTime). Store them (count 0) for
    /// [`xmpp_client_config_set_fast_token`].
    XMPP_CLIENT_EVENT_TOKEN_ISSUED = 12,
    /// The server refused the FAST token: forget it. The client goes on
    /// with the password, if it has one.
    XMPP_CLIENT_EVENT_TOKEN_REJECTED = 13,
}

/// What the current event exposes.
#[derive(Debug, Default)]
pub(crate) struct Current {
    pub(crate) text: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) stanza: StanzaView,
    pub(crate) bytes: Vec<u8>,
    pub(crate) flag: bool,
    /// The XML of the stanzas the event lists.
    pub(crate) stanzas: Vec<String>,
    /// The stanzas listed, or (`RESUMED`) sent again.
    pub(crate) count: usize,
    pub(crate) token: Secret,
}

/// A c2s client connection without I/O. Made by [`xmpp_client_new`],
/// freed by [`xmpp_client_free`].
///
/// Call order (the loop of a driver): write every
/// [`xmpp_client_poll_transmit`] to the socket; handle every
/// [`xmpp_client_poll_event`]; wait for bytes or for
/// [`xmpp_client_poll_timeout`]; pass bytes to
/// [`xmpp_client_handle_input`] and expired timers to
/// [`xmpp_client_handle_timeout`]. After `XMPP_CLIENT_EVENT_BOUND`, send
/// stanzas. [`xmpp_client_close`] ends the stream;
/// `XMPP_CLIENT_EVENT_CLOSED` says when to close the socket. A fatal error
/// is returned by every later call, after the stream error it implies was
/// queued for transmission.
#[derive(Debug)]
pub struct xmpp_client {
    client: Client,
    /// The bytes the last poll_transmit returned.
    transmit: Vec<u8>,
    pub(crate) current: Current,
}

/// Makes a client for the account `jid[0..jid_len]` (a bare JID,
/// `alice@example.com`) with `password[0..password_len]`, which opens
/// its stream at `now_ms` (milliseconds on the driver's monotonic clock).
/// `seed` points to 32 random bytes (from a CSPRNG: the stream's SCRAM
/// nonces and resource come from them). `tls` is an `XMPP_TLS_POLICY_*`,
/// `transport` `XMPP_TRANSPORT_TCP` or `XMPP_TRANSPORT_WEBSOCKET`.
///
/// Returns `XMPP_OK`; `XMPP_STANZA_JID_MALFORMED` for a JID that is not a
/// bare JID; `XMPP_INVALID_UTF8`; `XMPP_INVALID_ARGUMENT` (a null seed, an
/// unknown policy or transport).
///
/// Ownership: the caller owns `*out` and frees it with
/// [`xmpp_client_free`]; the arguments are copied.
///
/// # Safety
///
/// `jid` and `password` point to their lengths' readable bytes (or the
/// length is 0); `seed` is null or points to 32 readable bytes; `out` is
/// null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_new(
    jid: *const c_char,
    jid_len: usize,
    password: *const c_char,
    password_len: usize,
    seed: *const u8,
    now_ms: u64,
    tls: xmpp_tls_policy,
    transport: xmpp_transport,
    out: *mut *mut xmpp_client,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on each pointer and length.
        let (jid, password, seed) = unsafe {
            (
                ffi::text(jid, jid_len, "jid")?,
                ffi::text(password, password_len, "password")?,
                ffi::seed(seed)?,
            )
        };
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let config = ClientConfig::new(account(jid)?, password)
            .tls(tls_policy(tls)?)
            .transport(self::transport(transport)?);
        let h = new_handle(config, seed, now_ms);
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// The account of a client: a bare JID (`XMPP_STANZA_JID_MALFORMED`
/// otherwise, with the JID rule as the kind).
pub(crate) fn account(jid: &str) -> Result<BareJid> {
    BareJid::new(jid).map_err(|e| {
        Failure::new(xmpp_status::XMPP_STANZA_JID_MALFORMED, e.to_string()).with_kind(e.kind())
    })
}

/// A client handle for C, opening its stream at `now_ms`.
pub(crate) fn new_handle(config: ClientConfig, seed: [u8; 32], now_ms: u64) -> *mut xmpp_client {
    let client = Client::new(config, Seed::new(seed), Instant::from_millis(now_ms));
    ffi::into_handle(xmpp_client {
        client,
        transmit: Vec::new(),
        current: Current::default(),
    })
}

/// Runs a command on a client handle.
///
/// # Safety
///
/// `client` is null or a live handle.
unsafe fn with_client(
    client: *mut xmpp_client,
    body: impl FnOnce(&mut xmpp_client) -> Result,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on client.
        let c = unsafe { handle(client, "client") }?;
        body(c)
    })
}

/// Passes bytes received from the server, `bytes[0..len]` (any chunking
/// over TCP; one message per call over WebSocket). Returns `XMPP_OK` or
/// the fatal error (the RFC condition: `XMPP_STREAM_*` for a stream the
/// server broke or closed with an error, `XMPP_SASL_*` for a failed
/// authentication, `XMPP_STANZA_*` for a failed bind).
///
/// # Safety
///
/// `client` is null or a live handle; `bytes` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_handle_input(
    client: *mut xmpp_client,
    bytes: *const u8,
    len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promises on bytes and len.
    let input = unsafe { ffi::bytes(bytes, len, "bytes") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            c.client
                .handle_input(input?)
                .map_err(|e| session_failure(&e))
        })
    }
}

/// The next bytes to send, in `*out` (`ptr` null when there are none):
/// over TCP everything queued, over WebSocket one message. Call it until
/// it gives none. Ownership: borrowed from `client`, valid until the next
/// call on it.
///
/// # Safety
///
/// `client` is null or a live handle; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_poll_transmit(
    client: *mut xmpp_client,
    out: *mut xmpp_bytes,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            if out.is_null() {
                return Err(ffi::null("out"));
            }
            let view = match c.client.poll_transmit() {
                Some(bytes) => {
                    c.transmit = bytes;
                    xmpp_bytes::from(&c.transmit)
                }
                None => {
                    c.transmit.clear();
                    xmpp_bytes::NONE
                }
            };
            // The caller's promise on out covers this write (in the
            // unsafe block around the closure).
            write_out(out, view, "out")
        })
    }
}

/// The next event's kind in `*kind` (`XMPP_CLIENT_EVENT_NONE` when there
/// is none). The event stays readable through the
/// `xmpp_client_event_*` getters until the next poll or free.
///
/// # Safety
///
/// `client` is null or a live handle; `kind` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_poll_event(
    client: *mut xmpp_client,
    kind: *mut xmpp_client_event,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            if kind.is_null() {
                return Err(ffi::null("kind"));
            }
            let mut cur = Current::default();
            let k = match c.client.poll_event() {
                None => xmpp_client_event::XMPP_CLIENT_EVENT_NONE,
                Some(event) => match event {
                    ClientEvent::StartTls { tls_bytes } => {
                        cur.bytes = tls_bytes;
                        xmpp_client_event::XMPP_CLIENT_EVENT_START_TLS
                    }
                    ClientEvent::Authenticated {
                        mechanism,
                        channel_binding,
                    } => {
                        cur.text = Some(mechanism.name().to_owned());
                        cur.detail = channel_binding.map(|t| t.name().to_owned());
                        xmpp_client_event::XMPP_CLIENT_EVENT_AUTHENTICATED
                    }
                    ClientEvent::Bound { jid } => {
                        cur.text = Some(jid.as_str().to_owned());
                        xmpp_client_event::XMPP_CLIENT_EVENT_BOUND
                    }
                    ClientEvent::SmEnabled { resumable } => {
                        cur.flag = resumable;
                        xmpp_client_event::XMPP_CLIENT_EVENT_SM_ENABLED
                    }
                    ClientEvent::Resumed { jid, resent } => {
                        cur.text = Some(jid.as_str().to_owned());
                        cur.count = resent;
                        xmpp_client_event::XMPP_CLIENT_EVENT_RESUMED
                    }
                    ClientEvent::ResumeFailed { unacked, condition } => {
                        cur.text = condition.map(|c| c.as_str().to_owned());
                        cur.stanzas = stanza_list(&unacked);
                        cur.count = cur.stanzas.len();
                        xmpp_client_event::XMPP_CLIENT_EVENT_RESUME_FAILED
                    }
                    ClientEvent::TokenIssued {
                        mechanism,
                        token,
                        expiry,
                    } => {
                        cur.text = Some(mechanism.name().to_owned());
                        cur.detail = Some(expiry);
                        cur.token = Secret(token);
                        xmpp_client_event::XMPP_CLIENT_EVENT_TOKEN_ISSUED
                    }
                    ClientEvent::TokenRejected => {
                        xmpp_client_event::XMPP_CLIENT_EVENT_TOKEN_REJECTED
                    }
                    ClientEvent::Stanza(stanza) => {
                        cur.stanza = StanzaView::of(&stanza);
                        xmpp_client_event::XMPP_CLIENT_EVENT_STANZA
                    }
                    ClientEvent::Acked(stanzas) => {
                        cur.stanzas = stanza_list(&stanzas);
                        cur.count = cur.stanzas.len();
                        xmpp_client_event::XMPP_CLIENT_EVENT_ACKED
                    }
                    ClientEvent::StreamError(e) => {
                        cur.text = Some(e.condition.as_str().to_owned());
                        xmpp_client_event::XMPP_CLIENT_EVENT_STREAM_ERROR
                    }
                    ClientEvent::Closed { resumable } => {
                        cur.flag = resumable;
                        xmpp_client_event::XMPP_CLIENT_EVENT_CLOSED
                    }
                    _ => xmpp_client_event::XMPP_CLIENT_EVENT_OTHER,
                },
            };
            c.current = cur;
            // The caller's promise on kind covers this write (in the
            // unsafe block around the closure).
            write_out(kind, k, "kind")
        })
    }
}

/// When the machine next needs [`xmpp_client_handle_timeout`], in
/// `*deadline_ms` (the driver's clock); `UINT64_MAX` when no timer runs.
///
/// # Safety
///
/// `client` is null or a live handle; `deadline_ms` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_poll_timeout(
    client: *mut xmpp_client,
    deadline_ms: *mut u64,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            let at = c.client.poll_timeout().map_or(u64::MAX, Instant::as_millis);
            // The caller's promise on deadline_ms covers this write (in
            // the unsafe block around the closure).
            write_out(deadline_ms, at, "deadline_ms")
        })
    }
}

/// Tells the machine the time is `now_ms` (keepalives, pings, the
/// timeout of a silent server: `XMPP_STREAM_CONNECTION_TIMEOUT`).
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_handle_timeout(
    client: *mut xmpp_client,
    now_ms: u64,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            c.client
                .handle_timeout(Instant::from_millis(now_ms))
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Reports the established TLS channel after `START_TLS`: `version` an
/// `XMPP_TLS_VERSION_*`, and the channel-binding data the TLS layer gives
/// (`binding` an `XMPP_CHANNEL_BINDING_*`, `data[0..len]`; NONE with no
/// data), for `-PLUS` mechanisms. `data` is copied.
///
/// # Safety
///
/// `client` is null or a live handle; `data` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_tls_established(
    client: *mut xmpp_client,
    version: xmpp_tls_version,
    binding: xmpp_channel_binding,
    data: *const u8,
    len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promises on data and len.
    let data = unsafe { ffi::bytes(data, len, "data") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            let info = tls_info(version, binding, data?)?;
            c.client
                .tls_established(info)
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Sends a chat message with `body[0..body_len]` to `to[0..to_len]`.
/// Returns `XMPP_OK`; `XMPP_WRONG_PHASE` before `BOUND`;
/// `XMPP_STANZA_JID_MALFORMED` for a bad `to`; `XMPP_QUEUE_FULL`.
///
/// # Safety
///
/// `client` is null or a live handle; `to` and `body` point to their
/// lengths' readable bytes (or the length is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_send_message(
    client: *mut xmpp_client,
    to: *const c_char,
    to_len: usize,
    body: *const c_char,
    body_len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promises on to, body and their lengths.
    let args = unsafe {
        (
            ffi::text(to, to_len, "to"),
            ffi::text(body, body_len, "body"),
        )
    };
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            let (to, body) = (args.0?, args.1?);
            let to = Jid::new(to).map_err(|e| {
                Failure::new(xmpp_status::XMPP_STANZA_JID_MALFORMED, e.to_string())
                    .with_kind(e.kind())
            })?;
            let message = Message::chat(StanzaNs::Client, to, body);
            c.client
                .send(Stanza::Message(message))
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Sends one stanza given as XML, `xml[0..len]` (a `<message/>`,
/// `<presence/>` or `<iq/>` in `jabber:client`). Returns `XMPP_OK`;
/// `XMPP_INVALID_INPUT` for XML that is not one stanza;
/// `XMPP_WRONG_PHASE` before `BOUND`; `XMPP_QUEUE_FULL`.
///
/// # Safety
///
/// `client` is null or a live handle; `xml` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_send_xml(
    client: *mut xmpp_client,
    xml: *const u8,
    len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promises on xml and len.
    let xml = unsafe { ffi::bytes(xml, len, "xml") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            let stanza = parse_stanza(xml?)?;
            c.client.send(stanza).map_err(|e| session_failure(&e))
        })
    }
}

/// Closes the stream (RFC 6120 §4.4): the close tag is queued; wait for
/// `XMPP_CLIENT_EVENT_CLOSED`.
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_close(client: *mut xmpp_client) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            c.client.close().map_err(|e| session_failure(&e))
        })
    }
}

/// Tells the machine the transport ended (the socket closed or failed).
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_connection_lost(client: *mut xmpp_client) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            c.client.connection_lost();
            Ok(())
        })
    }
}

/// Whether the stream is closed (true for a null handle).
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_is_closed(client: *const xmpp_client) -> bool {
    guard_value(true, || {
        // SAFETY: the caller's promise on client.
        let c = unsafe { handle_ref(client) }?;
        Some(c.client.is_closed())
    })
}

/// The bound full JID, absent before binding. Borrowed from `client`,
/// valid until the next call on it.
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_jid(client: *const xmpp_client) -> xmpp_str {
    guard_value(xmpp_str::NONE, || {
        // SAFETY: the caller's promise on client.
        let c = unsafe { handle_ref(client) }?;
        Some(xmpp_str::from_opt(c.client.jid().map(|j| j.as_str())))
    })
}

/// Takes the XEP-0198 resumption state once the stream is over
/// (`XMPP_CLIENT_EVENT_CLOSED` with the flag set, or after
/// [`xmpp_client_connection_lost`]), for
/// [`xmpp_client_config_set_resume`]
/// on the next connection. `*out` is null when there is none to resume
/// (no stream management, the server allowed no resumption, or the state
/// was taken already).
///
/// Returns `XMPP_OK`; `XMPP_INVALID_ARGUMENT` (null handle or out).
///
/// Ownership: the caller owns a non-null `*out` and frees it with
/// [`xmpp_resumption_free`].
///
/// # Safety
///
/// `client` is null or a live handle; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_take_resumption(
    client: *mut xmpp_client,
    out: *mut *mut xmpp_resumption,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_client(client, |c| {
            if out.is_null() {
                return Err(ffi::null("out"));
            }
            let h = match c.client.take_resumption_state() {
                Some(state) => xmpp_resumption::new(state)?,
                None => core::ptr::null_mut(),
            };
            // The caller's promise on out covers this write (in the
            // unsafe block around the closure).
            write_out(out, h, "out")
        })
    }
}

/// Frees a client; null is ignored. Nothing is sent: close first for a
/// clean end.
///
/// # Safety
///
/// `client` is null or a live handle, not used again after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_free(client: *mut xmpp_client) {
    // SAFETY: the caller's promise on client.
    unsafe { ffi::free_handle(client) }
}
