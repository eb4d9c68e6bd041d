//! JIDs: RFC 7622 addresses (PRECIS), or legacy RFC 6122 ones
//! (stringprep), parsed into their normalized form.

use core::ffi::c_char;

use ::xmpp_jid::{Jid, LegacyJid};

use crate::ffi::{self, guard, guard_value, handle_ref, write_out, xmpp_str};
use crate::status::{Failure, xmpp_status};

/// A parsed, normalized JID. Made by [`xmpp_jid_parse`] or
/// [`xmpp_jid_parse_legacy`], freed by [`xmpp_jid_free`]; immutable, so
/// it may be read from several threads at once.
#[derive(Debug)]
pub struct xmpp_jid {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Rfc7622(Jid),
    Legacy(LegacyJid),
}

fn malformed(e: &::xmpp_jid::Error) -> Failure {
    Failure::new(xmpp_status::XMPP_STANZA_JID_MALFORMED, e.to_string()).with_kind(e.kind())
}

/// Parses `input[0..len]` as an RFC 7622 JID (PRECIS profiles, IDNA2008
/// domain labels) and stores its normalized form in `*out`.
///
/// Returns `XMPP_OK`; `XMPP_STANZA_JID_MALFORMED` for an invalid JID (the
/// RFC 6120 §8.3.3.8 condition; [`xmpp_last_error_kind`](crate::xmpp_last_error_kind)
/// names the rule, such as `localpart-disallowed`);
/// `XMPP_INVALID_UTF8`; `XMPP_INVALID_ARGUMENT` for a null `out` (or a
/// null `input` with a length). `*out` is written only on success.
///
/// Ownership: the caller owns the new handle and frees it with
/// [`xmpp_jid_free`]. `input` is only read during the call.
///
/// # Safety
///
/// `input` points to `len` readable bytes (or `len` is 0); `out` is null
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_jid_parse(
    input: *const c_char,
    len: usize,
    out: *mut *mut xmpp_jid,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on input and len.
        let s = unsafe { ffi::text(input, len, "input") }?;
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let jid = Jid::new(s).map_err(|e| malformed(&e))?;
        let h = ffi::into_handle(xmpp_jid {
            inner: Inner::Rfc7622(jid),
        });
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// Parses `input[0..len]` as a legacy RFC 6122 JID (Nodeprep, Nameprep,
/// Resourceprep), for peers that predate RFC 7622. Returns and owns as
/// [`xmpp_jid_parse`] does.
///
/// # Safety
///
/// As for [`xmpp_jid_parse`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_jid_parse_legacy(
    input: *const c_char,
    len: usize,
    out: *mut *mut xmpp_jid,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on input and len.
        let s = unsafe { ffi::text(input, len, "input") }?;
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let jid = LegacyJid::new(s).map_err(|e| malformed(&e))?;
        let h = ffi::into_handle(xmpp_jid {
            inner: Inner::Legacy(jid),
        });
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// Reads a part of a JID handle; the absent value for a null handle.
///
/// # Safety
///
/// `jid` is null or a live handle.
unsafe fn part(jid: *const xmpp_jid, pick: impl FnOnce(&Inner) -> Option<&str>) -> xmpp_str {
    guard_value(xmpp_str::NONE, || {
        // SAFETY: the caller's promise on jid.
        let j = unsafe { handle_ref(jid) }?;
        Some(xmpp_str::from_opt(pick(&j.inner)))
    })
}

/// The whole normalized JID (`juliet@example.com/balcony`).
///
/// Ownership: borrowed from `jid`, valid until [`xmpp_jid_free`]; the
/// absent value (null pointer) when `jid` is null.
///
/// # Safety
///
/// `jid` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_jid_string(jid: *const xmpp_jid) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        part(jid, |i| {
            Some(match i {
                Inner::Rfc7622(j) => j.as_str(),
                Inner::Legacy(j) => j.as_str(),
            })
        })
    }
}

/// The localpart, or the absent value (null pointer) when the JID has
/// none. Ownership as [`xmpp_jid_string`].
///
/// # Safety
///
/// `jid` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_jid_localpart(jid: *const xmpp_jid) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        part(jid, |i| match i {
            Inner::Rfc7622(j) => j.localpart(),
            Inner::Legacy(j) => j.localpart(),
        })
    }
}

/// The domainpart. Ownership as [`xmpp_jid_string`].
///
/// # Safety
///
/// `jid` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_jid_domainpart(jid: *const xmpp_jid) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        part(jid, |i| {
            Some(match i {
                Inner::Rfc7622(j) => j.domainpart(),
                Inner::Legacy(j) => j.domainpart(),
            })
        })
    }
}

/// The resourcepart, or the absent value (null pointer) for a bare JID.
/// Ownership as [`xmpp_jid_string`].
///
/// # Safety
///
/// `jid` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_jid_resourcepart(jid: *const xmpp_jid) -> xmpp_str {
    // SAFETY: passed on from the caller.
    unsafe {
        part(jid, |i| match i {
            Inner::Rfc7622(j) => j.resourcepart(),
            Inner::Legacy(j) => j.resourcepart(),
        })
    }
}

/// Frees a JID handle; null is ignored. Every string borrowed from it
/// becomes invalid.
///
/// # Safety
///
/// `jid` is null or a live handle, not used again after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_jid_free(jid: *mut xmpp_jid) {
    // SAFETY: the caller's promise on jid.
    unsafe { ffi::free_handle(jid) }
}
