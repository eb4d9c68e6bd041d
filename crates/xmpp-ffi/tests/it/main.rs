//! The C ABI called from Rust, as a C caller would call it: hostile
//! arguments (null pointers, zero lengths, invalid UTF-8, unknown integer
//! values) give status codes, never undefined behaviour, and the status
//! names and messages say what happened. `cargo xtask ffi` runs the C
//! side (tests/c/test.c) under valgrind.

#![allow(unsafe_code, reason = "the tests call the C ABI")]
#![allow(
    clippy::undocumented_unsafe_blocks,
    reason = "each call passes live handles and valid buffers or the null pointers under test"
)]

use core::ffi::CStr;
use core::ptr;

use xmpp_ffi::*;

fn text(s: xmpp_str) -> Option<String> {
    if s.ptr.is_null() {
        return None;
    }
    let bytes = unsafe { core::slice::from_raw_parts(s.ptr.cast::<u8>(), s.len) };
    Some(String::from_utf8(bytes.to_vec()).expect("UTF-8"))
}

fn last_message() -> String {
    let p = xmpp_last_error_message();
    assert!(!p.is_null(), "a failure leaves a message");
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

#[test]
fn version_and_names() {
    assert_eq!(xmpp_abi_version(), XMPP_ABI_VERSION);
    let v = unsafe { CStr::from_ptr(xmpp_version()) };
    assert_eq!(v.to_str(), Ok(env!("CARGO_PKG_VERSION")));
    let name = |s: xmpp_status| unsafe { CStr::from_ptr(xmpp_status_name(s as u32)) };
    assert_eq!(name(xmpp_status::XMPP_OK), c"ok");
    assert_eq!(
        name(xmpp_status::XMPP_STREAM_RESTRICTED_XML),
        c"restricted-xml"
    );
    assert_eq!(
        name(xmpp_status::XMPP_SASL_NOT_AUTHORIZED),
        c"not-authorized"
    );
    assert_eq!(
        name(xmpp_status::XMPP_STANZA_JID_MALFORMED),
        c"jid-malformed"
    );
    assert_eq!(
        unsafe { CStr::from_ptr(xmpp_status_name(99_999)) },
        c"unknown"
    );
}

#[test]
fn jid_parse_and_hostile_arguments() {
    let mut jid = ptr::null_mut();
    let input = "Juliet@Example.COM/Balcony";
    let st = unsafe { xmpp_jid_parse(input.as_ptr().cast(), input.len(), &mut jid) };
    assert_eq!(st, xmpp_status::XMPP_OK);
    assert!(
        xmpp_last_error_message().is_null(),
        "success clears the error"
    );
    unsafe {
        assert_eq!(
            text(xmpp_jid_string(jid)).as_deref(),
            Some("juliet@example.com/Balcony")
        );
        assert_eq!(text(xmpp_jid_localpart(jid)).as_deref(), Some("juliet"));
        assert_eq!(text(xmpp_jid_resourcepart(jid)).as_deref(), Some("Balcony"));
        xmpp_jid_free(jid);
        xmpp_jid_free(ptr::null_mut());
        assert_eq!(text(xmpp_jid_string(ptr::null())), None);
    }

    let mut jid = ptr::null_mut();
    let bad = b"a\xff@example.com";
    let st = unsafe { xmpp_jid_parse(bad.as_ptr().cast(), bad.len(), &mut jid) };
    assert_eq!(st, xmpp_status::XMPP_INVALID_UTF8);
    assert!(last_message().contains("UTF-8"), "{}", last_message());
    assert!(jid.is_null(), "out untouched on failure");
    let st = unsafe { xmpp_jid_parse(ptr::null(), 3, &mut jid) };
    assert_eq!(st, xmpp_status::XMPP_INVALID_ARGUMENT);
    let st = unsafe { xmpp_jid_parse(ptr::null(), 0, &mut jid) };
    assert_eq!(st, xmpp_status::XMPP_STANZA_JID_MALFORMED);
    let st = unsafe { xmpp_jid_parse(c"a@b".as_ptr(), 3, ptr::null_mut()) };
    assert_eq!(st, xmpp_status::XMPP_INVALID_ARGUMENT);
    let st = unsafe { xmpp_jid_parse(ptr::dangling(), usize::MAX, &mut jid) };
    assert_eq!(
        st,
        xmpp_status::XMPP_INVALID_ARGUMENT,
        "a length larger than any object"
    );

    let input = "\"juliet\"@example.com";
    let st = unsafe { xmpp_jid_parse(input.as_ptr().cast(), input.len(), &mut jid) };
    assert_eq!(st, xmpp_status::XMPP_STANZA_JID_MALFORMED);
    let kind = unsafe { CStr::from_ptr(xmpp_last_error_kind()) };
    assert_eq!(kind, c"localpart-forbidden-character");
}

#[test]
fn framer_errors_are_stream_conditions() {
    let mut f = ptr::null_mut();
    assert_eq!(
        unsafe { xmpp_framer_new(42, &mut f) },
        xmpp_status::XMPP_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { xmpp_framer_new(XMPP_TRANSPORT_TCP, &mut f) },
        xmpp_status::XMPP_OK
    );
    let bytes = b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><?pi?>";
    let mut kind = xmpp_frame_kind::XMPP_FRAME_NONE;
    unsafe {
        assert_eq!(
            xmpp_framer_feed(f, bytes.as_ptr(), bytes.len()),
            xmpp_status::XMPP_OK
        );
        assert_eq!(xmpp_framer_next(f, &mut kind), xmpp_status::XMPP_OK);
        assert_eq!(kind, xmpp_frame_kind::XMPP_FRAME_STREAM_OPEN);
        assert_eq!(text(xmpp_framer_event_name(f)).as_deref(), Some("stream"));
        assert_eq!(
            xmpp_framer_next(f, &mut kind),
            xmpp_status::XMPP_STREAM_RESTRICTED_XML
        );
        assert_eq!(
            text(xmpp_framer_event_name(f)),
            None,
            "no event after an error"
        );
        assert_eq!(xmpp_framer_feed(f, ptr::null(), 0), xmpp_status::XMPP_OK);
        assert_eq!(
            xmpp_framer_feed(ptr::null_mut(), ptr::null(), 0),
            xmpp_status::XMPP_INVALID_ARGUMENT
        );
        assert_eq!(
            xmpp_framer_next(f, ptr::null_mut()),
            xmpp_status::XMPP_INVALID_ARGUMENT
        );
        xmpp_framer_free(f);
        xmpp_framer_free(ptr::null_mut());
    }
}

#[test]
fn sasl_scram_round_trip() {
    let (mut c, mut s) = (ptr::null_mut(), ptr::null_mut());
    let offered = "SCRAM-SHA-1 SCRAM-SHA-256";
    let nonce = "fyko+d2lbbFgONRv9qkxdawL";
    let secret = [7u8; 32];
    unsafe {
        let st = xmpp_sasl_client_new(
            offered.as_ptr().cast(),
            offered.len(),
            c"user".as_ptr(),
            4,
            c"pencil".as_ptr(),
            6,
            nonce.as_ptr().cast(),
            nonce.len(),
            &mut c,
        );
        assert_eq!(st, xmpp_status::XMPP_OK);
        let mech = xmpp_sasl_client_mechanism(c);
        assert_eq!(text(mech).as_deref(), Some("SCRAM-SHA-256"));
        let st = xmpp_sasl_server_new(
            mech.ptr,
            mech.len,
            secret.as_ptr(),
            32,
            ptr::null(),
            0,
            &mut s,
        );
        assert_eq!(st, xmpp_status::XMPP_OK);
        let mut cs = xmpp_sasl_step::XMPP_SASL_SEND;
        let mut ss = xmpp_sasl_step::XMPP_SASL_CHALLENGE;
        assert_eq!(
            xmpp_sasl_client_step(c, ptr::null(), 0, &mut cs),
            xmpp_status::XMPP_OK
        );
        let out = xmpp_sasl_client_output(c);
        assert_eq!(
            xmpp_sasl_server_step(s, out.ptr, out.len, &mut ss),
            xmpp_status::XMPP_OK
        );
        assert_eq!(ss, xmpp_sasl_step::XMPP_SASL_NEED_CREDENTIALS);
        assert_eq!(text(xmpp_sasl_server_authcid(s)).as_deref(), Some("user"));
        let salt = b"0123456789abcdef";
        let st =
            xmpp_sasl_server_password(s, c"pencil".as_ptr(), 6, salt.as_ptr(), 16, 4096, &mut ss);
        assert_eq!(st, xmpp_status::XMPP_OK);
        assert_eq!(ss, xmpp_sasl_step::XMPP_SASL_CHALLENGE);
        let out = xmpp_sasl_server_output(s);
        assert_eq!(
            xmpp_sasl_client_step(c, out.ptr, out.len, &mut cs),
            xmpp_status::XMPP_OK
        );
        let out = xmpp_sasl_client_output(c);
        assert_eq!(
            xmpp_sasl_server_step(s, out.ptr, out.len, &mut ss),
            xmpp_status::XMPP_OK
        );
        assert_eq!(ss, xmpp_sasl_step::XMPP_SASL_SUCCESS);
        let out = xmpp_sasl_server_output(s);
        assert_eq!(
            xmpp_sasl_client_step(c, out.ptr, out.len, &mut cs),
            xmpp_status::XMPP_OK
        );
        assert_eq!(cs, xmpp_sasl_step::XMPP_SASL_DONE);
        xmpp_sasl_client_free(c);
        xmpp_sasl_server_free(s);
    }
}

#[test]
fn client_checks_its_arguments() {
    let mut c = ptr::null_mut();
    let seed = [1u8; 32];
    let jid = "alice@localhost";
    unsafe {
        let new = |seed: *const u8, tls: u32, transport: u32, out| {
            xmpp_client_new(
                jid.as_ptr().cast(),
                jid.len(),
                c"pw".as_ptr(),
                2,
                seed,
                0,
                tls,
                transport,
                out,
            )
        };
        assert_eq!(
            new(ptr::null(), XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP, &mut c),
            xmpp_status::XMPP_INVALID_ARGUMENT
        );
        assert_eq!(
            new(seed.as_ptr(), 9, XMPP_TRANSPORT_TCP, &mut c),
            xmpp_status::XMPP_INVALID_ARGUMENT
        );
        assert_eq!(
            new(
                seed.as_ptr(),
                XMPP_TLS_POLICY_OFF,
                XMPP_TRANSPORT_BOSH,
                &mut c
            ),
            xmpp_status::XMPP_INVALID_ARGUMENT
        );
        assert_eq!(
            new(
                seed.as_ptr(),
                XMPP_TLS_POLICY_OFF,
                XMPP_TRANSPORT_TCP,
                &mut c
            ),
            xmpp_status::XMPP_OK
        );
        let mut out = xmpp_bytes {
            ptr: ptr::null(),
            len: 0,
        };
        assert_eq!(xmpp_client_poll_transmit(c, &mut out), xmpp_status::XMPP_OK);
        let header = core::slice::from_raw_parts(out.ptr, out.len);
        assert!(
            header.starts_with(b"<?xml") || header.starts_with(b"<stream:stream"),
            "the stream header first"
        );
        assert_eq!(
            xmpp_client_send_message(c, c"bob@localhost".as_ptr(), 13, c"hi".as_ptr(), 2),
            xmpp_status::XMPP_WRONG_PHASE
        );
        assert_eq!(
            xmpp_client_handle_input(c, b"</x>".as_ptr(), 4),
            xmpp_status::XMPP_STREAM_NOT_WELL_FORMED
        );
        assert_eq!(
            xmpp_client_handle_input(c, ptr::null(), 0),
            xmpp_status::XMPP_STREAM_NOT_WELL_FORMED,
            "a fatal error is returned again"
        );
        xmpp_client_free(c);
        xmpp_client_free(ptr::null_mut());
        assert!(xmpp_client_is_closed(ptr::null()));
    }
}

#[test]
fn configs_resumption_and_fast_refuse_hostile_arguments() {
    let seed = [9u8; 32];
    let mut cc = ptr::null_mut();
    let bad = b"a\xff@example.com";
    let st = unsafe {
        xmpp_client_config_new(
            bad.as_ptr().cast(),
            bad.len(),
            ptr::null(),
            0,
            2,
            0,
            &mut cc,
        )
    };
    assert_eq!(st, xmpp_status::XMPP_INVALID_UTF8);
    assert!(cc.is_null());
    let jid = "juliet@example.com";
    let st = unsafe {
        xmpp_client_config_new(
            jid.as_ptr().cast(),
            jid.len(),
            ptr::null(),
            0,
            9,
            0,
            &mut cc,
        )
    };
    assert_eq!(st, xmpp_status::XMPP_INVALID_ARGUMENT, "unknown policy");
    let st = unsafe {
        xmpp_client_config_new(
            jid.as_ptr().cast(),
            jid.len(),
            ptr::null(),
            0,
            2,
            0,
            &mut cc,
        )
    };
    assert_eq!(st, xmpp_status::XMPP_OK);

    let names = "SCRAM-SHA-256 X-UNKNOWN";
    let st = unsafe { xmpp_client_config_set_mechanisms(cc, names.as_ptr().cast(), names.len()) };
    assert_eq!(st, xmpp_status::XMPP_INVALID_INPUT);
    assert!(last_message().contains("X-UNKNOWN"), "{}", last_message());
    let st = unsafe { xmpp_client_config_set_mechanisms(cc, ptr::null(), 3) };
    assert_eq!(st, xmpp_status::XMPP_INVALID_ARGUMENT);
    let plain = "PLAIN";
    let st = unsafe {
        xmpp_client_config_set_fast_token(cc, plain.as_ptr().cast(), 5, plain.as_ptr().cast(), 5, 1)
    };
    assert_eq!(
        st,
        xmpp_status::XMPP_INVALID_INPUT,
        "PLAIN is no FAST mechanism"
    );
    let st = unsafe { xmpp_client_config_set_resource(cc, bad.as_ptr().cast(), bad.len()) };
    assert_eq!(st, xmpp_status::XMPP_INVALID_UTF8);
    // A null state clears the resumption; a null config is refused.
    assert_eq!(
        unsafe { xmpp_client_config_set_resume(cc, ptr::null()) },
        xmpp_status::XMPP_OK
    );
    assert_eq!(
        unsafe { xmpp_client_config_set_resume(ptr::null_mut(), ptr::null()) },
        xmpp_status::XMPP_INVALID_ARGUMENT
    );
    let mut client = ptr::null_mut();
    let st = unsafe { xmpp_client_new_with_config(cc, ptr::null(), 0, &mut client) };
    assert_eq!(st, xmpp_status::XMPP_INVALID_ARGUMENT, "null seed");
    let st = unsafe { xmpp_client_new_with_config(cc, seed.as_ptr(), 0, &mut client) };
    assert_eq!(st, xmpp_status::XMPP_OK);
    unsafe { xmpp_client_config_free(cc) };
    // Before any stream ended there is nothing to resume.
    let mut state = ptr::null_mut();
    let st = unsafe { xmpp_client_take_resumption(client, &mut state) };
    assert_eq!(st, xmpp_status::XMPP_OK);
    assert!(state.is_null());
    assert_eq!(unsafe { xmpp_client_event_count(client) }, 0);
    assert!(
        unsafe { xmpp_client_event_stanza(client, usize::MAX) }
            .ptr
            .is_null()
    );
    assert!(
        unsafe { xmpp_client_event_token(ptr::null()) }
            .ptr
            .is_null()
    );
    unsafe { xmpp_client_free(client) };

    // JSON that is not a state; a state whose stanzas were tampered with
    // (dropped when read, never a failure later).
    for bad in ["", "{", "[1,2]", "{\"id\":\"x\"}", "\u{0}"] {
        let st = unsafe { xmpp_resumption_from_json(bad.as_ptr().cast(), bad.len(), &mut state) };
        assert!(
            matches!(
                st,
                xmpp_status::XMPP_INVALID_INPUT | xmpp_status::XMPP_INVALID_UTF8
            ),
            "{bad:?}: {st:?}"
        );
        assert!(state.is_null());
    }
    let json = r#"{"id":"sm-1","jid":"juliet@example.com/r","inbound":7,"acked":2,"unacked":["<message","<message xmlns='jabber:client' to='romeo@example.net'><body>ok</body></message>"],"max":300}"#;
    let st = unsafe { xmpp_resumption_from_json(json.as_ptr().cast(), json.len(), &mut state) };
    assert_eq!(st, xmpp_status::XMPP_OK, "{}", last_message());
    assert_eq!(
        text(unsafe { xmpp_resumption_id(state) }).as_deref(),
        Some("sm-1")
    );
    assert_eq!(unsafe { xmpp_resumption_handled(state) }, 7);
    assert_eq!(unsafe { xmpp_resumption_unacked_count(state) }, 1);
    let again = text(unsafe { xmpp_resumption_json(state) }).expect("json");
    assert!(again.contains("\"sm-1\""), "{again}");
    assert!(
        unsafe { xmpp_resumption_unacked_stanza(state, 1) }
            .ptr
            .is_null()
    );
    assert_eq!(unsafe { xmpp_resumption_handled(ptr::null()) }, 0);

    // Server answers with nothing asked are WRONG_PHASE, never a crash.
    let secret = [1u8; 32];
    let mut sc = ptr::null_mut();
    let d = "example.com";
    let st = unsafe {
        xmpp_server_config_new(
            d.as_ptr().cast(),
            d.len(),
            secret.as_ptr(),
            32,
            2,
            0,
            &mut sc,
        )
    };
    assert_eq!(st, xmpp_status::XMPP_OK);
    assert_eq!(
        unsafe { xmpp_server_config_set_fast(sc, true) },
        xmpp_status::XMPP_OK
    );
    let mut server = ptr::null_mut();
    let st = unsafe { xmpp_server_new_with_config(sc, seed.as_ptr(), 0, &mut server) };
    assert_eq!(st, xmpp_status::XMPP_OK);
    // The connection keeps the configuration it shares.
    unsafe { xmpp_server_config_free(sc) };
    let t = "token";
    assert_eq!(
        unsafe { xmpp_server_accept_resume(server, state) },
        xmpp_status::XMPP_WRONG_PHASE
    );
    assert_eq!(
        unsafe { xmpp_server_issue_token(server, t.as_ptr().cast(), 5, ptr::null(), 0) },
        xmpp_status::XMPP_WRONG_PHASE
    );
    assert_eq!(
        unsafe { xmpp_server_provide_token(server, t.as_ptr().cast(), 5, 0, false, 0, 0) },
        xmpp_status::XMPP_WRONG_PHASE
    );
    let mut count = 0u64;
    assert!(!unsafe { xmpp_server_event_fast_count(server, &mut count) });
    assert!(!unsafe { xmpp_server_event_fast_count(ptr::null(), ptr::null_mut()) });
    assert!(!unsafe { xmpp_server_event_fast_invalidate(server) });
    assert!(!unsafe { xmpp_server_event_fast_invalidate(ptr::null()) });
    assert_eq!(unsafe { xmpp_server_event_count(ptr::null()) }, 0);
    let mut out = ptr::null_mut();
    assert_eq!(
        unsafe { xmpp_server_take_resumption(server, &mut out) },
        xmpp_status::XMPP_OK
    );
    assert!(out.is_null());
    assert_eq!(
        unsafe { xmpp_server_take_resumption(server, ptr::null_mut()) },
        xmpp_status::XMPP_INVALID_ARGUMENT
    );
    unsafe {
        xmpp_server_free(server);
        xmpp_resumption_free(state);
    }
}
