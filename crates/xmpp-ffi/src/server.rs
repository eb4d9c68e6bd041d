//! The c2s server machine of `xmpp-session` behind a handle: features
//! per phase and policy, SASL with the application's credentials,
//! resource binding, stanzas typed and `from`-stamped (RFC 6120
//! §8.1.2.1), XEP-0198. The application answers the machine's requests
//! (credentials, binding, resumption) with commands.

use core::ffi::c_char;

use xmpp_sasl::{Credentials, Hash, Mechanism, Prep, ServerSecret, StoredCredentials};
use xmpp_session::{Instant, Seed, Server, ServerConfig, ServerEvent};
use xmpp_stanza::DefinedCondition;
use zeroize::Zeroizing;

use crate::ffi::{self, guard, guard_value, handle, handle_ref, write_out, xmpp_bytes, xmpp_str};
use crate::framer::xmpp_transport;
use crate::session::{
    StanzaView, parse_stanza, session_failure, tls_info, tls_policy, transport,
    xmpp_channel_binding, xmpp_tls_policy, xmpp_tls_version,
};
use crate::status::{Failure, Result, xmpp_status};

/// The salt length and iteration count of the accounts the fake
/// exchange of unknown users imitates (RFC 5802 §5.1).
const SALT_LEN: usize = 16;
const ITERATIONS: u32 = 4096;

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
    /// username; [`xmpp_server_event_detail`] is the mechanism) and answer
    /// with [`xmpp_server_provide_password`],
    /// [`xmpp_server_provide_stored`] or [`xmpp_server_unknown_user`].
    XMPP_SERVER_EVENT_CREDENTIALS_REQUEST = 2,
    /// The client authenticated as the bare JID [`xmpp_server_event_text`].
    XMPP_SERVER_EVENT_AUTHENTICATED = 3,
    /// The client asks to bind a resource: [`xmpp_server_event_text`] is
    /// the requested one (absent when it asked the server to choose),
    /// [`xmpp_server_event_detail`] a suggestion. Answer with
    /// [`xmpp_server_accept_bind`] or [`xmpp_server_reject_bind`].
    XMPP_SERVER_EVENT_BIND_REQUEST = 4,
    /// A resource is bound: the full JID [`xmpp_server_event_text`].
    XMPP_SERVER_EVENT_BOUND = 5,
    /// The client asks to resume the XEP-0198 session
    /// [`xmpp_server_event_text`]; this version of the ABI cannot hand
    /// back a stored session: answer [`xmpp_server_reject_resume`].
    XMPP_SERVER_EVENT_RESUME_REQUEST = 6,
    /// The client asks for a XEP-0484 FAST token: answer
    /// [`xmpp_server_decline_token`].
    XMPP_SERVER_EVENT_TOKEN_REQUEST = 7,
    /// XEP-0198 is on for this stream.
    XMPP_SERVER_EVENT_SM_ENABLED = 8,
    /// A stanza from the client, typed and with `from` stamped:
    /// [`xmpp_server_event_xml`], [`xmpp_server_event_from`],
    /// [`xmpp_server_event_body`].
    XMPP_SERVER_EVENT_STANZA = 9,
    /// The client acknowledged stanzas (XEP-0198 §4).
    XMPP_SERVER_EVENT_ACKED = 10,
    /// The client sent a stream error ([`xmpp_server_event_text`]: its
    /// condition).
    XMPP_SERVER_EVENT_STREAM_ERROR = 11,
    /// Stanzas sent to the client were never acknowledged and the session
    /// ended unresumed: report them undelivered.
    XMPP_SERVER_EVENT_UNDELIVERED = 12,
    /// The stream is over: flush the transmits, then close the transport.
    XMPP_SERVER_EVENT_CLOSED = 13,
    /// An event this version of the header does not name: skip it.
    XMPP_SERVER_EVENT_OTHER = 14,
}

#[derive(Debug, Default)]
struct Current {
    text: Option<String>,
    detail: Option<String>,
    stanza: StanzaView,
    bytes: Vec<u8>,
    flag: bool,
}

/// A c2s server connection without I/O. Made by [`xmpp_server_new`],
/// freed by [`xmpp_server_free`]. The call order is the client's (see
/// `xmpp_client`), with the requests answered as they come.
#[derive(Debug)]
pub struct xmpp_server {
    server: Server,
    transmit: Vec<u8>,
    current: Current,
    /// The mechanism of the pending credentials request.
    mechanism: Option<Mechanism>,
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
                ffi::bytes(seed, if seed.is_null() { 0 } else { 32 }, "seed")?,
            )
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| ffi::null("seed"))?;
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let secret = ServerSecret::new(secret.to_vec())
            .and_then(|s| s.accounts(Hash::Sha256, SALT_LEN, ITERATIONS))
            .map_err(|e| Failure::new(xmpp_status::XMPP_INVALID_INPUT, format!("secret: {e}")))?;
        let config = ServerConfig::new(domain, secret)
            .tls(tls_policy(tls)?)
            .transport(self::transport(transport)?)
            .mechanisms([
                Mechanism::Scram {
                    hash: Hash::Sha256,
                    plus: true,
                },
                Mechanism::Scram {
                    hash: Hash::Sha256,
                    plus: false,
                },
                Mechanism::Plain,
            ]);
        let server = Server::new(config, Seed::new(seed), Instant::from_millis(now_ms));
        let h = ffi::into_handle(xmpp_server {
            server,
            transmit: Vec::new(),
            current: Current::default(),
            mechanism: None,
        });
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// Runs a command on a server handle.
///
/// # Safety
///
/// `server` is null or a live handle.
unsafe fn with_server(
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
                    ServerEvent::CredentialsRequest { request, .. } => {
                        s.mechanism = Some(request.mechanism);
                        cur.text = request.authcid;
                        cur.detail = Some(request.mechanism.name().to_owned());
                        K::XMPP_SERVER_EVENT_CREDENTIALS_REQUEST
                    }
                    ServerEvent::Authenticated { jid, mechanism } => {
                        cur.text = Some(jid.as_str().to_owned());
                        cur.detail = Some(mechanism.name().to_owned());
                        K::XMPP_SERVER_EVENT_AUTHENTICATED
                    }
                    ServerEvent::BindRequest {
                        requested,
                        suggested,
                    } => {
                        cur.text = requested;
                        cur.detail = Some(suggested);
                        K::XMPP_SERVER_EVENT_BIND_REQUEST
                    }
                    ServerEvent::Bound { jid } | ServerEvent::Resumed { jid, .. } => {
                        cur.text = Some(jid.as_str().to_owned());
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
                    ServerEvent::Acked(_) => K::XMPP_SERVER_EVENT_ACKED,
                    ServerEvent::StreamError(e) => {
                        cur.text = Some(e.condition.as_str().to_owned());
                        K::XMPP_SERVER_EVENT_STREAM_ERROR
                    }
                    ServerEvent::Undelivered(_) => K::XMPP_SERVER_EVENT_UNDELIVERED,
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

/// Reads the current event.
///
/// # Safety
///
/// `server` is null or a live handle.
unsafe fn current<T>(server: *const xmpp_server, none: T, pick: impl FnOnce(&Current) -> T) -> T {
    guard_value(none, || {
        // SAFETY: the caller's promise on server.
        let s = unsafe { handle_ref(server) }?;
        Some(pick(&s.current))
    })
}

/// The current event's main text (see each `XMPP_SERVER_EVENT_*`),
/// absent otherwise. Borrowed from `server`, valid until the next poll or
/// free.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_text(server: *const xmpp_server) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(server, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.text.as_deref())
        })
    }
}

/// The current event's second text: the mechanism (`CREDENTIALS_REQUEST`,
/// `AUTHENTICATED`, `TOKEN_REQUEST`) or the suggested resource
/// (`BIND_REQUEST`). Ownership as [`xmpp_server_event_text`].
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_detail(server: *const xmpp_server) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(server, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.detail.as_deref())
        })
    }
}

/// The current stanza's XML (`STANZA`). Ownership as
/// [`xmpp_server_event_text`].
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_xml(server: *const xmpp_server) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(server, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.stanza.xml.as_deref())
        })
    }
}

/// The current stanza's `from`, as the server stamped it (`STANZA`).
/// Ownership as [`xmpp_server_event_text`].
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_from(server: *const xmpp_server) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(server, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.stanza.from.as_deref())
        })
    }
}

/// The current message's `<body/>` (`STANZA`). Ownership as
/// [`xmpp_server_event_text`].
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_body(server: *const xmpp_server) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(server, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.stanza.body.as_deref())
        })
    }
}

/// The bytes of the current `START_TLS` event (TLS records to feed to the
/// TLS layer first). Ownership as [`xmpp_server_event_text`].
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_bytes(server: *const xmpp_server) -> xmpp_bytes {
    // SAFETY: passed on from the caller.
    unsafe {
        current(server, xmpp_bytes::NONE, |c| {
            if c.bytes.is_empty() {
                xmpp_bytes::NONE
            } else {
                xmpp_bytes::from(&c.bytes)
            }
        })
    }
}

/// The flag of the current event: resumable (`SM_ENABLED`, `CLOSED`);
/// false otherwise.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_flag(server: *const xmpp_server) -> bool {
    // SAFETY: passed on from the caller.
    unsafe { current(server, false, |c| c.flag) }
}

/// Answers `CREDENTIALS_REQUEST` with credentials.
///
/// # Safety
///
/// `server` is null or a live handle.
unsafe fn provide(
    server: *mut xmpp_server,
    credentials: impl FnOnce(Option<Mechanism>) -> Result<Credentials>,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            let c = credentials(s.mechanism)?;
            s.server
                .provide_credentials(c)
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Answers `CREDENTIALS_REQUEST` with the account's password: the SCRAM
/// keys are derived with `salt[0..salt_len]` and `iterations` as the
/// account was created (prefer [`xmpp_server_provide_stored`], which keeps
/// no password). Returns `XMPP_OK`, `XMPP_WRONG_PHASE` when nothing was
/// asked, or the failure.
///
/// # Safety
///
/// `server` is null or a live handle; `password` and `salt` point to their
/// lengths' readable bytes (or the length is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_provide_password(
    server: *mut xmpp_server,
    password: *const c_char,
    password_len: usize,
    salt: *const u8,
    salt_len: usize,
    iterations: u32,
) -> xmpp_status {
    // SAFETY: the caller's promises on password, salt and lengths.
    let args = unsafe {
        (
            ffi::text(password, password_len, "password"),
            ffi::bytes(salt, salt_len, "salt"),
        )
    };
    let credentials = |mechanism: Option<Mechanism>| {
        let (password, salt) = (args.0?, args.1?);
        Ok(match mechanism.and_then(Mechanism::scram_hash) {
            Some(hash) => Credentials::Scram(
                StoredCredentials::from_password(hash, Prep::SaslPrep, password, salt, iterations)
                    .map_err(|e| {
                        Failure::new(xmpp_status::XMPP_SASL_TEMPORARY_AUTH_FAILURE, e.to_string())
                    })?,
            ),
            None => Credentials::Password(Zeroizing::new(password.to_owned())),
        })
    };
    // SAFETY: passed on from the caller.
    unsafe { provide(server, credentials) }
}

/// Answers `CREDENTIALS_REQUEST` with SCRAM-SHA-256 stored credentials in
/// the RFC 5803 text form (`SCRAM-SHA-256$4096:salt$StoredKey:ServerKey`).
/// Returns as [`xmpp_server_provide_password`];
/// `XMPP_SASL_TEMPORARY_AUTH_FAILURE` for text that does not parse.
///
/// # Safety
///
/// `server` is null or a live handle; `text` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_provide_stored(
    server: *mut xmpp_server,
    text: *const c_char,
    len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promise on text and len.
    let text = unsafe { ffi::text(text, len, "text") };
    let credentials = |_: Option<Mechanism>| {
        StoredCredentials::from_text(text?)
            .map(Credentials::Scram)
            .map_err(|e| Failure::new(xmpp_status::XMPP_SASL_TEMPORARY_AUTH_FAILURE, e.to_string()))
    };
    // SAFETY: passed on from the caller.
    unsafe { provide(server, credentials) }
}

/// Answers `CREDENTIALS_REQUEST` for a user that does not exist: the
/// exchange fails as a wrong password does (RFC 5802 §5.1).
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_unknown_user(server: *mut xmpp_server) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe { provide(server, |_| Ok(Credentials::UnknownUser)) }
}

/// Answers `BIND_REQUEST`: binds `resource[0..len]` (RFC 6120 §7).
///
/// # Safety
///
/// `server` is null or a live handle; `resource` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_accept_bind(
    server: *mut xmpp_server,
    resource: *const c_char,
    len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promise on resource and len.
    let resource = unsafe { ffi::text(resource, len, "resource") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            s.server
                .accept_bind(resource?)
                .map(drop)
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Answers `BIND_REQUEST` with a stanza error: `condition` is an
/// `XMPP_STANZA_*` code (RFC 6120 §7.6.2: `XMPP_STANZA_CONFLICT`,
/// `XMPP_STANZA_NOT_ALLOWED`, `XMPP_STANZA_RESOURCE_CONSTRAINT`).
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_reject_bind(
    server: *mut xmpp_server,
    condition: u32,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            let c = xmpp_status::from_u32(condition)
                .filter(|st| (300..400).contains(&(*st as u32)))
                .and_then(|st| DefinedCondition::from_name(st.name(), ""))
                .ok_or_else(|| {
                    Failure::new(
                        xmpp_status::XMPP_INVALID_ARGUMENT,
                        format!("{condition} is not an XMPP_STANZA_* condition"),
                    )
                })?;
            s.server.reject_bind(c).map_err(|e| session_failure(&e))
        })
    }
}

/// Answers `RESUME_REQUEST`: no such session (XEP-0198 `<failed/>`); the
/// client binds a new resource.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_reject_resume(server: *mut xmpp_server) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            s.server.reject_resume().map_err(|e| session_failure(&e))
        })
    }
}

/// Answers `TOKEN_REQUEST` with no token.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_decline_token(server: *mut xmpp_server) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            s.server.decline_token().map_err(|e| session_failure(&e))
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
/// [`xmpp_client_tls_established`](crate::xmpp_client_tls_established)
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
