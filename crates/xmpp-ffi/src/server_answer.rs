//! The server application's answers to the machine's requests:
//! credentials (RFC 6120 §6, XEP-0484 FAST tokens), resource binding
//! (RFC 6120 §7), XEP-0198 resumption and FAST token issuing.

use core::ffi::c_char;

use xmpp_sasl::{Credentials, FastTokenSlot, Mechanism, Prep, StoredCredentials};
use xmpp_stanza::DefinedCondition;
use zeroize::Zeroizing;

use crate::ffi::{self, handle_ref, write_out};
use crate::resume::xmpp_resumption;
use crate::server::{with_server, xmpp_server};
use crate::session::session_failure;
use crate::status::{Failure, Result, xmpp_status};
// Entry points of other files, for the doc links (which are the
// header's comments too).
#[cfg(doc)]
#[allow(unused_imports, reason = "only the doc links use them")]
use crate::{
    xmpp_resumption_free, xmpp_resumption_unacked_stanza, xmpp_server_event_fast_count,
    xmpp_server_event_fast_new_slot,
};

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

/// Answers `CREDENTIALS_REQUEST` for a FAST token (XEP-0484 §3.4) with
/// the client's `current` token (XEP-0484 §5.1: the one it used last, or
/// the only one the application keeps), `token[0..token_len]`, empty when
/// the slot is: the highest count already processed for it
/// (`has_processed` false when none was), and its expiry with the current
/// time `now`, both in seconds since the Unix epoch (the wall clock; every
/// token has the expiry sent with it by [`xmpp_server_issue_token`],
/// XEP-0484 §3.3). A `new` token given before with
/// [`xmpp_server_provide_new_token`] is tried first. The exchange succeeds
/// only when a token matches, the client's count is above its `processed`
/// (a replayed request fails with `not-authorized`) and `now` is before
/// its `expiry` (an expired token fails with `credentials-expired`,
/// XEP-0484 §4.2; a wrong token is always `not-authorized`). Record the
/// count only on the `TOKEN_USED` event that follows once the token is
/// proven ([`xmpp_server_event_fast_count`] there), never here: a forged
/// request's count must change nothing. An unknown user, or a client
/// without tokens: [`xmpp_server_unknown_user`]. Returns as
/// [`xmpp_server_provide_password`].
///
/// # Safety
///
/// `server` is null or a live handle; `token` points to `token_len`
/// readable bytes (or `token_len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_provide_token(
    server: *mut xmpp_server,
    token: *const c_char,
    token_len: usize,
    processed: u64,
    has_processed: bool,
    expiry: u64,
    now: u64,
) -> xmpp_status {
    // SAFETY: the caller's promise on token and token_len.
    let token = unsafe { ffi::text(token, token_len, "token") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            let token = token?;
            let current = (!token.is_empty()).then(|| {
                FastTokenSlot::new(token, has_processed.then_some(processed), Some(expiry))
            });
            let credentials = Credentials::FastToken {
                current,
                new: s.new_slot.take(),
                count: s.fast_count.take(),
                now,
            };
            s.server
                .provide_credentials(credentials)
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Gives the client's `new` token slot (XEP-0484 §5.1: a token issued and
/// not used yet) for the `CREDENTIALS_REQUEST` being answered: the next
/// [`xmpp_server_provide_token`] tries it before the `current` one, and a
/// `TOKEN_USED` says which matched ([`xmpp_server_event_fast_new_slot`]).
/// Arguments as [`xmpp_server_provide_token`]'s. Returns `XMPP_OK`;
/// `XMPP_INVALID_ARGUMENT` for an empty token, `XMPP_INVALID_UTF8` for
/// one that is not UTF-8.
///
/// # Safety
///
/// `server` is null or a live handle; `token` points to `token_len`
/// readable bytes (or `token_len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_provide_new_token(
    server: *mut xmpp_server,
    token: *const c_char,
    token_len: usize,
    processed: u64,
    has_processed: bool,
    expiry: u64,
) -> xmpp_status {
    // SAFETY: the caller's promise on token and token_len.
    let token = unsafe { ffi::text(token, token_len, "token") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            let token = token?;
            if token.is_empty() {
                return Err(Failure::new(
                    xmpp_status::XMPP_INVALID_ARGUMENT,
                    "the new token is empty",
                ));
            }
            s.new_slot = Some(FastTokenSlot::new(
                token,
                has_processed.then_some(processed),
                Some(expiry),
            ));
            Ok(())
        })
    }
}

/// Answers `RESUME_REQUEST` with the state the earlier session left
/// ([`xmpp_server_take_resumption`] of its server, maybe stored as
/// JSON). The machine refuses it (`<failed/>` with `item-not-found`, and
/// the client binds anew) when it is another account's or another
/// SM-ID's; otherwise the session resumes (`XMPP_SERVER_EVENT_BOUND` with
/// the flag set) and the stanzas the client had not handled are sent
/// again. Returns `XMPP_OK`; `XMPP_WRONG_PHASE` when no resumption waits;
/// `XMPP_INVALID_ARGUMENT` for a null state.
///
/// Ownership: `state` is copied; the caller still frees it (a resumed
/// state must not be used twice: drop it from the store).
///
/// # Safety
///
/// `server` is null or a live handle; `state` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_accept_resume(
    server: *mut xmpp_server,
    state: *const xmpp_resumption,
) -> xmpp_status {
    // SAFETY: the caller's promise on state.
    let state = unsafe { handle_ref(state) }.map(|s| s.state.clone());
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            let state = state.ok_or_else(|| ffi::null("state"))?;
            s.server
                .accept_resume(state)
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Takes the XEP-0198 resumption state once the stream is over
/// (`XMPP_SERVER_EVENT_CLOSED` with the flag set), to keep for the
/// client's return within the agreed time (XEP-0198 §5) under its
/// SM-ID. `*out` is null when the session cannot be resumed. When the
/// client does not return in time, the stanzas the state lists
/// ([`xmpp_resumption_unacked_stanza`])
/// were never acknowledged: bounce, store or redeliver them.
///
/// Returns `XMPP_OK`; `XMPP_INVALID_ARGUMENT` (null handle or out).
///
/// Ownership: the caller owns a non-null `*out` and frees it with
/// [`xmpp_resumption_free`].
///
/// # Safety
///
/// `server` is null or a live handle; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_take_resumption(
    server: *mut xmpp_server,
    out: *mut *mut xmpp_resumption,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            if out.is_null() {
                return Err(ffi::null("out"));
            }
            let h = match s.server.take_resumption_state() {
                Some(state) => xmpp_resumption::new(state)?,
                None => core::ptr::null_mut(),
            };
            // The caller's promise on out covers this write (in the
            // unsafe block around the closure).
            write_out(out, h, "out")
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

/// Answers `RESUME_REQUEST` for a session whose resumption window closed:
/// XEP-0198 `<failed h='handled'/>`, `handled` being the count of the
/// client's stanzas that session handled, so that the client hands back
/// only those that never arrived; the client binds a new resource. Give it
/// only to the account that owned the session.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_reject_resume_timed_out(
    server: *mut xmpp_server,
    handled: u32,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            s.server
                .reject_resume_timed_out(handled)
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Answers `TOKEN_REQUEST` with a token (XEP-0484 §3.3):
/// `token[0..token_len]` fresh from a CSPRNG (at least 128 bits, kept by
/// the application for the account, with the highest count processed),
/// `expiry[0..expiry_len]` its XEP-0082 DateTime
/// (`2030-01-01T00:00:00Z`). Returns `XMPP_OK`; `XMPP_WRONG_PHASE` when
/// no token was asked for; `XMPP_INVALID_UTF8`.
///
/// # Safety
///
/// `server` is null or a live handle; `token` and `expiry` point to their
/// lengths' readable bytes (or the length is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_issue_token(
    server: *mut xmpp_server,
    token: *const c_char,
    token_len: usize,
    expiry: *const c_char,
    expiry_len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promises on each pointer and length.
    let args = unsafe {
        (
            ffi::text(token, token_len, "token"),
            ffi::text(expiry, expiry_len, "expiry"),
        )
    };
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            let (token, expiry) = (args.0?, args.1?);
            s.server
                .issue_token(token, expiry)
                .map_err(|e| session_failure(&e))
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

/// Answers `XMPP_SERVER_EVENT_TOKEN_USED` whose use the application
/// recorded: the exchange succeeds (`AUTHENTICATED` follows). With
/// `rotate` (the token is near its expiry, say) the client gets a new
/// token it did not ask for (XEP-0484 §3.5): a `TOKEN_REQUEST` follows,
/// answered as any other; not when the client asked to invalidate its
/// token and requested none (§3.6).
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_accept_token_use(
    server: *mut xmpp_server,
    rotate: bool,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            s.server
                .accept_token_use(rotate)
                .map_err(|e| session_failure(&e))
        })
    }
}

/// Answers `XMPP_SERVER_EVENT_TOKEN_USED` that could not be recorded (its
/// count was used meanwhile, or the token is gone): the exchange fails
/// with `not-authorized`, as a wrong token does.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_refuse_token_use(server: *mut xmpp_server) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_server(server, |s| {
            s.server.refuse_token_use().map_err(|e| session_failure(&e))
        })
    }
}
