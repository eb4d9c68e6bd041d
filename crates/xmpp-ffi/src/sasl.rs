//! SASL (RFC 4422) client and server sessions of `xmpp-sasl`: SCRAM
//! (RFC 5802, RFC 7677), PLAIN (RFC 4616) and the others, free of XML:
//! the caller carries the messages (base64 in `<auth/>`, `<challenge/>`,
//! `<response/>`, `<success/>` for XMPP, RFC 6120 §6.4).

use core::ffi::c_char;

use xmpp_sasl::{
    Capabilities, ClientConfig, ClientSession, ClientStep, Credentials, Nonce, Prep, ServerConfig,
    ServerSecret, ServerSession, ServerStep, StoredCredentials, select,
};
use zeroize::Zeroizing;

use crate::ffi::{self, guard, guard_value, handle, handle_ref, write_out, xmpp_bytes, xmpp_str};
use crate::status::{Failure, Result, xmpp_status};

/// What a SASL session asks of its caller after a step.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum xmpp_sasl_step {
    /// Client: send the output (`<auth/>` or `<response/>`) and pass the
    /// server's next challenge, or the additional data of its success, to
    /// the next step.
    XMPP_SASL_SEND = 0,
    /// Client: authenticated and the server verified (SCRAM's server
    /// signature checked); send the output first if there is one.
    XMPP_SASL_DONE = 1,
    /// Server: send the output as a `<challenge/>`.
    XMPP_SASL_CHALLENGE = 2,
    /// Server: look up the user ([`xmpp_sasl_server_authcid`]) and answer
    /// with [`xmpp_sasl_server_password`], [`xmpp_sasl_server_stored`] or
    /// [`xmpp_sasl_server_unknown_user`].
    XMPP_SASL_NEED_CREDENTIALS = 3,
    /// Server: authenticated; send `<success/>` with the output as its
    /// additional data.
    XMPP_SASL_SUCCESS = 4,
}

fn sasl_failure(e: &xmpp_sasl::Error) -> Failure {
    let f = Failure::new(xmpp_status::sasl(e.condition().as_str()), e.to_string());
    match e.scram_error() {
        Some(s) => f.with_kind(s.as_str()),
        None => f,
    }
}

fn nonce(text: Option<&str>) -> Result<Nonce> {
    let n = match text {
        Some(t) => Nonce::new(t),
        None => Nonce::from_os(),
    };
    n.map_err(|e| Failure::new(xmpp_status::XMPP_INVALID_INPUT, format!("nonce: {e}")))
}

/// An optional string argument: absent when `ptr` is null.
///
/// # Safety
///
/// As for [`ffi::text`].
unsafe fn opt_text<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: passed on from the caller.
    unsafe { ffi::text(ptr, len, what) }.map(Some)
}

/// A SASL client session. Made by [`xmpp_sasl_client_new`], freed by
/// [`xmpp_sasl_client_free`].
pub struct xmpp_sasl_client {
    session: ClientSession,
    /// The last message to send; zeroized when replaced or freed.
    output: Option<Zeroizing<Vec<u8>>>,
}

/// Picks the strongest mechanism of `offered[0..offered_len]` (the
/// server's mechanism names separated by spaces, RFC 6120 §6.4.1) that a
/// password allows, and starts a client session for `username` and
/// `password` (SASLprep, RFC 4013). `nonce` is the client nonce (printable
/// ASCII but `,`; 16 or more random characters), or null to draw one from the OS.
///
/// Returns `XMPP_OK`; `XMPP_NO_MECHANISM` when nothing offered is usable;
/// `XMPP_INVALID_INPUT` for a bad nonce; `XMPP_INVALID_UTF8`;
/// `XMPP_INVALID_ARGUMENT`. PLAIN is never picked (this function knows
/// nothing of TLS); SCRAM is.
///
/// Ownership: the caller owns `*out` and frees it with
/// [`xmpp_sasl_client_free`]; the arguments are copied.
///
/// # Safety
///
/// Each pointer argument points to its length's readable bytes (or the
/// length is 0; `nonce` may be null); `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_client_new(
    offered: *const c_char,
    offered_len: usize,
    username: *const c_char,
    username_len: usize,
    password: *const c_char,
    password_len: usize,
    nonce: *const c_char,
    nonce_len: usize,
    out: *mut *mut xmpp_sasl_client,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on each pointer and length.
        let (offered, username, password, nonce_text) = unsafe {
            (
                ffi::text(offered, offered_len, "offered")?,
                ffi::text(username, username_len, "username")?,
                ffi::text(password, password_len, "password")?,
                opt_text(nonce, nonce_len, "nonce")?,
            )
        };
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let mut caps = Capabilities::default();
        caps.password = true;
        let choice = select(offered.split_ascii_whitespace(), &caps).ok_or_else(|| {
            Failure::new(
                xmpp_status::XMPP_NO_MECHANISM,
                format!("no usable mechanism in {offered:?}"),
            )
        })?;
        let config = ClientConfig::new().username(username).password(password);
        let session = ClientSession::new(choice, config, self::nonce(nonce_text)?)
            .map_err(|e| sasl_failure(&e))?;
        let h = ffi::into_handle(xmpp_sasl_client {
            session,
            output: None,
        });
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// The chosen mechanism's name (`SCRAM-SHA-256`): send it in `<auth/>`.
/// Borrowed from `client` (a static string in fact), valid until its
/// free; the absent value for a null handle.
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_client_mechanism(client: *const xmpp_sasl_client) -> xmpp_str {
    guard_value(xmpp_str::NONE, || {
        // SAFETY: the caller's promise on client.
        let c = unsafe { handle_ref(client) }?;
        Some(xmpp_str::from(c.session.mechanism().name()))
    })
}

/// One step: `input[0..len]` is the server's last message (empty for the
/// first step, which makes the initial response). Writes what to do to
/// `*step` (`XMPP_SASL_SEND` or `XMPP_SASL_DONE`); the message to send is
/// [`xmpp_sasl_client_output`].
///
/// Returns `XMPP_OK` or the RFC 6120 §6.5 condition of the failure (for
/// example `XMPP_SASL_NOT_AUTHORIZED` for a server signature that does
/// not verify; [`xmpp_last_error_kind`](crate::xmpp_last_error_kind) gives
/// the RFC 5802 `e=` value when there is one), returned again by every
/// later step.
///
/// # Safety
///
/// `client` is null or a live handle; `input` points to `len` readable
/// bytes (or `len` is 0); `step` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_client_step(
    client: *mut xmpp_sasl_client,
    input: *const u8,
    len: usize,
    step: *mut xmpp_sasl_step,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on client, input and len.
        let (c, input) = unsafe { (handle(client, "client")?, ffi::bytes(input, len, "input")?) };
        if step.is_null() {
            return Err(ffi::null("step"));
        }
        c.output = None;
        let (kind, output) = match c.session.step(input).map_err(|e| sasl_failure(&e))? {
            ClientStep::Send(m) => (xmpp_sasl_step::XMPP_SASL_SEND, Some(m)),
            ClientStep::Done { send, .. } => (xmpp_sasl_step::XMPP_SASL_DONE, send),
        };
        c.output = output;
        // SAFETY: the caller's promise on step.
        unsafe { write_out(step, kind, "step") }
    })
}

/// The message the last step made (empty for `XMPP_SASL_DONE` without a
/// last message: then `ptr` is null). Raw bytes: base64-encode them for
/// XMPP. Borrowed from `client`, valid until the next step or the free
/// (then zeroized).
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_client_output(client: *const xmpp_sasl_client) -> xmpp_bytes {
    guard_value(xmpp_bytes::NONE, || {
        // SAFETY: the caller's promise on client.
        let c = unsafe { handle_ref(client) }?;
        Some(
            c.output
                .as_deref()
                .map_or(xmpp_bytes::NONE, |b| xmpp_bytes::from(b)),
        )
    })
}

/// Frees a client session (its secrets are zeroized); null is ignored.
///
/// # Safety
///
/// `client` is null or a live handle, not used again after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_client_free(client: *mut xmpp_sasl_client) {
    // SAFETY: the caller's promise on client.
    unsafe { ffi::free_handle(client) }
}

/// A SASL server session. Made by [`xmpp_sasl_server_new`], freed by
/// [`xmpp_sasl_server_free`].
pub struct xmpp_sasl_server {
    session: ServerSession,
    /// The challenge or success data to send.
    output: Vec<u8>,
    /// The user of the last credentials request or success.
    authcid: Option<String>,
}

/// Starts a server session for the mechanism the client named,
/// `mechanism[0..mechanism_len]` (`SCRAM-SHA-256`). `secret` (at least 16
/// bytes, random and kept across restarts) derives the fake exchange an
/// unknown user gets (RFC 5802 §5.1). `nonce` is the server's nonce part,
/// or null to draw one from the OS. PLAIN is refused on this unencrypted
/// session (`XMPP_SASL_ENCRYPTION_REQUIRED`).
///
/// Returns `XMPP_OK`; `XMPP_SASL_INVALID_MECHANISM` for a mechanism not
/// offered; `XMPP_INVALID_INPUT` for a bad nonce or secret;
/// `XMPP_INVALID_UTF8`; `XMPP_INVALID_ARGUMENT`.
///
/// Ownership: the caller owns `*out` and frees it with
/// [`xmpp_sasl_server_free`]; the arguments are copied.
///
/// # Safety
///
/// Each pointer argument points to its length's readable bytes (or the
/// length is 0; `nonce` may be null); `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_server_new(
    mechanism: *const c_char,
    mechanism_len: usize,
    secret: *const u8,
    secret_len: usize,
    nonce: *const c_char,
    nonce_len: usize,
    out: *mut *mut xmpp_sasl_server,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on each pointer and length.
        let (name, secret, nonce_text) = unsafe {
            (
                ffi::text(mechanism, mechanism_len, "mechanism")?,
                ffi::bytes(secret, secret_len, "secret")?,
                opt_text(nonce, nonce_len, "nonce")?,
            )
        };
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let secret = ServerSecret::new(secret.to_vec())
            .map_err(|e| Failure::new(xmpp_status::XMPP_INVALID_INPUT, format!("secret: {e}")))?;
        let session =
            ServerSession::from_name(name, ServerConfig::new(secret), self::nonce(nonce_text)?)
                .map_err(|e| sasl_failure(&e))?;
        let h = ffi::into_handle(xmpp_sasl_server {
            session,
            output: Vec::new(),
            authcid: None,
        });
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// Records a server step's outcome in the handle and for the caller.
///
/// # Safety
///
/// `step` is null or writable.
unsafe fn server_outcome(
    s: &mut xmpp_sasl_server,
    outcome: core::result::Result<ServerStep, xmpp_sasl::Error>,
    step: *mut xmpp_sasl_step,
) -> Result {
    s.output.clear();
    let kind = match outcome.map_err(|e| sasl_failure(&e))? {
        ServerStep::Challenge(c) => {
            s.output = c;
            xmpp_sasl_step::XMPP_SASL_CHALLENGE
        }
        ServerStep::NeedCredentials(request) => {
            s.authcid = request.authcid;
            xmpp_sasl_step::XMPP_SASL_NEED_CREDENTIALS
        }
        ServerStep::Success(success) => {
            s.output = success.additional_data.unwrap_or_default();
            s.authcid = success.authcid;
            xmpp_sasl_step::XMPP_SASL_SUCCESS
        }
    };
    // SAFETY: the caller's promise on step.
    unsafe { write_out(step, kind, "step") }
}

/// One step with the client's message `input[0..len]` (the initial
/// response, then each response). Writes what to do to `*step`.
///
/// Returns `XMPP_OK` or the RFC 6120 §6.5 condition to send in the
/// `<failure/>` (`XMPP_SASL_NOT_AUTHORIZED` for a wrong password or an
/// unknown user alike), returned again by every later step.
///
/// # Safety
///
/// `server` is null or a live handle; `input` points to `len` readable
/// bytes (or `len` is 0); `step` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_server_step(
    server: *mut xmpp_sasl_server,
    input: *const u8,
    len: usize,
    step: *mut xmpp_sasl_step,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on server, input and len.
        let (s, input) = unsafe { (handle(server, "server")?, ffi::bytes(input, len, "input")?) };
        if step.is_null() {
            return Err(ffi::null("step"));
        }
        let outcome = s.session.step(input);
        // SAFETY: the caller's promise on step.
        unsafe { server_outcome(s, outcome, step) }
    })
}

/// Answers `XMPP_SASL_NEED_CREDENTIALS` with `credentials`.
///
/// # Safety
///
/// `server` is null or a live handle; `step` is null or writable.
unsafe fn answer(
    server: *mut xmpp_sasl_server,
    step: *mut xmpp_sasl_step,
    credentials: impl FnOnce(&xmpp_sasl_server) -> Result<Credentials>,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on server.
        let s = unsafe { handle(server, "server") }?;
        if step.is_null() {
            return Err(ffi::null("step"));
        }
        let c = credentials(s)?;
        let outcome = s.session.credentials(c);
        // SAFETY: the caller's promise on step.
        unsafe { server_outcome(s, outcome, step) }
    })
}

/// Answers `XMPP_SASL_NEED_CREDENTIALS` with the user's password: for
/// SCRAM the keys are derived with `salt[0..salt_len]` and `iterations`
/// (as the account was created; prefer [`xmpp_sasl_server_stored`], which
/// keeps no password). Writes the next step to `*step`; returns as
/// [`xmpp_sasl_server_step`] does.
///
/// # Safety
///
/// `server` is null or a live handle; `password` and `salt` point to
/// their lengths' readable bytes (or the length is 0); `step` is null or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_server_password(
    server: *mut xmpp_sasl_server,
    password: *const c_char,
    password_len: usize,
    salt: *const u8,
    salt_len: usize,
    iterations: u32,
    step: *mut xmpp_sasl_step,
) -> xmpp_status {
    let credentials = |s: &xmpp_sasl_server| {
        // SAFETY: the caller's promises on password, salt and lengths.
        let (password, salt) = unsafe {
            (
                ffi::text(password, password_len, "password")?,
                ffi::bytes(salt, salt_len, "salt")?,
            )
        };
        Ok(match s.session.mechanism().scram_hash() {
            Some(hash) => Credentials::Scram(
                StoredCredentials::from_password(hash, Prep::SaslPrep, password, salt, iterations)
                    .map_err(|e| sasl_failure(&e))?,
            ),
            None => Credentials::Password(Zeroizing::new(password.to_owned())),
        })
    };
    // SAFETY: passed on from the caller.
    unsafe { answer(server, step, credentials) }
}

/// Answers `XMPP_SASL_NEED_CREDENTIALS` with SCRAM stored credentials in
/// the RFC 5803 text form (`SCRAM-SHA-256$4096:salt$StoredKey:ServerKey`,
/// base64). Returns as [`xmpp_sasl_server_step`] does;
/// `XMPP_SASL_TEMPORARY_AUTH_FAILURE` for text that does not parse.
///
/// # Safety
///
/// `server` is null or a live handle; `text` points to `len` readable
/// bytes (or `len` is 0); `step` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_server_stored(
    server: *mut xmpp_sasl_server,
    text: *const c_char,
    len: usize,
    step: *mut xmpp_sasl_step,
) -> xmpp_status {
    let credentials = |_: &xmpp_sasl_server| {
        // SAFETY: the caller's promise on text and len.
        let t = unsafe { ffi::text(text, len, "text") }?;
        StoredCredentials::from_text(t)
            .map(Credentials::Scram)
            .map_err(|e| sasl_failure(&e))
    };
    // SAFETY: passed on from the caller.
    unsafe { answer(server, step, credentials) }
}

/// Answers `XMPP_SASL_NEED_CREDENTIALS` for a user that does not exist:
/// the exchange goes on with made-up keys and fails as a wrong password
/// does (RFC 5802 §5.1), so it does not tell which accounts exist.
///
/// # Safety
///
/// `server` is null or a live handle; `step` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_server_unknown_user(
    server: *mut xmpp_sasl_server,
    step: *mut xmpp_sasl_step,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe { answer(server, step, |_| Ok(Credentials::UnknownUser)) }
}

/// The challenge (`XMPP_SASL_CHALLENGE`) or success data
/// (`XMPP_SASL_SUCCESS`) of the last step; raw bytes (base64 for XMPP).
/// Borrowed from `server`, valid until its next call or free.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_server_output(server: *const xmpp_sasl_server) -> xmpp_bytes {
    guard_value(xmpp_bytes::NONE, || {
        // SAFETY: the caller's promise on server.
        let s = unsafe { handle_ref(server) }?;
        Some(if s.output.is_empty() {
            xmpp_bytes::NONE
        } else {
            xmpp_bytes::from(&s.output)
        })
    })
}

/// The prepared username of the credentials request or the success; the
/// absent value when the mechanism carries none. Borrowed from `server`,
/// valid until its next call or free.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_server_authcid(server: *const xmpp_sasl_server) -> xmpp_str {
    guard_value(xmpp_str::NONE, || {
        // SAFETY: the caller's promise on server.
        let s = unsafe { handle_ref(server) }?;
        Some(xmpp_str::from_opt(s.authcid.as_deref()))
    })
}

/// Frees a server session; null is ignored.
///
/// # Safety
///
/// `server` is null or a live handle, not used again after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_sasl_server_free(server: *mut xmpp_sasl_server) {
    // SAFETY: the caller's promise on server.
    unsafe { ffi::free_handle(server) }
}
