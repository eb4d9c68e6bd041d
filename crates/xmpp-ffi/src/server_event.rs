//! The getters of a server connection's current event (the one the
//! last [`xmpp_server_poll_event`]
//! returned): what each `XMPP_SERVER_EVENT_*` carries, borrowed from the
//! handle until the next poll or free.

use crate::ffi::{guard_value, handle_ref, write_out, xmpp_bytes, xmpp_str};
use crate::server::{Current, xmpp_server};
// Entry points of other files, for the doc links (which are the
// header's comments too).
#[cfg(doc)]
#[allow(unused_imports, reason = "only the doc links use them")]
use crate::{xmpp_server_poll_event, xmpp_server_provide_new_token, xmpp_server_provide_token};

/// Reads the current event.
///
/// # Safety
///
/// `server` is null or a live handle.
pub(crate) unsafe fn current<T>(
    server: *const xmpp_server,
    none: T,
    pick: impl FnOnce(&Current) -> T,
) -> T {
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

/// The flag of the current event: resumable (`SM_ENABLED`, `CLOSED`), a
/// resumption (`BOUND`), a FAST token (`CREDENTIALS_REQUEST`, and
/// `TOKEN_USED`); false otherwise.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_flag(server: *const xmpp_server) -> bool {
    // SAFETY: passed on from the caller.
    unsafe { current(server, false, |c| c.flag) }
}

/// How many stanzas the current event lists (`ACKED`, `UNDELIVERED`) or
/// sent again (a resumption's `BOUND`); 0 otherwise.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_count(server: *const xmpp_server) -> usize {
    // SAFETY: passed on from the caller.
    unsafe { current(server, 0, |c| c.count) }
}

/// The XML of stanza `index` (from 0, oldest first) of those the current
/// event lists (`ACKED`, `UNDELIVERED`); absent past
/// [`xmpp_server_event_count`]. Ownership as [`xmpp_server_event_text`].
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_stanza(
    server: *const xmpp_server,
    index: usize,
) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(server, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.stanzas.get(index).map(String::as_str))
        })
    }
}

/// The client's XEP-0484 `count` in a `CREDENTIALS_REQUEST` that uses a
/// FAST token (as claimed, not yet verified) or in the `TOKEN_USED`
/// that follows once the token is proven (the count to record as
/// processed): true with `*count` written when it sent one; false (and
/// `*count` untouched) otherwise, a token without a count among them
/// (which [`xmpp_server_provide_token`] refuses as a replay, XEP-0484
/// §3.3).
///
/// # Safety
///
/// `server` is null or a live handle; `count` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_fast_count(
    server: *const xmpp_server,
    count: *mut u64,
) -> bool {
    // SAFETY: passed on from the caller.
    let n = unsafe { current(server, None, |c| c.fast_count) };
    match n {
        // SAFETY: the caller's promise on count.
        Some(n) => unsafe { write_out(count, n, "count") }.is_ok(),
        None => false,
    }
}

/// Whether the client asked to invalidate its XEP-0484 FAST token, in a
/// `TOKEN_USED` (the token is proven): drop the client's tokens so that
/// they never authenticate again (XEP-0484 §3.6). False for every other
/// event.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_fast_invalidate(server: *const xmpp_server) -> bool {
    // SAFETY: passed on from the caller.
    unsafe { current(server, false, |c| c.fast_invalidate) }
}

/// Whether the token of a `TOKEN_USED` was in the client's `new` slot
/// (given with [`xmpp_server_provide_new_token`]): it becomes the
/// client's `current` token, and the one it replaces is invalid from now
/// on (XEP-0484 §3.5, §5.1). False for every other event.
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_fast_new_slot(server: *const xmpp_server) -> bool {
    // SAFETY: passed on from the caller.
    unsafe { current(server, false, |c| c.fast_new_slot) }
}

/// The id of the client installation a `CREDENTIALS_REQUEST` comes from:
/// SASL2's `<user-agent id='…'/>` (XEP-0388 §2.1), which XEP-0484 issues
/// tokens to (each client has its own token slots, §4.1, §5.1). Absent
/// when the client sent none, and for every other event. Ownership as
/// [`xmpp_server_event_text`].
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_client_id(server: *const xmpp_server) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(server, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.client_id.as_deref())
        })
    }
}

/// The software name of the client a `CREDENTIALS_REQUEST` comes from
/// (SASL2 `<user-agent><software/>`, XEP-0388 §2.1), for a list of a
/// user's devices; absent when not sent, and for every other event.
/// Ownership as [`xmpp_server_event_text`].
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_client_software(server: *const xmpp_server) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(server, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.client_software.as_deref())
        })
    }
}

/// The device name of the client a `CREDENTIALS_REQUEST` comes from
/// (SASL2 `<user-agent><device/>`, XEP-0388 §2.1); absent when not sent,
/// and for every other event. Ownership as [`xmpp_server_event_text`].
///
/// # Safety
///
/// `server` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_event_client_device(server: *const xmpp_server) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(server, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.client_device.as_deref())
        })
    }
}
