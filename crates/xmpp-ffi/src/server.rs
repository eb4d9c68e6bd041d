//! The c2s server machine of `xmpp-session` behind a handle: features
//! per phase and policy, SASL with the application's credentials,
//! resource binding, stanzas typed and `from`-stamped (RFC 6120
//! §8.1.2.1), XEP-0198. The application answers the machine's requests
//! (credentials, binding, resumption) with commands.

use core::ffi::c_char;

use std::sync::Arc;
use xmpp_sasl::{FastSlot, FastTokenSlot, Hash, Mechanism, ServerSecret};
use xmpp_session::{Instant, Seed, Server, ServerConfig, ServerEvent};

use crate::ffi::{self, guard, guard_value, handle, handle_ref, write_out, xmpp_bytes, xmpp_str};
use crate::framer::xmpp_transport;
use crate::session::{
    StanzaView, parse_stanza, session_failure, stanza_list, tls_info, tls_policy, transport,
    xmpp_channel_binding, xmpp_tls_policy, xmpp_tls_version,
};
use crate::status::{Failure, Result, xmpp_status};
// Entry points of other files, for the doc links (which are the
// header's comments too).
#[cfg(doc)]
#[allow(unused_imports, reason = "only the doc links use them")]
use crate::{
    xmpp_client_tls_established, xmpp_resumption_id, xmpp_server_accept_bind,
    xmpp_server_accept_resume, xmpp_server_accept_token_use, xmpp_server_config_set_fast,
    xmpp_server_decline_token, xmpp_server_event_body, xmpp_server_event_client_device,
    xmpp_server_event_client_id, xmpp_server_event_client_software, xmpp_server_event_count,
    xmpp_server_event_detail, xmpp_server_event_fast_count, xmpp_server_event_fast_invalidate,
    xmpp_server_event_fast_new_slot, xmpp_server_event_flag, xmpp_server_event_from,
    xmpp_server_event_stanza, xmpp_server_event_text, xmpp_server_event_xml,
    xmpp_server_issue_token, xmpp_server_provide_new_token, xmpp_server_provide_password,
    xmpp_server_provide_stored, xmpp_server_provide_token, xmpp_server_refuse_token_use,
    xmpp_server_reject_bind, xmpp_server_reject_resume, xmpp_server_reject_resume_timed_out,
    xmpp_server_take_resumption, xmpp_server_unknown_user,
};

/// The salt length and iteration count of the accounts the fake
/// exchange of unknown users imitates (RFC 5802 §5.1).
const SALT_LEN: usize = 16;
const ITERATIONS: u32 = 4096;

/// The mechanisms offered for the accounts' passwords: SCRAM-SHA-256
/// (its `-PLUS` form when the TLS layer gives binding data) and PLAIN
/// (only under TLS).
pub(crate) const PASSWORD_MECHANISMS: [Mechanism; 3] = [
    Mechanism::Scram {
        hash: Hash::Sha256,
        plus: true,
    },
    Mechanism::Scram {
        hash: Hash::Sha256,
        plus: false,
    },
    Mechanism::Plain,
];

/// The kind of a server event ([`xmpp_server_poll_event`]).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum xmpp_server_event {
    /// No event.
    XMPP_SERVER_EVENT_NONE = 0,
    /// Start TLS now (after `<proceed/>` was flushed, or first with direct
    /// TLS), then call [`xmpp_server_tls_established`].
    XMPP_SERVER_EVENT_START_TLS = 1,
    /// Look up the user [`xmpp_server_event_text`] (the prepared
    /// username; [`xmpp_server_event_detail`] is the mechanism;
    /// [`xmpp_server_event_client_id`] the SASL2 client's id, whose
    /// tokens a FAST login uses) and answer
    /// with [`xmpp_server_provide_password`],
    /// [`xmpp_server_provide_stored`] or [`xmpp_server_unknown_user`].
    /// With a XEP-0484 FAST token (an `HT-*` mechanism;
    /// [`xmpp_server_event_flag`] is set and
    /// [`xmpp_server_event_fast_count`] gives the client's `count`, not
    /// yet verified), answer [`xmpp_server_provide_token`] with the token
    /// issued to the user, the highest count recorded for it and its
    /// expiry. Record nothing yet: see `TOKEN_USED`.
    XMPP_SERVER_EVENT_CREDENTIALS_REQUEST = 2,
    /// The client authenticated as the bare JID [`xmpp_server_event_text`]
    /// with the mechanism [`xmpp_server_event_detail`] (with a FAST token,
    /// after `TOKEN_USED` was accepted).
    XMPP_SERVER_EVENT_AUTHENTICATED = 3,
    /// The client asks to bind a resource: [`xmpp_server_event_text`] is
    /// the requested one (absent when it asked the server to choose),
    /// [`xmpp_server_event_detail`] a suggestion. Answer with
    /// [`xmpp_server_accept_bind`] or [`xmpp_server_reject_bind`].
    XMPP_SERVER_EVENT_BIND_REQUEST = 4,
    /// A resource is bound: the full JID [`xmpp_server_event_text`]. For a
    /// resumed session (XEP-0198 §5) [`xmpp_server_event_flag`] is set
    /// and [`xmpp_server_event_count`] says how many unacknowledged
    /// stanzas were sent again.
    XMPP_SERVER_EVENT_BOUND = 5,
    /// The client asks to resume the XEP-0198 session whose SM-ID is
    /// [`xmpp_server_event_text`]: answer [`xmpp_server_accept_resume`]
    /// with the state that session left
    /// ([`xmpp_server_take_resumption`], kept under its
    /// [`xmpp_resumption_id`]), or
    /// [`xmpp_server_reject_resume`] when there is none.
    XMPP_SERVER_EVENT_RESUME_REQUEST = 6,
    /// The client asks for a XEP-0484 FAST token for the HT mechanism
    /// [`xmpp_server_event_detail`] (only offered with
    /// [`xmpp_server_config_set_fast`]):
    /// answer [`xmpp_server_issue_token`] with a fresh random token the
    /// application keeps for the account, or [`xmpp_server_decline_token`].
    XMPP_SERVER_EVENT_TOKEN_REQUEST = 7,
    /// XEP-0198 is on for this stream.
    XMPP_SERVER_EVENT_SM_ENABLED = 8,
    /// A stanza from the client, typed and with `from` stamped:
    /// [`xmpp_server_event_xml`], [`xmpp_server_event_from`],
    /// [`xmpp_server_event_body`].
    XMPP_SERVER_EVENT_STANZA = 9,
    /// The client acknowledged stanzas (XEP-0198 §4), listed oldest first
    /// ([`xmpp_server_event_count`], [`xmpp_server_event_stanza`]).
    XMPP_SERVER_EVENT_ACKED = 10,
    /// The client sent a stream error ([`xmpp_server_event_text`]: its
    /// condition).
    XMPP_SERVER_EVENT_STREAM_ERROR = 11,
    /// Stanzas sent to the client were never acknowledged and the session
    /// ended unresumed: report them undelivered (listed as `ACKED` lists
    /// its stanzas).
    XMPP_SERVER_EVENT_UNDELIVERED = 12,
    /// The stream is over: flush the transmits, then close the transport.
    XMPP_SERVER_EVENT_CLOSED = 13,
    /// An event this version of the header does not name: skip it.
    XMPP_SERVER_EVENT_OTHER = 14,
    /// A XEP-0484 FAST token of the account [`xmpp_server_event_text`]
    /// (mechanism [`xmpp_server_event_detail`]) is proven; the client
    /// hears nothing until the answer. In one step (one lock, one
    /// transaction): when [`xmpp_server_event_fast_count`] is no longer
    /// above the highest count recorded for the token (another
    /// connection used it meanwhile) or the token is gone, answer
    /// [`xmpp_server_refuse_token_use`]; otherwise record the count (or
    /// drop the client's tokens when [`xmpp_server_event_fast_invalidate`]
    /// is true, XEP-0484 §3.6), move the token into the client's
    /// `current` slot when [`xmpp_server_event_fast_new_slot`] says it was
    /// the `new` one (XEP-0484 §5.1), and answer
    /// [`xmpp_server_accept_token_use`]. A failed attempt never gets here,
    /// so a forged count changes nothing.
    XMPP_SERVER_EVENT_TOKEN_USED = 15,
    /// An authentication attempt failed with the SASL condition
    /// [`xmpp_server_event_text`] (RFC 6120 §6.5): count it, per account
    /// or address, to slow password guessing.
    XMPP_SERVER_EVENT_AUTH_FAILED = 16,
}

#[derive(Debug, Default)]
pub(crate) struct Current {
    pub(crate) text: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) stanza: StanzaView,
    pub(crate) bytes: Vec<u8>,
    pub(crate) flag: bool,
    /// The XML of the stanzas the event lists.
    pub(crate) stanzas: Vec<String>,
    /// The stanzas listed, or (a resumption's `BOUND`) sent again.
    pub(crate) count: usize,
    /// The FAST `count` of a `CREDENTIALS_REQUEST` or `TOKEN_USED`.
    pub(crate) fast_count: Option<u64>,
    /// The FAST `invalidate` of a `TOKEN_USED`.
    pub(crate) fast_invalidate: bool,
    /// A `TOKEN_USED` whose token was in the client's `new` slot.
    pub(crate) fast_new_slot: bool,
    /// The SASL2 user agent's id of a `CREDENTIALS_REQUEST`.
    pub(crate) client_id: Option<String>,
    /// Its software and device names.
    pub(crate) client_software: Option<String>,
    pub(crate) client_device: Option<String>,
}

/// A c2s server connection without I/O. Made by [`xmpp_server_new`],
/// freed by [`xmpp_server_free`]. The call order is the client's (see
/// `xmpp_client`), with the requests answered as they come.
#[derive(Debug)]
pub struct xmpp_server {
    pub(crate) server: Server,
    transmit: Vec<u8>,
    pub(crate) current: Current,
    /// The mechanism of the pending credentials request.
    pub(crate) mechanism: Option<Mechanism>,
    /// The XEP-0484 `count` of the pending credentials request, when it
    /// uses a FAST token: the replay check of
    /// [`xmpp_server_provide_token`] needs it.
    pub(crate) fast_count: Option<u64>,
    /// The client's `new` token slot for the next
    /// [`xmpp_server_provide_token`] ([`xmpp_server_provide_new_token`]).
    pub(crate) new_slot: Option<FastTokenSlot>,
}

/// Makes a server connection for `domain[0..domain_len]` that starts at
/// `now_ms`. It offers SCRAM-SHA-256 (and SCRAM-SHA-256-PLUS when the
/// TLS layer gives binding data; PLAIN only under TLS): the accounts are
/// kept as SCRAM-SHA-256 keys with a 16-byte salt and 4096 iterations,
/// which `secret[0..secret_len]` (at least 16 random bytes kept across
/// restarts) imitates for unknown users. `seed` points to 32 random bytes;
/// `tls` is an `XMPP_TLS_POLICY_*`, `transport` `XMPP_TRANSPORT_TCP` or
/// `XMPP_TRANSPORT_WEBSOCKET`.
///
/// Returns `XMPP_OK`; `XMPP_INVALID_INPUT` for a short secret;
/// `XMPP_INVALID_UTF8`; `XMPP_INVALID_ARGUMENT`.
///
/// Ownership: the caller owns `*out` and frees it with
/// [`xmpp_server_free`]; the arguments are copied.
///
/// # Safety
///
/// `domain` and `secret` point to their lengths' readable bytes (or the
/// length is 0); `seed` is null or points to 32 readable bytes; `out` is
/// null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_new(
    domain: *const c_char,
    domain_len: usize,
    secret: *const u8,
    secret_len: usize,
    seed: *const u8,
    now_ms: u64,
    tls: xmpp_tls_policy,
    transport: xmpp_transport,
    out: *mut *mut xmpp_server,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on each pointer and length.
        let (domain, secret, seed) = unsafe {
            (
                ffi::text(domain, domain_len, "domain")?,
                ffi::bytes(secret, secret_len, "secret")?,
                ffi::seed(seed)?,
            )
        };
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let config = base_config(domain, secret, tls, transport)?;
        let h = new_handle(Arc::new(config), seed, now_ms);
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// The configuration [`xmpp_server_new`] describes.
pub(crate) fn base_config(
    domain: &str,
    secret: &[u8],
    tls: xmpp_tls_policy,
    transport: xmpp_transport,
) -> Result<ServerConfig> {
    let secret = ServerSecret::new(secret.to_vec())
        .and_then(|s| s.accounts(Hash::Sha256, SALT_LEN, ITERATIONS))
        .map_err(|e| Failure::new(xmpp_status::XMPP_INVALID_INPUT, format!("secret: {e}")))?;
    Ok(ServerConfig::new(domain, secret)
        .tls(tls_policy(tls)?)
        .transport(self::transport(transport)?)
        .mechanisms(PASSWORD_MECHANISMS))
}

/// A server handle for C, starting at `now_ms`.
pub(crate) fn new_handle(
    config: Arc<ServerConfig>,
    seed: [u8; 32],
    now_ms: u64,
) -> *mut xmpp_server {
    let server = Server::new(config, Seed::new(seed), Instant::from_millis(now_ms));
    ffi::into_handle(xmpp_server {
        server,
        transmit: Vec::new(),
        current: Current::default(),
        mechanism: None,
        fast_count: None,
        new_slot: None,
    })
}

/// Runs a command on a server handle.
///
/// # Safety
///
/// `server` is null or a live handle.
pub(crate) unsafe fn with_server(
    server: *mut xmpp_server,
    body: impl FnOnce(&mut xmpp_server) -> Result,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on server.
        let s = unsafe { handle(server, "server") }?;
        body(s)
    })
}

/// Passes bytes received from the client (any chunking over TCP; one
/// message per call over WebSocket). Returns `XMPP_OK` or the fatal error
/// (`XMPP_STREAM_*`: the stream error sent to the client is queued).
///
/// # Safety
///
/// `server` is null or a live handle; `bytes` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_handle_input(
    server: *mut xmpp_server,
    bytes: *const u8,
    len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promises on bytes and len.
    let input = unsafe { ffi::bytes(bytes, len, "bytes") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            s.server
                .handle_input(input?)
                .map_err(|e| session_failure(&e))
        })
    }
}

/// The next bytes to send, in `*out` (`ptr` null when there are none).
/// Ownership: borrowed from `server`, valid until the next call on it.
///
/// # Safety
///
/// `server` is null or a live handle; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_poll_transmit(
    server: *mut xmpp_server,
    out: *mut xmpp_bytes,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            if out.is_null() {
                return Err(ffi::null("out"));
            }
            let view = match s.server.poll_transmit() {
                Some(bytes) => {
                    s.transmit = bytes;
                    xmpp_bytes::from(&s.transmit)
                }
                None => {
                    s.transmit.clear();
                    xmpp_bytes::NONE
                }
            };
            // The caller's promise on out covers this write (in the
            // unsafe block around the closure).
            write_out(out, view, "out")
        })
    }
}

/// The next event's kind in `*kind` (`XMPP_SERVER_EVENT_NONE` when there
/// is none). The event stays readable through the `xmpp_server_event_*`
/// getters until the next poll or free.
///
/// # Safety
///
/// `server` is null or a live handle; `kind` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_poll_event(
    server: *mut xmpp_server,
    kind: *mut xmpp_server_event,
) -> xmpp_status {
    use xmpp_server_event as K;
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            if kind.is_null() {
                return Err(ffi::null("kind"));
            }
            let mut cur = Current::default();
            let k = match s.server.poll_event() {
                None => K::XMPP_SERVER_EVENT_NONE,
                Some(event) => match event {
                    ServerEvent::StartTls { tls_bytes } => {
                        cur.bytes = tls_bytes;
                        K::XMPP_SERVER_EVENT_START_TLS
                    }
                    ServerEvent::CredentialsRequest {
                        request,
                        fast,
                        user_agent,
                    } => {
                        s.mechanism = Some(request.mechanism);
                        s.fast_count = fast.as_ref().and_then(|f| f.count);
                        s.new_slot = None;
                        if let Some(agent) = user_agent {
                            cur.client_id = agent.id;
                            cur.client_software = agent.software;
                            cur.client_device = agent.device;
                        }
                        cur.flag = fast.is_some();
                        cur.fast_count = s.fast_count;
                        cur.text = request.authcid;
                        cur.detail = Some(request.mechanism.name().to_owned());
                        K::XMPP_SERVER_EVENT_CREDENTIALS_REQUEST
                    }
                    ServerEvent::TokenUsed {
                        jid,
                        mechanism,
                        fast,
                        slot,
                    } => {
                        cur.flag = true;
                        cur.fast_new_slot = slot == FastSlot::New;
                        cur.fast_count = fast.count;
                        cur.fast_invalidate = fast.invalidate;
                        cur.text = Some(jid.as_str().to_owned());
                        cur.detail = Some(mechanism.name().to_owned());
                        K::XMPP_SERVER_EVENT_TOKEN_USED
                    }
                    ServerEvent::Authenticated { jid, mechanism } => {
                        cur.text = Some(jid.as_str().to_owned());
                        cur.detail = Some(mechanism.name().to_owned());
                        K::XMPP_SERVER_EVENT_AUTHENTICATED
                    }
                    ServerEvent::AuthFailed { condition } => {
                        cur.text = Some(condition.as_str().to_owned());
                        K::XMPP_SERVER_EVENT_AUTH_FAILED
                    }
                    ServerEvent::BindRequest {
                        requested,
                        suggested,
                    } => {
                        cur.text = requested;
                        cur.detail = Some(suggested);
                        K::XMPP_SERVER_EVENT_BIND_REQUEST
                    }
                    ServerEvent::Bound { jid } => {
                        cur.text = Some(jid.as_str().to_owned());
                        K::XMPP_SERVER_EVENT_BOUND
                    }
                    ServerEvent::Resumed { jid, resent } => {
                        cur.text = Some(jid.as_str().to_owned());
                        cur.flag = true;
                        cur.count = resent;
                        K::XMPP_SERVER_EVENT_BOUND
                    }
                    ServerEvent::ResumeRequest { previd, .. } => {
                        cur.text = Some(previd);
                        K::XMPP_SERVER_EVENT_RESUME_REQUEST
                    }
                    ServerEvent::TokenRequest { mechanism } => {
                        cur.detail = Some(mechanism.name().to_owned());
                        K::XMPP_SERVER_EVENT_TOKEN_REQUEST
                    }
                    ServerEvent::SmEnabled { id } => {
                        cur.flag = id.is_some();
                        cur.text = id;
                        K::XMPP_SERVER_EVENT_SM_ENABLED
                    }
                    ServerEvent::Stanza(stanza) => {
                        cur.stanza = StanzaView::of(&stanza);
                        K::XMPP_SERVER_EVENT_STANZA
                    }
                    ServerEvent::Acked(stanzas) => {
                        cur.stanzas = stanza_list(&stanzas);
                        cur.count = cur.stanzas.len();
                        K::XMPP_SERVER_EVENT_ACKED
                    }
                    ServerEvent::StreamError(e) => {
                        cur.text = Some(e.condition.as_str().to_owned());
                        K::XMPP_SERVER_EVENT_STREAM_ERROR
                    }
                    ServerEvent::Undelivered(stanzas) => {
                        cur.stanzas = stanza_list(&stanzas);
                        cur.count = cur.stanzas.len();
                        K::XMPP_SERVER_EVENT_UNDELIVERED
                    }
                    ServerEvent::Closed { resumable } => {
                        cur.flag = resumable;
                        K::XMPP_SERVER_EVENT_CLOSED
                    }
                    _ => K::XMPP_SERVER_EVENT_OTHER,
                },
            };
            s.current = cur;
            // The caller's promise on kind covers this write (in the
            // unsafe block around the closure).
            write_out(kind, k, "kind")
        })
    }
}

/// Sends one stanza given as XML, `xml[0..len]`, to the client (a stanza
/// routed to it). Returns `XMPP_OK`; `XMPP_INVALID_INPUT` for XML that is
/// not one stanza; `XMPP_WRONG_PHASE` before binding.
///
/// # Safety
///
/// `server` is null or a live handle; `xml` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_send_xml(
    server: *mut xmpp_server,
    xml: *const u8,
    len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promises on xml and len.
    let xml = unsafe { ffi::bytes(xml, len, "xml") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            let stanza = parse_stanza(xml?)?;
            s.server.send(stanza).map_err(|e| session_failure(&e))
        })
    }
}

/// When the machine next needs [`xmpp_server_handle_timeout`], in
/// `*deadline_ms`; `UINT64_MAX` when no timer runs.
///
/// # Safety
///
/// `server` is null or a live handle; `deadline_ms` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_poll_timeout(
    server: *mut xmpp_server,
    deadline_ms: *mut u64,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            let at = s.server.poll_timeout().map_or(u64::MAX, Instant::as_millis);
            // The caller's promise on deadline_ms covers this write (in
            // the unsafe block around the closure).
            write_out(deadline_ms, at, "deadline_ms")
        })
    }
}

/// Tells the machine the time is `now_ms`.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_handle_timeout(
    server: *mut xmpp_server,
    now_ms: u64,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            s.server
                .handle_timeout(Instant::from_millis(now_ms))
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Reports the established TLS channel after `START_TLS`, as
/// [`xmpp_client_tls_established`]
/// does.
///
/// # Safety
///
/// `server` is null or a live handle; `data` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_tls_established(
    server: *mut xmpp_server,
    version: xmpp_tls_version,
    binding: xmpp_channel_binding,
    data: *const u8,
    len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promises on data and len.
    let data = unsafe { ffi::bytes(data, len, "data") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            let info = tls_info(version, binding, data?)?;
            s.server
                .tls_established(info)
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Closes the stream; wait for `XMPP_SERVER_EVENT_CLOSED`.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_close(server: *mut xmpp_server) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            s.server.close().map_err(|e| session_failure(&e))
        })
    }
}

/// Tells the machine the transport ended.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_connection_lost(server: *mut xmpp_server) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            s.server.connection_lost();
            Ok(())
        })
    }
}

/// Whether the stream is closed (true for a null handle).
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_is_closed(server: *const xmpp_server) -> bool {
    guard_value(true, || {
        // SAFETY: the caller's promise on server.
        let s = unsafe { handle_ref(server) }?;
        Some(s.server.is_closed())
    })
}

/// The client's bound full JID, absent before binding. Borrowed from
/// `server`, valid until the next call on it.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_jid(server: *const xmpp_server) -> xmpp_str {
    guard_value(xmpp_str::NONE, || {
        // SAFETY: the caller's promise on server.
        let s = unsafe { handle_ref(server) }?;
        Some(xmpp_str::from_opt(s.server.jid().map(|j| j.as_str())))
    })
}

/// Frees a server connection; null is ignored.
///
/// # Safety
///
/// `server` is null or a live handle, not used again after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_free(server: *mut xmpp_server) {
    // SAFETY: the caller's promise on server.
    unsafe { ffi::free_handle(server) }
}
