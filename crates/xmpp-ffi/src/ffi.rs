//! The boundary's plumbing: the panic guard every entry point runs in,
//! and the checks that turn C arguments (raw pointers, lengths, integers)
//! into Rust values or a status, so that no argument a C caller can pass
//! leads to undefined behaviour.

use core::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::status::{Failure, Result, clear_last_error, set_last_error, xmpp_status};

/// A borrowed UTF-8 string: `ptr` to `len` bytes, not NUL-terminated.
/// `ptr` is null (and `len` 0) for an absent value. The memory belongs to
/// the library; the function that returned it says how long it lives.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct xmpp_str {
    /// The first byte, or null when the value is absent.
    pub ptr: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

impl xmpp_str {
    /// The absent value.
    pub(crate) const NONE: Self = Self {
        ptr: core::ptr::null(),
        len: 0,
    };

    /// A view of `s` (which must outlive the caller's use, as documented
    /// on each getter).
    pub(crate) fn from(s: &str) -> Self {
        Self {
            ptr: s.as_ptr().cast(),
            len: s.len(),
        }
    }

    /// A view of `s`, or the absent value.
    pub(crate) fn from_opt(s: Option<&str>) -> Self {
        s.map_or(Self::NONE, Self::from)
    }
}

/// Borrowed bytes: `ptr` to `len` bytes. `ptr` is null (and `len` 0) when
/// there are none. The memory belongs to the library; the function that
/// returned it says how long it lives.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct xmpp_bytes {
    /// The first byte, or null when there are none.
    pub ptr: *const u8,
    /// The length in bytes.
    pub len: usize,
}

impl xmpp_bytes {
    /// No bytes.
    pub(crate) const NONE: Self = Self {
        ptr: core::ptr::null(),
        len: 0,
    };

    /// A view of `b`.
    pub(crate) fn from(b: &[u8]) -> Self {
        Self {
            ptr: b.as_ptr(),
            len: b.len(),
        }
    }
}

/// Runs an entry point's body: clears the thread's last error, catches a
/// panic (which must never unwind into C), and records the failure.
pub(crate) fn guard(body: impl FnOnce() -> Result) -> xmpp_status {
    clear_last_error();
    // AssertUnwindSafe: after a panic the handle may be inconsistent; the
    // header says such a handle may only be freed.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => xmpp_status::XMPP_OK,
        Ok(Err(failure)) => {
            set_last_error(&failure);
            failure.status
        }
        Err(_) => {
            set_last_error(&Failure::new(
                xmpp_status::XMPP_PANIC,
                "the library panicked (a bug); free the handle",
            ));
            xmpp_status::XMPP_PANIC
        }
    }
}

/// Runs a getter: a panic (or a failed check) gives `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> Option<T>) -> T {
    catch_unwind(AssertUnwindSafe(body))
        .ok()
        .flatten()
        .unwrap_or(fallback)
}

/// A null-pointer failure naming the argument.
pub(crate) fn null(what: &str) -> Failure {
    Failure::new(
        xmpp_status::XMPP_INVALID_ARGUMENT,
        format!("{what} is null"),
    )
}

/// The bytes `ptr[0..len]`: empty when `len` is 0 (whatever `ptr`), an
/// error when `ptr` is null with a length, or the length is larger than
/// any object.
///
/// # Safety
///
/// When `len` is not 0 and `ptr` is not null, `ptr` must point to `len`
/// readable bytes that stay unchanged for `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null(what));
    }
    if isize::try_from(len).is_err() {
        return Err(Failure::new(
            xmpp_status::XMPP_INVALID_ARGUMENT,
            format!("{what}: length {len} is larger than any object"),
        ));
    }
    // SAFETY: ptr is non-null and u8 needs no alignment; the caller
    // promises len readable bytes alive for 'a (the header states it), and
    // len fits in isize as from_raw_parts requires.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// The UTF-8 text `ptr[0..len]`, checked as [`bytes`] and for UTF-8.
///
/// # Safety
///
/// As for [`bytes`].
pub(crate) unsafe fn text<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str> {
    // SAFETY: the caller's promise is the one `bytes` needs.
    let b = unsafe { bytes(ptr.cast(), len, what) }?;
    core::str::from_utf8(b).map_err(|e| {
        Failure::new(
            xmpp_status::XMPP_INVALID_UTF8,
            format!("{what} is not UTF-8 (at byte {})", e.valid_up_to()),
        )
    })
}

/// The 32 seed bytes behind `ptr`, or an error when it is null.
///
/// # Safety
///
/// A non-null `ptr` must point to 32 readable bytes.
pub(crate) unsafe fn seed(ptr: *const u8) -> Result<[u8; 32]> {
    // SAFETY: the caller's promise: 32 readable bytes when non-null (and
    // `bytes` refuses a null pointer with a length).
    let b = unsafe { bytes(ptr, if ptr.is_null() { 1 } else { 32 }, "seed") }?;
    b.try_into().map_err(|_| null("seed"))
}

/// The handle behind `ptr`, or an error when it is null or misaligned.
///
/// # Safety
///
/// A non-null `ptr` must come from this library's constructor for `T`
/// and not have been freed; no other reference to it may be live.
pub(crate) unsafe fn handle<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T> {
    if ptr.is_null() || !ptr.is_aligned() {
        return Err(null(what));
    }
    // SAFETY: non-null and aligned; the caller promises a live handle
    // made by Box::into_raw and exclusive access for the call.
    Ok(unsafe { &mut *ptr })
}

/// The handle behind `ptr` for reading, or `None` when null or misaligned.
///
/// # Safety
///
/// A non-null `ptr` must come from this library's constructor for `T`
/// and not have been freed; no mutable reference to it may be live.
pub(crate) unsafe fn handle_ref<'a, T>(ptr: *const T) -> Option<&'a T> {
    if ptr.is_null() || !ptr.is_aligned() {
        return None;
    }
    // SAFETY: non-null and aligned; the caller promises a live handle.
    Some(unsafe { &*ptr })
}

/// Writes `value` to the caller's `out`, or fails when it is null or
/// misaligned.
///
/// # Safety
///
/// A non-null `out` must be valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T, what: &str) -> Result {
    if out.is_null() || !out.is_aligned() {
        return Err(null(what));
    }
    // SAFETY: non-null and aligned; the caller promises it is writable.
    // `write` does not drop the (uninitialized, maybe) old value.
    unsafe { out.write(value) };
    Ok(())
}

/// Moves `value` to the heap and gives C its pointer; the matching
/// `*_free` takes it back with [`free_handle`].
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Frees a handle made by [`into_handle`]; null is ignored.
///
/// # Safety
///
/// A non-null `ptr` must come from [`into_handle`] for `T` and not have
/// been freed.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if ptr.is_null() || !ptr.is_aligned() {
        return;
    }
    // A panic in a destructor must not unwind into C.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller promises ptr came from Box::into_raw in
        // into_handle and is freed once.
        drop(unsafe { Box::from_raw(ptr) });
    }));
}
