//! Typed XEP payload checks for the vectors: every payload of a namespace
//! the crate implements reads as its typed form and round-trips.

use std::fmt::Debug;

use xmpp_stanza::{
    CARBONS_NS, CHATSTATES_NS, Caps, Carbons, ChatState, Delay, DiscoInfo, DiscoItems, Element,
    Forwarded, MARKERS_NS, Marker, OriginId, Payload, Ping, RECEIPTS_NS, Receipt, StanzaId,
};

fn typed<P: Payload + PartialEq + Debug>(e: &Element) -> Result<Option<P>, String> {
    if !P::matches(e) {
        return Ok(None);
    }
    let p = P::from_element(e).map_err(|x| format!("{} {}: {x}", P::NS, P::NAME))?;
    let back = P::from_element(&p.to_element()).map_err(|x| format!("{} again: {x}", P::NAME))?;
    if back != p {
        return Err(format!("{} {} round trip", P::NS, P::NAME));
    }
    Ok(Some(p))
}

/// Reads `e` (and its descendants) as the XEP payloads the crate
/// implements, checking each round trip.
pub(crate) fn check_xep_payload(e: &Element) -> Result<(), String> {
    typed::<Ping>(e)?;
    typed::<Delay>(e)?;
    typed::<Forwarded>(e)?;
    typed::<StanzaId>(e)?;
    typed::<OriginId>(e)?;
    typed::<Caps>(e)?;
    typed::<DiscoItems>(e)?;
    typed::<DiscoInfo>(e)?;
    match e.ns() {
        CARBONS_NS => {
            let c = Carbons::from_element(e).map_err(|x| format!("carbons: {x}"))?;
            if let Some(c) = c {
                if Carbons::from_element(&c.to_element()) != Ok(Some(c.clone())) {
                    return Err("carbons round trip".into());
                }
            }
        }
        MARKERS_NS => {
            let m = Marker::from_element(e).map_err(|x| format!("marker: {x}"))?;
            if let Some(m) = m {
                if Marker::from_element(&m.to_element()) != Ok(Some(m.clone())) {
                    return Err("marker round trip".into());
                }
            }
        }
        RECEIPTS_NS => {
            if let Some(r) = Receipt::from_element(e) {
                if Receipt::from_element(&r.to_element()) != Some(r.clone()) {
                    return Err("receipt round trip".into());
                }
            }
        }
        CHATSTATES_NS => {
            let s = ChatState::from_element(e).ok_or("unknown chat state")?;
            if s.to_element().name() != e.name() {
                return Err("chat state round trip".into());
            }
        }
        _ => {}
    }
    for c in e.children() {
        check_xep_payload(c)?;
    }
    Ok(())
}

/// The `caps-ver` of a case (XEP-0115 §5.1): the disco#info payload of the
/// stanza hashes to it.
pub(crate) fn check_caps_ver(e: &Element, ver: &str) -> Result<(), String> {
    let info = e
        .children()
        .find(|c| DiscoInfo::matches(c))
        .ok_or("caps-ver on a case without disco#info")?;
    let info = DiscoInfo::from_element(info).map_err(|x| x.to_string())?;
    let computed = info.caps_ver_sha1().map_err(|x| x.to_string())?;
    if computed != ver {
        return Err(format!(
            "caps ver {computed} != {ver} (S = {:?})",
            info.caps_string()
        ));
    }
    Ok(())
}

#[test]
fn caps_verification_vectors_exist() {
    let n = crate::vectors::cases()
        .iter()
        .filter(|c| c.caps_ver.is_some())
        .count();
    assert!(n >= 2, "only {n} caps-ver cases");
}
