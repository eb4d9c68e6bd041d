//! The getters of a client's current event (the one the last
//! [`xmpp_client_poll_event`] returned):
//! what each `XMPP_CLIENT_EVENT_*` carries, borrowed from the handle
//! until the next poll or free.

use crate::client::{Current, xmpp_client};
use crate::ffi::{guard_value, handle_ref, xmpp_bytes, xmpp_str};
// Entry points of other files, for the doc links (which are the
// header's comments too).
#[cfg(doc)]
#[allow(unused_imports, reason = "only the doc links use them")]
use crate::xmpp_client_poll_event;

/// Reads the current event.
///
/// # Safety
///
/// `client` is null or a live handle.
pub(crate) unsafe fn current<T>(
    client: *const xmpp_client,
    none: T,
    pick: impl FnOnce(&Current) -> T,
) -> T {
    guard_value(none, || {
        // SAFETY: the caller's promise on client.
        let c = unsafe { handle_ref(client) }?;
        Some(pick(&c.current))
    })
}

/// The current event's text: the mechanism (`AUTHENTICATED`), the full
/// JID (`BOUND`, `RESUMED`), the condition (`STREAM_ERROR`); absent
/// otherwise. Borrowed from `client`, valid until the next poll or free.
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_event_text(client: *const xmpp_client) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(client, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.text.as_deref())
        })
    }
}

/// The current event's second text: the channel-binding type
/// (`AUTHENTICATED` with a `-PLUS` mechanism), the expiry
/// (`TOKEN_ISSUED`); absent otherwise. Ownership as
/// [`xmpp_client_event_text`].
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_event_detail(client: *const xmpp_client) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(client, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.detail.as_deref())
        })
    }
}

/// The FAST token of the current `TOKEN_ISSUED` event, absent otherwise:
/// a secret, to store as the password would be. Borrowed from `client`,
/// valid until the next poll or free (then zeroized).
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_event_token(client: *const xmpp_client) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(client, xmpp_str::NONE, |c| {
            if c.token.0.is_empty() {
                xmpp_str::NONE
            } else {
                xmpp_str::from(&c.token.0)
            }
        })
    }
}

/// How many stanzas the current event lists (`ACKED`, `RESUME_FAILED`)
/// or sent again (`RESUMED`); 0 otherwise.
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_event_count(client: *const xmpp_client) -> usize {
    // SAFETY: passed on from the caller.
    unsafe { current(client, 0, |c| c.count) }
}

/// The XML of stanza `index` (from 0, oldest first) of those the current
/// event lists (`ACKED`, `RESUME_FAILED`); absent for an index past
/// [`xmpp_client_event_count`]. Ownership as [`xmpp_client_event_text`].
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_event_stanza(
    client: *const xmpp_client,
    index: usize,
) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(client, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.stanzas.get(index).map(String::as_str))
        })
    }
}

/// The current stanza's XML (`STANZA`), absent otherwise. Ownership as
/// [`xmpp_client_event_text`].
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_event_xml(client: *const xmpp_client) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(client, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.stanza.xml.as_deref())
        })
    }
}

/// The current stanza's `from` (`STANZA`), absent when it has none.
/// Ownership as [`xmpp_client_event_text`].
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_event_from(client: *const xmpp_client) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(client, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.stanza.from.as_deref())
        })
    }
}

/// The current message's `<body/>` (`STANZA`, a message with one),
/// absent otherwise. Ownership as [`xmpp_client_event_text`].
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_event_body(client: *const xmpp_client) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        current(client, xmpp_str::NONE, |c| {
            xmpp_str::from_opt(c.stanza.body.as_deref())
        })
    }
}

/// The bytes of the current `START_TLS` event (TLS records that came
/// after `<proceed/>`: feed them to the TLS layer first). Ownership as
/// [`xmpp_client_event_text`].
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_event_bytes(client: *const xmpp_client) -> xmpp_bytes {
    // SAFETY: passed on from the caller.
    unsafe {
        current(client, xmpp_bytes::NONE, |c| {
            if c.bytes.is_empty() {
                xmpp_bytes::NONE
            } else {
                xmpp_bytes::from(&c.bytes)
            }
        })
    }
}

/// The flag of the current event: resumable (`SM_ENABLED`, `CLOSED`);
/// false otherwise or for a null handle.
///
/// # Safety
///
/// `client` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_event_flag(client: *const xmpp_client) -> bool {
    // SAFETY: passed on from the caller.
    unsafe { current(client, false, |c| c.flag) }
}
