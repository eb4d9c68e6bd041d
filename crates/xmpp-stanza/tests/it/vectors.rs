//! Every case of `testdata/stanzas/*.txt` (see its README): framed inside a
//! stream, parsed, round-tripped and read as the typed value it names.

use std::collections::BTreeSet;
use std::fs;

use xmpp_stanza::{Element, Stanza, StreamError};
use xmpp_stream::{Event, Framer, Transport};

/// One example, named by file and section.
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) ns: String,
    pub(crate) expect: String,
    /// XEP-0115 `ver` the stanza's disco#info payload must hash to.
    pub(crate) caps_ver: Option<String>,
    pub(crate) xml: String,
}

/// Every case of every vector file.
pub(crate) fn cases() -> Vec<Case> {
    let dir = crate::testdata().join("stanzas");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("testdata/stanzas exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let file = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).unwrap();
        for block in text.split("=== ").skip(1) {
            let (title, rest) = block.split_once('\n').unwrap();
            let mut ns = "jabber:client".to_owned();
            let mut expect = String::new();
            let mut caps_ver = None;
            let mut xml = String::new();
            for line in rest.lines() {
                if let Some(v) = line.strip_prefix("ns: ") {
                    ns = v.to_owned();
                } else if let Some(v) = line.strip_prefix("expect: ") {
                    expect = v.to_owned();
                } else if let Some(v) = line.strip_prefix("caps-ver: ") {
                    caps_ver = Some(v.to_owned());
                } else {
                    xml.push_str(line);
                    xml.push('\n');
                }
            }
            out.push(Case {
                name: format!("{file} §{title}"),
                ns,
                expect,
                caps_ver,
                xml: xml.trim().to_owned(),
            });
        }
    }
    out
}

/// Frames `xml` inside a stream of content namespace `ns`; returns the one
/// element.
pub(crate) fn frame(ns: &str, xml: &str) -> Result<xmpp_stream::Frame, String> {
    let mut framer = Framer::new(Transport::Tcp);
    framer.feed(
        format!(
            "<stream:stream xmlns='{ns}' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>{xml}"
        )
        .as_bytes(),
    );
    let mut found = None;
    while let Some(ev) = framer.next_event().map_err(|e| e.to_string())? {
        if let Event::Element(e) = ev {
            if found.replace(e).is_some() {
                return Err("more than one element".into());
            }
        }
    }
    found.map(|e| *e).ok_or_else(|| "no element".into())
}

fn attr_set(e: &Element) -> BTreeSet<(String, String, String)> {
    e.attrs()
        .iter()
        .map(|a| (a.ns().to_owned(), a.name().to_owned(), a.value().to_owned()))
        .collect()
}

fn check(case: &Case) -> Result<(), String> {
    let frame = frame(&case.ns, &case.xml)?;
    let e = Element::from_frame(&frame).map_err(|e| format!("tree: {e}"))?;
    // Standalone serialization parses back to the same tree.
    let again = Element::from_bytes(e.to_xml().as_bytes()).map_err(|x| format!("reparse: {x}"))?;
    if again != e {
        return Err(format!("round trip changed the tree: {}", e.to_xml()));
    }
    // Written into the stream without its own xmlns, framed again: the same.
    let mut in_stream = String::new();
    e.write_xml_in(&mut in_stream, &case.ns);
    let reframed = Element::from_frame(&frame_in(&case.ns, &in_stream)?)
        .map_err(|x| format!("reframe: {x}"))?;
    if reframed != e {
        return Err(format!(
            "in-stream round trip changed the tree: {in_stream}"
        ));
    }
    let (kind, arg) = case.expect.split_once(' ').unwrap_or((&case.expect, ""));
    match kind {
        "stanza" | "stanza-error" => {
            let s = Stanza::from_element(e.clone()).map_err(|x| format!("stanza: {x}"))?;
            let back = s.to_element();
            // Every attribute and every child node survives.
            if attr_set(&back) != attr_set(&e) && !has_jid_normalized(&e, &back) {
                return Err(format!("attributes changed: {}", back.to_xml()));
            }
            if back.nodes() != e.nodes() {
                return Err("children changed".into());
            }
            let s2 = Stanza::from_element(back).map_err(|x| format!("stanza again: {x}"))?;
            if s2 != s {
                return Err("typed round trip changed the stanza".into());
            }
            check_payloads(&s)?;
            if let Some(ver) = &case.caps_ver {
                crate::payloads::check_caps_ver(&e, ver)?;
            }
            if kind == "stanza-error" {
                if !s.is_error() {
                    return Err("not of type error".into());
                }
                let err = match &s {
                    Stanza::Message(m) => m.error(),
                    Stanza::Presence(p) => p.error(),
                    Stanza::Iq(i) => i.error(),
                }
                .ok_or("no <error/>")?
                .map_err(|x| format!("error element: {x}"))?;
                if err.condition.as_str() != arg {
                    return Err(format!("condition {} != {arg}", err.condition));
                }
                let el = err.to_element(s.header().ns.as_str());
                if xmpp_stanza::StanzaError::from_element(&el).as_ref() != Ok(&err) {
                    return Err("stanza error round trip".into());
                }
            } else if s.is_error() {
                return Err("unexpected type error".into());
            }
        }
        "invalid" => match Stanza::from_element(e.clone()) {
            Ok(_) => return Err("read as a valid stanza".into()),
            Err(invalid) => {
                if invalid.error.condition().as_str() != arg {
                    return Err(format!("condition {} != {arg}", invalid.error.condition()));
                }
                if *invalid.element != e {
                    return Err("the element was not kept whole".into());
                }
                if e.attr("type") == Some("error") {
                    // RFC 6120 §8.3.1: an error stanza is never answered
                    // with another.
                    if invalid.error_reply().is_some() {
                        return Err("an error stanza got an error reply".into());
                    }
                } else {
                    let reply = invalid.error_reply().ok_or("no error reply")?;
                    if reply.attr("id") != e.attr("id") || reply.attr("type") != Some("error") {
                        return Err(format!("bad reply {}", reply.to_xml()));
                    }
                }
            }
        },
        "stream-error" => {
            let se = StreamError::from_element(&e).map_err(|x| format!("stream error: {x}"))?;
            if se.condition.as_str() != arg {
                return Err(format!("condition {} != {arg}", se.condition));
            }
            if StreamError::from_element(&se.to_element()).as_ref() != Ok(&se) {
                return Err("stream error round trip".into());
            }
            if se.condition == xmpp_stanza::StreamCondition::SeeOtherHost
                && se.see_other_host.is_none()
            {
                return Err("see-other-host without its host".into());
            }
        }
        "nonza" => {
            if Stanza::from_element(e.clone()).is_ok() {
                return Err("a nonza read as a stanza".into());
            }
            check_nonza(&e)?;
            crate::payloads::check_xep_payload(&e)?;
        }
        "nonza-invalid" => {
            if check_nonza(&e).is_ok() {
                return Err("a nonza with bad content read as valid".into());
            }
        }
        other => return Err(format!("unknown expectation {other:?}")),
    }
    Ok(())
}

/// Typed nonza checks: every nonza of a namespace the crate knows reads as
/// its typed form and round-trips through it.
pub(crate) fn check_nonza(e: &Element) -> Result<(), String> {
    use xmpp_stanza::{Csi, SASL_NS, SM_NS, Sasl, Sm, StartTls, StreamFeatures, TLS_NS};
    match e.ns() {
        "http://etherx.jabber.org/streams" if e.name() == "features" => {
            let f = StreamFeatures::from_element(e).map_err(|x| format!("features: {x}"))?;
            if StreamFeatures::from_element(&f.to_element()).as_ref() != Ok(&f) {
                return Err("features round trip".into());
            }
        }
        TLS_NS => {
            let t = StartTls::from_element(e).ok_or("not a STARTTLS nonza")?;
            if t.to_element() != *e {
                return Err("STARTTLS round trip".into());
            }
        }
        SASL_NS => {
            let s = Sasl::from_element(e)
                .map_err(|x| format!("sasl: {x}"))?
                .ok_or("not a SASL nonza")?;
            if Sasl::from_element(&s.to_element()).as_ref() != Ok(&Some(s.clone())) {
                return Err("SASL round trip".into());
            }
        }
        SM_NS => {
            let s = Sm::from_element(e)
                .map_err(|x| format!("sm: {x}"))?
                .ok_or("not an SM nonza")?;
            if Sm::from_element(&s.to_element()).as_ref() != Ok(&Some(s.clone())) {
                return Err("SM round trip".into());
            }
        }
        xmpp_stanza::SASL2_NS => {
            let s = xmpp_stanza::Sasl2::from_element(e)
                .map_err(|x| format!("sasl2: {x}"))?
                .ok_or("not a SASL2 nonza")?;
            if xmpp_stanza::Sasl2::from_element(&s.to_element()).as_ref() != Ok(&Some(s.clone())) {
                return Err("SASL2 round trip".into());
            }
        }
        xmpp_stanza::CSI_NS => {
            let c = Csi::from_element(e).ok_or("not a CSI nonza")?;
            if c.to_element() != *e {
                return Err("CSI round trip".into());
            }
        }
        _ => {}
    }
    Ok(())
}

/// Typed payload checks for the stanza payloads the crate knows.
fn check_payloads(s: &Stanza) -> Result<(), String> {
    use xmpp_stanza::{Bind, Payload, Roster};
    fn one<P: Payload + PartialEq + std::fmt::Debug>(e: &Element) -> Result<(), String> {
        if !P::matches(e) {
            return Ok(());
        }
        let p = P::from_element(e).map_err(|x| format!("{}: {x}", P::NAME))?;
        let back =
            P::from_element(&p.to_element()).map_err(|x| format!("{} again: {x}", P::NAME))?;
        if back != p {
            return Err(format!("{} round trip", P::NAME));
        }
        Ok(())
    }
    let elements: Vec<&Element> = match s {
        Stanza::Iq(i) => i.payload().into_iter().collect(),
        Stanza::Message(m) => m.payloads().collect(),
        Stanza::Presence(p) => p.payloads().collect(),
    };
    for e in elements {
        one::<Roster>(e)?;
        one::<Bind>(e)?;
        crate::payloads::check_xep_payload(e)?;
    }
    Ok(())
}

/// Whether the only attribute differences are JIDs written in enforced form.
fn has_jid_normalized(orig: &Element, back: &Element) -> bool {
    let diff: Vec<_> = attr_set(orig)
        .symmetric_difference(&attr_set(back))
        .cloned()
        .collect();
    diff.iter()
        .all(|(ns, name, _)| ns.is_empty() && (name == "to" || name == "from"))
        && attr_set(orig).len() == attr_set(back).len()
}

fn frame_in(ns: &str, xml: &str) -> Result<xmpp_stream::Frame, String> {
    frame(ns, xml).map_err(|e| format!("reframe: {e}"))
}

#[test]
fn every_vector() {
    let cases = cases();
    assert!(cases.len() > 100, "only {} cases found", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        if case.expect.is_empty() {
            failures.push(format!("{}: no expect line", case.name));
        } else if let Err(why) = check(case) {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_vector_frames_identically_byte_by_byte() {
    for case in cases() {
        let whole = frame(&case.ns, &case.xml).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let mut framer = Framer::new(Transport::Tcp);
        let input = format!(
            "<stream:stream xmlns='{}' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>{}",
            case.ns, case.xml
        );
        let mut got = None;
        for b in input.as_bytes() {
            framer.feed(std::slice::from_ref(b));
            while let Some(ev) = framer.next_event().unwrap() {
                if let Event::Element(e) = ev {
                    got = Some(e);
                }
            }
        }
        let got = got.unwrap_or_else(|| panic!("{}: no element", case.name));
        assert_eq!(
            Element::from_frame(&got).unwrap(),
            Element::from_frame(&whole).unwrap(),
            "{}",
            case.name
        );
    }
}
