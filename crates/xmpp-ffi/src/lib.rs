//! A C ABI over the workspace: JIDs (`xmpp-jid`), the stream framer
//! (`xmpp-stream`), SASL client and server sessions (`xmpp-sasl`) and the
//! c2s session machines (`xmpp-session`), behind opaque handles.
//!
//! The library does no I/O, as the crates under it do none: a C program
//! moves the bytes (a blocking socket, an event loop), the time and the
//! randomness. The header, `include/xmpp.h`, is generated from this crate
//! by `cargo xtask ffi-header`; every doc comment here is a comment there.
//!
//! # Rules of the boundary
//!
//! - Every function that can fail returns an [`xmpp_status`]: `XMPP_OK`,
//!   one of the library's own codes, or the RFC 6120 condition (stream,
//!   SASL or stanza) the failure maps to. [`xmpp_last_error_message`] gives
//!   the message of the last failure on the calling thread.
//! - A handle comes from a `*_new` or `*_parse` function and is freed by
//!   its `*_free` function, once; freeing null does nothing. Using a handle
//!   after its free is the caller's error (undefined behaviour).
//! - Strings and bytes the library returns ([`xmpp_str`], [`xmpp_bytes`])
//!   are borrowed from a handle; each getter says until when they are
//!   valid. The caller never frees them.
//! - Strings passed in are pointer and length, UTF-8 (checked: invalid
//!   UTF-8 gives `XMPP_INVALID_UTF8`); a null pointer with length 0 is the
//!   empty string. Integer arguments are checked against the documented
//!   values.
//! - No panic crosses the boundary: each entry point catches it and
//!   returns `XMPP_PANIC`; the handle may then only be freed.
//! - A handle may move between threads but not be used by two at once.

#![allow(
    non_camel_case_types,
    reason = "the C names of the types, as the header shows them"
)]
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "the C boundary needs std (catch_unwind, CString, thread_local)"
)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod client;
mod client_config;
mod client_event;
mod ffi;
mod framer;
mod jid;
mod resume;
mod sasl;
mod server;
mod server_answer;
mod server_config;
mod server_event;
mod session;
mod status;

use core::ffi::c_char;

pub use client::*;
pub use client_config::*;
pub use client_event::*;
pub use ffi::{xmpp_bytes, xmpp_str};
pub use framer::*;
pub use jid::*;
pub use resume::*;
pub use sasl::*;
pub use server::*;
pub use server_answer::*;
pub use server_config::*;
pub use server_event::*;
pub use session::{
    XMPP_CHANNEL_BINDING_NONE, XMPP_CHANNEL_BINDING_TLS_EXPORTER,
    XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT, XMPP_CHANNEL_BINDING_TLS_UNIQUE,
    XMPP_TLS_POLICY_OFF, XMPP_TLS_POLICY_OPTIONAL, XMPP_TLS_POLICY_REQUIRED, XMPP_TLS_VERSION_1_2,
    XMPP_TLS_VERSION_1_3, xmpp_channel_binding, xmpp_tls_policy, xmpp_tls_version,
};
pub use status::xmpp_status;

/// The version of the C ABI: it changes when a function's signature or
/// meaning changes or one is removed, so a program can check that the
/// library it loaded is the one it was compiled against (compare with
/// [`xmpp_abi_version`]).
///
/// 2: FAST token events come as `XMPP_CLIENT_EVENT_TOKEN_ISSUED` and
/// `XMPP_CLIENT_EVENT_TOKEN_REJECTED` (1 reported them as `OTHER`), and the
/// server's `BOUND` and `CREDENTIALS_REQUEST` events set their flag for a
/// resumed session and a FAST login.
///
/// 3: `xmpp_server_provide_token` takes the token's `expiry` and `now`,
/// and a FAST token's count is recorded on `AUTHENTICATED` (flag set,
/// `xmpp_server_event_fast_count`, `xmpp_server_event_fast_invalidate`),
/// no longer on `CREDENTIALS_REQUEST`.
///
/// 4: a FAST token's use comes as `XMPP_SERVER_EVENT_TOKEN_USED` and waits
/// for `xmpp_server_accept_token_use` (which can rotate the token) or
/// `xmpp_server_refuse_token_use` (`AUTHENTICATED` no longer carries it);
/// a client's two token slots (`xmpp_server_provide_new_token`,
/// `xmpp_server_event_fast_new_slot`) and its id
/// (`xmpp_server_event_client_id`); failed attempts come as
/// `XMPP_SERVER_EVENT_AUTH_FAILED`.
pub const XMPP_ABI_VERSION: u32 = 4;

/// The ABI version of the loaded library; compare it with the
/// `XMPP_ABI_VERSION` the program was compiled with.
#[unsafe(no_mangle)]
pub extern "C" fn xmpp_abi_version() -> u32 {
    XMPP_ABI_VERSION
}

/// The library's version (the crate version, such as `0.1.0`), a static
/// NUL-terminated string: never freed.
#[unsafe(no_mangle)]
pub extern "C" fn xmpp_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The name of a status code: the RFC condition (`not-well-formed`,
/// `not-authorized`, `jid-malformed`) or the library's own (`ok`,
/// `invalid-argument`, …), a static NUL-terminated string (never freed);
/// `unknown` for a code the library does not define.
#[unsafe(no_mangle)]
pub extern "C" fn xmpp_status_name(status: u32) -> *const c_char {
    ffi::guard_value(c"unknown".as_ptr(), || {
        Some(xmpp_status::from_u32(status)?.c_name().as_ptr())
    })
}

/// The message of the last failure of a call on this thread, a
/// NUL-terminated string owned by the library, valid until the next call
/// into the library on this thread; null when the last call succeeded.
/// Never freed by the caller.
#[unsafe(no_mangle)]
pub extern "C" fn xmpp_last_error_message() -> *const c_char {
    ffi::guard_value(core::ptr::null(), || Some(status::last_error_ptr()))
}

/// A finer kebab-case name of the last failure on this thread than its
/// code, when the layer has one (for `XMPP_STANZA_JID_MALFORMED`: the JID
/// error kind, such as `localpart-disallowed`); null otherwise. Owned by
/// the library and valid as [`xmpp_last_error_message`]'s result is.
#[unsafe(no_mangle)]
pub extern "C" fn xmpp_last_error_kind() -> *const c_char {
    ffi::guard_value(core::ptr::null(), || Some(status::last_kind_ptr()))
}
