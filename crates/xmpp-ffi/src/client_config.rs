//! A client's configuration behind a handle, for what
//! [`xmpp_client_new`]'s arguments do not cover:
//! the resource, SASL2, the allowed mechanisms, a XEP-0198 session to
//! resume, a XEP-0484 FAST token. Made once, it can start any number of
//! clients ([`xmpp_client_new_with_config`]).

use core::ffi::c_char;

use xmpp_jid::ResourcePart;
use xmpp_sasl::Mechanism;
use xmpp_session::{ClientConfig, FastToken};
use xmpp_stanza::UserAgent;

use crate::client::{account, new_handle, xmpp_client};
use crate::ffi::{self, guard, handle, handle_ref, write_out};
use crate::framer::xmpp_transport;
use crate::resume::xmpp_resumption;
use crate::session::{tls_policy, transport, xmpp_tls_policy};
use crate::status::{Failure, Result, xmpp_status};
// Entry points of other files, for the doc links (which are the
// header's comments too).
#[cfg(doc)]
#[allow(unused_imports, reason = "only the doc links use them")]
use crate::{
    xmpp_client_free, xmpp_client_new, xmpp_client_take_resumption, xmpp_resumption_from_json,
};

/// A client's configuration. Made by [`xmpp_client_config_new`], changed
/// by the `xmpp_client_config_set_*` functions, used by
/// [`xmpp_client_new_with_config`] (which copies it), freed by
/// [`xmpp_client_config_free`]. The password and token in it are
/// zeroized when it is freed.
#[derive(Debug)]
pub struct xmpp_client_config {
    config: ClientConfig,
}

/// Makes a configuration for the account `jid[0..jid_len]` (a bare JID)
/// with `password[0..password_len]` (may be empty when a FAST token is
/// set), `tls` an `XMPP_TLS_POLICY_*`, `transport` `XMPP_TRANSPORT_TCP` or
/// `XMPP_TRANSPORT_WEBSOCKET`; the rest as [`xmpp_client_new`] has it
/// (the server picks the resource, SASL2 when offered, every mechanism a
/// password completes, XEP-0198 with resumption, a FAST token asked for
/// when the server offers FAST).
///
/// Returns as [`xmpp_client_new`].
///
/// Ownership: the caller owns `*out` and frees it with
/// [`xmpp_client_config_free`]; the arguments are copied.
///
/// # Safety
///
/// `jid` and `password` point to their lengths' readable bytes (or the
/// length is 0); `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_new(
    jid: *const c_char,
    jid_len: usize,
    password: *const c_char,
    password_len: usize,
    tls: xmpp_tls_policy,
    transport: xmpp_transport,
    out: *mut *mut xmpp_client_config,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on each pointer and length.
        let (jid, password) = unsafe {
            (
                ffi::text(jid, jid_len, "jid")?,
                ffi::text(password, password_len, "password")?,
            )
        };
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let config = ClientConfig::new(account(jid)?, password)
            .tls(tls_policy(tls)?)
            .transport(self::transport(transport)?);
        let h = ffi::into_handle(xmpp_client_config { config });
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// Runs a change on a configuration.
///
/// # Safety
///
/// `config` is null or a live handle.
unsafe fn with_config(
    config: *mut xmpp_client_config,
    body: impl FnOnce(&mut ClientConfig) -> Result,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promise on config.
        let c = unsafe { handle(config, "config") }?;
        body(&mut c.config)
    })
}

/// The resourcepart to ask for, `resource[0..len]` (RFC 6120 §7.7); the
/// empty string lets the server pick (the default). A server may still
/// assign another (RFC 6120 §7.7.2.2): `XMPP_CLIENT_EVENT_BOUND` says
/// which. Returns `XMPP_OK`; `XMPP_STANZA_JID_MALFORMED` for a resource
/// RFC 7622 §3.4 refuses; `XMPP_INVALID_UTF8`.
///
/// # Safety
///
/// `config` is null or a live handle; `resource` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_set_resource(
    config: *mut xmpp_client_config,
    resource: *const c_char,
    len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promise on resource and len.
    let resource = unsafe { ffi::text(resource, len, "resource") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_config(config, |c| {
            let resource = resource?;
            if resource.is_empty() {
                c.resource = None;
                return Ok(());
            }
            let part = ResourcePart::new(resource).map_err(|e| {
                Failure::new(xmpp_status::XMPP_STANZA_JID_MALFORMED, e.to_string())
                    .with_kind(e.kind())
            })?;
            c.resource = Some(part.as_str().to_owned());
            Ok(())
        })
    }
}

/// The SASL2 `<user-agent/>` (XEP-0388 §2.1): `id[0..id_len]`, a UUID v4
/// stable for the installation, and the names of the software and of the
/// device; an empty string leaves a field out, and three empty strings
/// remove the user agent (the default). FAST needs the id (XEP-0484 §4.1:
/// the server keeps tokens per installation): without one, no token is
/// asked for or used. Returns `XMPP_OK`; `XMPP_INVALID_UTF8`.
///
/// # Safety
///
/// `config` is null or a live handle; each string points to its length's
/// readable bytes (or the length is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_set_user_agent(
    config: *mut xmpp_client_config,
    id: *const c_char,
    id_len: usize,
    software: *const c_char,
    software_len: usize,
    device: *const c_char,
    device_len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promise on each string and its length.
    let fields = unsafe {
        [
            ffi::text(id, id_len, "id"),
            ffi::text(software, software_len, "software"),
            ffi::text(device, device_len, "device"),
        ]
    };
    // SAFETY: passed on from the caller.
    unsafe {
        with_config(config, |c| {
            let [id, software, device] = fields;
            let given = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            let agent = UserAgent {
                id: given(id?),
                software: given(software?),
                device: given(device?),
            };
            let empty = agent.id.is_none() && agent.software.is_none() && agent.device.is_none();
            c.user_agent = (!empty).then_some(agent);
            Ok(())
        })
    }
}

/// Whether to use XEP-0388 SASL2 (with XEP-0386 Bind2, inline XEP-0198
/// and XEP-0484 FAST) when the server offers it; on by default. Off, the
/// client authenticates with RFC 6120 SASL and binds after the restart.
///
/// # Safety
///
/// `config` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_set_sasl2(
    config: *mut xmpp_client_config,
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

/// The SASL mechanisms the client may use, `names[0..len]`: registered
/// names separated by spaces (`"SCRAM-SHA-256-PLUS SCRAM-SHA-256"`); the
/// client still picks the strongest the server offers among them. The
/// empty string allows every one a password completes (the default).
/// Returns `XMPP_OK`; `XMPP_INVALID_INPUT` for a name the library does
/// not implement (the configuration is then unchanged).
///
/// # Safety
///
/// `config` is null or a live handle; `names` points to `len` readable
/// bytes (or `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_set_mechanisms(
    config: *mut xmpp_client_config,
    names: *const c_char,
    len: usize,
) -> xmpp_status {
    // SAFETY: the caller's promise on names and len.
    let names = unsafe { ffi::text(names, len, "names") };
    // SAFETY: passed on from the caller.
    unsafe {
        with_config(config, |c| {
            let mechanisms = mechanism_list(names?)?;
            c.mechanisms = mechanisms;
            Ok(())
        })
    }
}

/// The mechanisms named in a space-separated list.
fn mechanism_list(names: &str) -> Result<Vec<Mechanism>> {
    let mut list = Vec::new();
    for name in names.split_ascii_whitespace() {
        let m = Mechanism::from_name(name).ok_or_else(|| {
            Failure::new(
                xmpp_status::XMPP_INVALID_INPUT,
                format!("unknown SASL mechanism {name:?}"),
            )
        })?;
        if !list.contains(&m) {
            list.push(m);
        }
    }
    Ok(list)
}

/// Never send the password in PLAIN, not even under TLS nor when the
/// mechanism list names it (`ClientConfig::refuse_plain`); off by
/// default. Set it where the server's certificate is not checked: whoever
/// ends the TLS can otherwise offer only PLAIN and read the password.
///
/// # Safety
///
/// `config` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_set_refuse_plain(
    config: *mut xmpp_client_config,
    on: bool,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_config(config, |c| {
            c.refuse_plain = on;
            Ok(())
        })
    }
}

/// Whether a `-PLUS` exchange whose binding type the client had to guess
/// (the server listed none, XEP-0440) that fails is tried once more
/// without binding (gs2 flag `y`, RFC 5802 §6); on by default. A server
/// that binds refuses `y`, so a man in the middle gains nothing.
///
/// # Safety
///
/// `config` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_set_fallback_unbound(
    config: *mut xmpp_client_config,
    on: bool,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_config(config, |c| {
            c.fallback_unbound = on;
            Ok(())
        })
    }
}

/// A XEP-0198 session to resume instead of binding (XEP-0198 §5): the
/// state a client of the same account left
/// ([`xmpp_client_take_resumption`], or read back with
/// [`xmpp_resumption_from_json`]); null
/// clears it. The client authenticates, then asks to resume: on
/// `XMPP_CLIENT_EVENT_RESUMED` the stanzas the server had not handled
/// were sent again; on `XMPP_CLIENT_EVENT_RESUME_FAILED` it binds a new
/// resource and the event lists the stanzas never acknowledged.
///
/// Ownership: `state` is copied; the caller still frees it.
///
/// # Safety
///
/// `config` is null or a live handle; `state` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_set_resume(
    config: *mut xmpp_client_config,
    state: *const xmpp_resumption,
) -> xmpp_status {
    // SAFETY: the caller's promise on state.
    let state = unsafe { handle_ref(state) }.map(|s| s.state.clone());
    // SAFETY: passed on from the caller.
    unsafe {
        with_config(config, |c| {
            c.resume = state;
            Ok(())
        })
    }
}

/// A XEP-0484 FAST token to authenticate with instead of the password:
/// `mechanism[0..mechanism_len]` the HT mechanism it was issued for
/// (`XMPP_CLIENT_EVENT_TOKEN_ISSUED`'s text, such as `HT-SHA-256-EXPR`),
/// `token[0..token_len]` the secret, `count` the attempt counter to send
/// (XEP-0484 §3.4: store `count + 1` before each connection that uses the
/// token, so that no value is sent twice; a new token's first use sends
/// 1). When the server refuses it (`XMPP_CLIENT_EVENT_TOKEN_REJECTED`)
/// the client goes on with the password, if it has one.
///
/// Returns `XMPP_OK`; `XMPP_INVALID_INPUT` for a mechanism that is not an
/// HT one; `XMPP_INVALID_UTF8`.
///
/// Ownership: copied (and zeroized with the configuration).
///
/// # Safety
///
/// `config` is null or a live handle; `mechanism` and `token` point to
/// their lengths' readable bytes (or the length is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_set_fast_token(
    config: *mut xmpp_client_config,
    mechanism: *const c_char,
    mechanism_len: usize,
    token: *const c_char,
    token_len: usize,
    count: u64,
) -> xmpp_status {
    // SAFETY: the caller's promises on each pointer and length.
    let args = unsafe {
        (
            ffi::text(mechanism, mechanism_len, "mechanism"),
            ffi::text(token, token_len, "token"),
        )
    };
    // SAFETY: passed on from the caller.
    unsafe {
        with_config(config, |c| {
            let (name, token) = (args.0?, args.1?);
            let mechanism = Mechanism::from_name(name)
                .filter(|m| matches!(m, Mechanism::Ht { .. }))
                .ok_or_else(|| {
                    Failure::new(
                        xmpp_status::XMPP_INVALID_INPUT,
                        format!("{name:?} is not a FAST (HT-*) mechanism"),
                    )
                })?;
            c.fast_token = Some(FastToken::new(mechanism, token, count));
            Ok(())
        })
    }
}

/// Whether to ask for a FAST token when the server offers FAST and none
/// is used (XEP-0484 §3.2); on by default. The token comes as
/// `XMPP_CLIENT_EVENT_TOKEN_ISSUED`.
///
/// # Safety
///
/// `config` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_set_request_fast_token(
    config: *mut xmpp_client_config,
    on: bool,
) -> xmpp_status {
    // SAFETY: passed on from the caller.
    unsafe {
        with_config(config, |c| {
            c.request_fast_token = on;
            Ok(())
        })
    }
}

/// Makes a client from `config` (copied: the configuration may be
/// changed, reused or freed afterwards) that opens its stream at
/// `now_ms`; `seed` points to 32 random bytes from a CSPRNG.
///
/// Returns `XMPP_OK`; `XMPP_INVALID_ARGUMENT` (a null config, seed or
/// out).
///
/// Ownership: the caller owns `*out` and frees it with
/// [`xmpp_client_free`].
///
/// # Safety
///
/// `config` is null or a live handle; `seed` is null or points to 32
/// readable bytes; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_new_with_config(
    config: *const xmpp_client_config,
    seed: *const u8,
    now_ms: u64,
    out: *mut *mut xmpp_client,
) -> xmpp_status {
    guard(|| {
        // SAFETY: the caller's promises on config and seed.
        let (config, seed) = unsafe { (handle_ref(config), ffi::seed(seed)?) };
        let config = config.ok_or_else(|| ffi::null("config"))?;
        if out.is_null() {
            return Err(ffi::null("out"));
        }
        let h = new_handle(config.config.clone(), seed, now_ms);
        // SAFETY: the caller's promise on out.
        unsafe { write_out(out, h, "out") }
    })
}

/// Frees a configuration (zeroizing its password and token); null is
/// ignored.
///
/// # Safety
///
/// `config` is null or a live handle, not used again after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn xmpp_client_config_free(config: *mut xmpp_client_config) {
    // SAFETY: the caller's promise on config.
    unsafe { ffi::free_handle(config) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanism_lists_parse_and_refuse_unknown_names() {
        let list = mechanism_list(" SCRAM-SHA-256-PLUS  SCRAM-SHA-256 SCRAM-SHA-256").unwrap();
        assert_eq!(list.len(), 2);
        assert!(mechanism_list("").unwrap().is_empty());
        let e = mechanism_list("SCRAM-SHA-256 DIGEST-MD5").unwrap_err();
        assert_eq!(e.status, xmpp_status::XMPP_INVALID_INPUT);
    }
}
