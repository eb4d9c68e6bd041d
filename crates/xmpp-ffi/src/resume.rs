//! XEP-0198 resumption state behind a handle: what a client or server
//! machine leaves when a resumable session's connection ends (XEP-0198
//! §5), kept by the application and given to the machine of the next
//! connection. It crosses process restarts as JSON
//! ([`xmpp_resumption_json`], [`xmpp_resumption_from_json`]).

use core::ffi::c_char;

use xmpp_session::ResumptionState;

use crate::ffi::{self, guard, guard_value, handle_ref, write_out, xmpp_str};
use crate::session::stanza_list;
use crate::status::{Failure, xmpp_status};
// Entry points of other files, for the doc links (which are the
// header's comments too).
#[cfg(doc)]
#[allow(unused_imports, reason = "only the doc links use them")]
use crate::{xmpp_client_take_resumption, xmpp_server_take_resumption};

/// The largest JSON text [`xmpp_resumption_from_json`] reads: the state
/// holds the unacknowledged stanzas, which the machines bound (their
/// queue limit times the stanza limit), so a larger text is not one a
/// machine wrote.
const MAX_JSON: usize = 64 << 20;

/// A XEP-0198 session's resumption state (the SM-ID, the bound JID, both
/// counters, the stanzas the peer never acknowledged). Made by
/// [`xmpp_client_take_resumption`],
/// [`xmpp_server_take_resumption`] or
/// [`xmpp_resumption_from_json`]; freed by [`xmpp_resumption_free`]. It
/// holds no secret: the SM-ID alone resumes nothing without the
/// account's authentication (XEP-0198 §5).
#[derive(Debug)]
pub struct xmpp_resumption {
    pub(crate) state: ResumptionState,
    /// The state as JSON, made once.
    json: String,
    /// The XML of the stanzas never acknowledged, oldest first.
    unacked: Vec<String>,
}

impl xmpp_resumption {
    /// A handle for `state`, or a failure when it cannot be written as
    /// JSON (it always can: strings and integers).
    pub(crate) fn new(state: ResumptionState) -> crate::status::Result<*mut Self> {
        let json = serde_json::to_string(&state)
            .map_err(|e| Failure::new(xmpp_status::XMPP_INVALID_INPUT, format!("json: {e}")))?;
        let unacked = stanza_list(&state.unacked_stanzas());
        Ok(ffi::into_handle(Self {
            state,
            json,
            unacked,
        }))
    }
}

/// Reads a state back from the JSON text `json[0..len]` that
/// [`xmpp_resumption_json`] gave (stored by the application).
///
/// Returns `XMPP_OK`; `XMPP_INVALID_INPUT` for text that is not such a
/// state; `XMPP_INVALID_UTF8`; `XMPP_INVALID_ARGUMENT` (null `out`).
/// Stanzas in it that no longer parse (only a tampered text has them) are
/// dropped when a machine uses it.
///
/// Ownership: the caller owns `*out` and frees it with
/// [`xmpp_resumption_free`]; `json` is copied.
///
/// # Safety
///
/// `json` points to `len` readable bytes (or `len` is 0); `out` is null
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_resumption_from_json(
    json: *const c_char,
    len: usize,
    out: *mut *mut xmpp_resumption,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on json and len.
        let text = unsafe { ffi::text(json, len, "json") }?;
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        if text.len() > MAX_JSON {
            return Err(Failure::new(
                xmpp_status::XMPP_INVALID_INPUT,
                format!("json: {} bytes, more than {MAX_JSON}", text.len()),
            ));
        }
        let state: ResumptionState = serde_json::from_str(text)
            .map_err(|e| Failure::new(xmpp_status::XMPP_INVALID_INPUT, format!("json: {e}")))?;
        let h = xmpp_resumption::new(state)?;
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// Reads a field of a state.
///
/// # Safety
///
/// `state` is null or a live handle.
unsafe fn field<T>(
    state: *const xmpp_resumption,
    none: T,
    pick: impl FnOnce(&xmpp_resumption) -> T,
) -> T {
    guard_value(none, || {
        // SAFETY: the caller's promise on state.
        let s = unsafe { handle_ref(state) }?;
        Some(pick(s))
    })
}

/// The state as JSON text (UTF-8), to store and later read with
/// [`xmpp_resumption_from_json`]; absent for a null handle. Borrowed from
/// `state`, valid until it is freed.
///
/// # Safety
///
/// `state` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_resumption_json(state: *const xmpp_resumption) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe { field(state, xmpp_str::NONE, |s| xmpp_str::from(&s.json)) }
}

/// The SM-ID (the `previd` of the resumption request). Ownership as
/// [`xmpp_resumption_json`].
///
/// # Safety
///
/// `state` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_resumption_id(state: *const xmpp_resumption) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe { field(state, xmpp_str::NONE, |s| xmpp_str::from(s.state.id())) }
}

/// The full JID the session was bound to. Ownership as
/// [`xmpp_resumption_json`].
///
/// # Safety
///
/// `state` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_resumption_jid(state: *const xmpp_resumption) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe { field(state, xmpp_str::NONE, |s| xmpp_str::from(s.state.jid())) }
}

/// How many stanzas the peer sent that this side handled (the `h` of the
/// resumption request); 0 for a null handle.
///
/// # Safety
///
/// `state` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_resumption_handled(state: *const xmpp_resumption) -> u32 {
    // SAFETY: passed on from the caller.
    unsafe { field(state, 0, |s| s.state.handled()) }
}

/// How many stanzas the peer never acknowledged (sent again when the
/// session resumes); 0 for a null handle.
///
/// # Safety
///
/// `state` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_resumption_unacked_count(state: *const xmpp_resumption) -> usize {
    // SAFETY: passed on from the caller.
    unsafe { field(state, 0, |s| s.unacked.len()) }
}

/// The XML of unacknowledged stanza `index` (from 0, oldest first):
/// what a server bounces, stores or redelivers when the client does not
/// come back (XEP-0198 §5); absent past
/// [`xmpp_resumption_unacked_count`]. Ownership as
/// [`xmpp_resumption_json`].
///
/// # Safety
///
/// `state` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_resumption_unacked_stanza(
    state: *const xmpp_resumption,
    index: usize,
) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        field(state, xmpp_str::NONE, |s| {
            xmpp_str::from_opt(s.unacked.get(index).map(String::as_str))
        })
    }
}

/// Frees a state; null is ignored.
///
/// # Safety
///
/// `state` is null or a live handle, not used again after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_resumption_free(state: *mut xmpp_resumption) {
    // SAFETY: the caller's promise on state.
    unsafe { ffi::free_handle(state) }
}
