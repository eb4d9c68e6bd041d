use alloc::string::ToString;

use super::*;
use crate::error::Part;

#[test]
fn split_per_rfc7622_3_1() {
    assert_eq!(split("a@b/c@d/e"), (Some("a"), "b", Some("c@d/e")));
    assert_eq!(split("b/c@d"), (None, "b", Some("c@d")));
    assert_eq!(split("a@b@c"), (Some("a"), "b@c", None));
    assert_eq!(split("b"), (None, "b", None));
}

#[test]
fn accessors() {
    let j = Jid::new("Juliet@Example.COM./Balcony/Left").unwrap();
    assert_eq!(j.as_str(), "juliet@example.com/Balcony/Left");
    assert_eq!(j.localpart(), Some("juliet"));
    assert_eq!(j.domainpart(), "example.com");
    assert_eq!(j.resourcepart(), Some("Balcony/Left"));
    assert!(j.is_full() && !j.is_bare());
    let d = Jid::new("example.com").unwrap();
    assert_eq!(
        (d.localpart(), d.domainpart(), d.resourcepart()),
        (None, "example.com", None)
    );
    let r = Jid::new("example.com/a b").unwrap();
    assert_eq!(
        (r.localpart(), r.domainpart(), r.resourcepart()),
        (None, "example.com", Some("a b"))
    );
}

#[test]
fn empty_parts() {
    assert_eq!(Jid::new("@x"), Err(Error::Empty(Part::Localpart)));
    assert_eq!(Jid::new("x/"), Err(Error::Empty(Part::Resourcepart)));
    assert_eq!(Jid::new("a@"), Err(Error::Empty(Part::Domainpart)));
    assert_eq!(Jid::new("/r"), Err(Error::Empty(Part::Domainpart)));
    assert_eq!(Jid::new(""), Err(Error::Empty(Part::Domainpart)));
    assert_eq!(Jid::new("a@b./"), Err(Error::Empty(Part::Resourcepart)));
}

#[test]
fn conversions() {
    let full = FullJid::new("a@b/c").unwrap();
    assert_eq!(full.to_bare(), "a@b");
    let bare = full.clone().into_bare();
    assert_eq!(bare, "a@b");
    assert_eq!(bare.localpart(), Some("a"));
    let res = ResourcePart::new("d").unwrap();
    assert_eq!(bare.with_resource(&res), "a@b/d");
    let grown = bare.clone().into_full(&res);
    assert_eq!(grown, FullJid::new("a@b/d").unwrap());
    assert_eq!(grown.resourcepart(), "d");
    assert_eq!(full.with_resource(&res), grown);
    let jid: Jid = full.clone().into();
    assert_eq!(FullJid::try_from(jid.clone()).unwrap(), full);
    assert_eq!(
        BareJid::try_from(jid.clone()),
        Err(Error::UnexpectedResource)
    );
    assert_eq!(
        FullJid::try_from(Jid::from(bare.clone())),
        Err(Error::MissingResource)
    );
    assert!(jid.clone().try_into_full().is_ok());
    assert!(Jid::from(bare.clone()).try_into_full().is_err());
    assert_eq!(jid, full);
    assert_eq!(jid.to_bare(), bare);
    assert_eq!(jid.into_bare(), bare);
}

#[test]
fn from_parts_matches_parsing() {
    let l = LocalPart::new("Romeo").unwrap();
    let d = DomainPart::new("Example.NET").unwrap();
    let r = ResourcePart::new("orchard").unwrap();
    assert_eq!(
        Jid::from_parts(Some(&l), &d, Some(&r)),
        Jid::new("romeo@example.net/orchard").unwrap()
    );
    assert_eq!(BareJid::from_parts(None, &d), "example.net");
    assert_eq!(
        FullJid::from_parts(Some(&l), &d, &r).resourcepart(),
        "orchard"
    );
    let j = Jid::new("romeo@example.net/orchard").unwrap();
    assert_eq!(j.local(), Some(l));
    assert_eq!(j.domain(), d);
    assert_eq!(j.resource(), Some(r));
}

#[test]
fn try_from_string_keeps_an_enforced_buffer() {
    // Past the 48 bytes kept inline.
    let s = String::from("juliet@conference.example.com/a-balcony-in-verona");
    let ptr = s.as_ptr();
    let j = Jid::try_from(s).unwrap();
    assert_eq!(j.as_str().as_ptr(), ptr);
    assert_eq!(j.resourcepart(), Some("a-balcony-in-verona"));
    assert_eq!(j.localpart(), Some("juliet"));
    // Short: inline.
    let j = Jid::try_from(String::from("juliet@example.com/balcony")).unwrap();
    assert_eq!(j.resourcepart(), Some("balcony"));
    // Not enforced: a new string.
    let j = Jid::try_from(String::from("Juliet@example.com")).unwrap();
    assert_eq!(j, "juliet@example.com");
    // A trailing dot is stripped, so the lengths differ.
    let j = Jid::try_from(String::from("a@b.")).unwrap();
    assert_eq!(j, "a@b");
    let j = Jid::try_from(String::from("b/c")).unwrap();
    assert_eq!(
        (j.localpart(), j.domainpart(), j.resourcepart()),
        (None, "b", Some("c"))
    );
}

#[test]
fn equality_and_order_on_the_enforced_form() {
    let a = Jid::new("xn--bcher-kva.example").unwrap();
    let b = Jid::new("B\u{DC}CHER.example.").unwrap();
    assert_eq!(a, b);
    assert_eq!(Jid::new("[0:0::1]").unwrap(), Jid::new("[::1]").unwrap());
    let mut v = alloc::vec![
        Jid::new("b@x").unwrap(),
        Jid::new("a@x/r").unwrap(),
        Jid::new("a@x").unwrap()
    ];
    v.sort();
    let sorted: alloc::vec::Vec<_> = v.iter().map(ToString::to_string).collect();
    assert_eq!(sorted, ["a@x", "a@x/r", "b@x"]);
    let set: std::collections::HashSet<Jid> = v.into_iter().collect();
    assert!(set.contains("a@x/r"));
}

#[test]
fn debug_and_display() {
    let j = Jid::new("a@b/c").unwrap();
    assert_eq!(alloc::format!("{j}"), "a@b/c");
    assert_eq!(alloc::format!("{j:?}"), "Jid(\"a@b/c\")");
    let f = FullJid::new("a@b/c").unwrap();
    assert_eq!(alloc::format!("{f:?}"), "FullJid(\"a@b/c\")");
}

#[test]
fn longest_jid() {
    let local = "l".repeat(1023);
    let domain = alloc::vec!["d".repeat(63); 16].join(".");
    let resource = "r".repeat(1023);
    let s = alloc::format!("{local}@{domain}/{resource}");
    let j = Jid::new(&s).unwrap();
    assert_eq!(j.localpart(), Some(local.as_str()));
    assert_eq!(j.domainpart(), domain);
    assert_eq!(j.resourcepart(), Some(resource.as_str()));
}

#[test]
fn a_jid_fits_a_cache_line() {
    // 48 bytes inline, a tag and the two separator positions.
    assert!(size_of::<Jid>() <= 64);
    assert!(size_of::<Result<Jid, Error>>() <= 64);
}
