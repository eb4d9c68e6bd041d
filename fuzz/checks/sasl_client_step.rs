//! The client side of every mechanism on arbitrary server messages: no
//! panic, no unbounded work (the iteration count is bounded by the limits),
//! and a failed session keeps returning the same error.
//!
//! Input: one byte choosing the mechanism, then the server's messages
//! separated by the bytes FF FE.
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/sasl_client_step/`) both run this.

#[path = "sasl_split.rs"]
mod sasl_split;
use xmpp_sasl::{
    CbindFlag, ChannelBinding, ChannelBindingType, Choice, ClientConfig, ClientSession, ClientStep,
    Limits, Mechanism, Nonce,
};

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let mechs: Vec<Mechanism> = Mechanism::all().collect();
    let Some(&mech) = mechs.get(usize::from(choice) % mechs.len()) else {
        return;
    };
    // A hostile server may ask for up to 16 iterations here, so each run
    // stays fast; the default limits bound it to 100,000 in production.
    let limits = Limits::new()
        .iterations(1, 16)
        .min_salt_len(0)
        .min_nonce_len(1);
    let mut config = ClientConfig::new()
        .username("user")
        .password("pencil")
        .token("token")
        .limits(limits);
    if let Some(kind) = match mech {
        Mechanism::Ht { binding } => binding.channel_binding_type(),
        _ => Some(ChannelBindingType::TlsExporter),
    } {
        config = config.channel_binding(ChannelBinding::new(kind, *b"fuzz binding"));
    }
    let Ok(nonce) = Nonce::new("client-nonce-fuzz") else {
        return;
    };
    // The high bit of the first byte picks `y` over `n` for SCRAM without
    // -PLUS; a binding mechanism binds to the data of its type.
    let cbind = match mech {
        Mechanism::Scram { plus: true, .. } => CbindFlag::Bind(ChannelBindingType::TlsExporter),
        Mechanism::Scram { .. } if choice & 0x80 != 0 => CbindFlag::NotOffered,
        Mechanism::Ht { binding } => binding
            .channel_binding_type()
            .map_or(CbindFlag::Unsupported, CbindFlag::Bind),
        _ => CbindFlag::Unsupported,
    };
    let choice = Choice {
        mechanism: mech,
        cbind,
    };
    let Ok(mut client) = ClientSession::new(choice, config, nonce) else {
        return;
    };
    let Ok(first) = client.step(b"") else { return };
    let mut done = matches!(first, ClientStep::Done { .. });
    let mut failed = None;
    for msg in sasl_split::messages(rest) {
        let step = client.step(msg);
        if let Some(e) = &failed {
            assert_eq!(
                step.as_ref().err(),
                Some(e),
                "a failed session must keep its error"
            );
        }
        if done {
            assert!(step.is_err(), "a finished client must refuse more messages");
        }
        match step {
            Ok(ClientStep::Done { .. }) => done = true,
            Ok(ClientStep::Send(_)) => {}
            Err(e) => failed = Some(e),
        }
    }
}
