//! A server's configuration behind a handle, shared by every connection
//! a listener accepts, for what [`xmpp_server_new`]'s
//! arguments do not cover: XEP-0484 FAST and XEP-0388 SASL2.

use core::ffi::c_char;
use std::sync::Arc;

use xmpp_sasl::{HtBinding, Mechanism};
use xmpp_session::ServerConfig;

use crate::ffi::{self, guard, handle, handle_ref, write_out};
use crate::framer::xmpp_transport;
use crate::server::{PASSWORD_MECHANISMS, base_config, new_handle, xmpp_server};
use crate::session::xmpp_tls_policy;
use crate::status::{Result, xmpp_status};
// Entry points of other files, for the doc links (which are the
// header's comments too).
#[cfg(doc)]
#[allow(unused_imports, reason = "only the doc links use them")]
use crate::{xmpp_server_free, xmpp_server_new};

/// The HT mechanisms FAST offers: each runs only where the TLS layer gave
/// its binding data (`-NONE` everywhere).
const FAST_MECHANISMS: [Mechanism; 4] = [
    Mechanism::Ht {
        binding: HtBinding::Exporter,
    },
    Mechanism::Ht {
        binding: HtBinding::EndPoint,
    },
    Mechanism::Ht {
        binding: HtBinding::Unique,
    },
    Mechanism::Ht {
        binding: HtBinding::None,
    },
];

/// A server's configuration, shared (not copied) by the connections
/// made from it. Made by [`xmpp_server_config_new`], changed by the
/// `xmpp_server_config_set_*` functions (which do not change connections
/// already made), used by [`xmpp_server_new_with_config`], freed by
/// [`xmpp_server_config_free`] (the connections keep what they share).
#[derive(Debug)]
pub struct xmpp_server_config {
    config: Arc<ServerConfig>,
}

/// Makes a configuration as [`xmpp_server_new`]
/// describes it (the same arguments, less the seed and the time): SASL2
/// offered, FAST not.
///
/// Returns `XMPP_OK`; `XMPP_INVALID_INPUT` for a short secret;
/// `XMPP_INVALID_UTF8`; `XMPP_INVALID_ARGUMENT`.
///
/// Ownership: the caller owns `*out` and frees it with
/// [`xmpp_server_config_free`]; the arguments are copied.
///
/// # Safety
///
/// `domain` and `secret` point to their lengths' readable bytes (or the
/// length is 0); `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_config_new(
    domain: *const c_char,
    domain_len: usize,
    secret: *const u8,
    secret_len: usize,
    tls: xmpp_tls_policy,
    transport: xmpp_transport,
    out: *mut *mut xmpp_server_config,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on each pointer and length.
        let (domain, secret) = unsafe {
            (
                ffi::text(domain, domain_len, "domain")?,
                ffi::bytes(secret, secret_len, "secret")?,
            )
        };
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let config = Arc::new(base_config(domain, secret, tls, transport)?);
        let h = ffi::into_handle(xmpp_server_config { config });
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// Runs a change on a configuration (copied first when connections share
/// it, so that theirs does not change).
///
/// # Safety
///
/// `config` is null or a live handle.
unsafe fn with_config(
    config: *mut xmpp_server_config,
    body: impl FnOnce(&mut ServerConfig) -> Result,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on config.
        let c = unsafe { handle(config, "config") }?;
        body(Arc::make_mut(&mut c.config))
    })
}

/// Whether to offer XEP-0484 FAST (off by default): the HT-SHA-256
/// mechanisms whose binding data the connection has, inside SASL2. A
/// client then asks for a token (`XMPP_SERVER_EVENT_TOKEN_REQUEST`) and
/// logs in with it later (`XMPP_SERVER_EVENT_CREDENTIALS_REQUEST` with
/// the flag set).
///
/// # Safety
///
/// `config` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_config_set_fast(
    config: *mut xmpp_server_config,
    on: bool,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_config(config, |c| {
            c.mechanisms = PASSWORD_MECHANISMS.to_vec();
            if on {
                c.mechanisms.extend(FAST_MECHANISMS);
            }
            Ok(())
        })
    }
}

/// Whether to offer XEP-0388 SASL2 (with XEP-0386 Bind2, inline XEP-0198
/// and FAST); on by default. Off, clients use RFC 6120 SASL and bind
/// after the restart, and FAST is not offered.
///
/// # Safety
///
/// `config` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_config_set_sasl2(
    config: *mut xmpp_server_config,
    on: bool,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_config(config, |c| {
            c.sasl2 = on;
            Ok(())
        })
    }
}

/// Makes a server connection from `config` (shared: a later change or
/// free of the configuration does not affect it) that starts at
/// `now_ms`; `seed` points to 32 random bytes.
///
/// Returns `XMPP_OK`; `XMPP_INVALID_ARGUMENT` (a null config, seed or
/// out).
///
/// Ownership: the caller owns `*out` and frees it with
/// [`xmpp_server_free`].
///
/// # Safety
///
/// `config` is null or a live handle; `seed` is null or points to 32
/// readable bytes; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_new_with_config(
    config: *const xmpp_server_config,
    seed: *const u8,
    now_ms: u64,
    out: *mut *mut xmpp_server,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on config and seed.
        let (config, seed) = unsafe { (handle_ref(config), ffi::seed(seed)?) };
        let config = config.ok_or_else(|| ffi::null("config"))?;
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let h = new_handle(Arc::clone(&config.config), seed, now_ms);
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// Frees a configuration; null is ignored. Connections made from it keep
/// working.
///
/// # Safety
///
/// `config` is null or a live handle, not used again after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_server_config_free(config: *mut xmpp_server_config) {
    // SAFETY: the caller's promise on config.
    unsafe { ffi::free_handle(config) }
}
