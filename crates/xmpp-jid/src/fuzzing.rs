//! Generators of valid JIDs for structure-aware fuzzing (the `arbitrary`
//! feature), so that a fuzz target of code that takes addresses starts
//! from ones [`Jid::new`] accepts.
//!
//! A JID is put together from parts (RFC 7622 §3): an optional localpart
//! (UsernameCaseMapped strings of xmpp-precis without the characters §3.3.1
//! excludes), a domainpart (DNS labels, an internationalized label, an IPv4
//! or IPv6 literal, with some upper case that enforcement maps), and an
//! optional resourcepart (OpaqueString strings, `@` and `/` included).
//! A draw that `Jid::new` refuses anyway (a label that breaks an IDNA2008
//! rule) is replaced by the same parts with a plain ASCII domain.

use alloc::format;
use alloc::string::String;

use arbitrary::{Arbitrary, Result, Unstructured};
use xmpp_precis::{ValidOpaqueString, ValidUsernameCaseMapped};

use crate::Jid;

/// Labels of domainparts: ASCII, upper case that is mapped, and
/// internationalized ones (Latin, Greek, CJK) that IDNA2008 allows.
const LABELS: &[&str] = &[
    "example",
    "com",
    "net",
    "org",
    "im",
    "xmpp",
    "jabber",
    "chat",
    "a",
    "x1",
    "mail-2",
    "Example",
    "COM",
    "m\u{fc}nchen",
    "b\u{fc}cher",
    "\u{3b5}\u{3bb}",
    "\u{4f8b}\u{5b50}",
    "caf\u{e9}",
];

/// IP literals (RFC 7622 §3.2: an IPv6 one in brackets).
const LITERALS: &[&str] = &["127.0.0.1", "192.0.2.7", "[::1]", "[2001:db8::7]"];

/// A string that [`Jid::new`] accepts: a bare or full JID, with or without
/// a localpart, in the form it was put together in (not necessarily
/// enforced: `Juliet@Example.COM` is one).
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use xmpp_jid::{Jid, ValidJid};
///
/// # fn main() -> arbitrary::Result<()> {
/// // In a fuzz target: `fuzz_target!(|jid: ValidJid| { … })`.
/// let mut u = Unstructured::new(b"\x07\x01\xff\x42\x10\x99\x03\x00\x31\x31\x31");
/// let ValidJid(jid) = ValidJid::arbitrary(&mut u)?;
/// assert!(Jid::new(&jid).is_ok());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValidJid(pub String);

/// A domainpart: 1 to 3 labels, or an IP literal.
fn domain(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1, 8)? {
        return Ok(String::from(*u.choose(LITERALS)?));
    }
    let mut d = String::from(*u.choose(LABELS)?);
    for _ in 0..u.int_in_range(0..=2)? {
        d.push('.');
        d.push_str(u.choose(LABELS)?);
    }
    Ok(d)
}

impl<'a> Arbitrary<'a> for ValidJid {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let local = if u.ratio(3, 4)? {
            let ValidUsernameCaseMapped(l) = ValidUsernameCaseMapped::arbitrary(u)?;
            // RFC 7622 §3.3.1: these are not allowed in a localpart.
            let l: String = l
                .chars()
                .map(|c| if "\"&'/:<>@".contains(c) { 'q' } else { c })
                .collect();
            Some(l)
        } else {
            None
        };
        let domain = domain(u)?;
        let resource = if u.ratio(1, 2)? {
            Some(ValidOpaqueString::arbitrary(u)?.0)
        } else {
            None
        };
        let join = |domain: &str| {
            let mut s = String::new();
            if let Some(l) = &local {
                s.push_str(l);
                s.push('@');
            }
            s.push_str(domain);
            if let Some(r) = &resource {
                s.push('/');
                s.push_str(r);
            }
            s
        };
        let jid = join(&domain);
        if Jid::new(&jid).is_ok() {
            return Ok(Self(jid));
        }
        let plain = join("example.com");
        if Jid::new(&plain).is_ok() {
            return Ok(Self(plain));
        }
        // The parts are valid on their own; this is only a guard.
        Ok(Self(format!(
            "{}@example.com",
            local.as_deref().unwrap_or("user")
        )))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, None)
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    #[test]
    fn generated_jids_parse_and_vary() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let (mut with_local, mut full, mut non_ascii_domain) = (0, 0, 0);
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..96)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state.to_le_bytes()[0]
                })
                .collect();
            let ValidJid(s) = ValidJid::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
            let jid = Jid::new(&s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
            with_local += usize::from(jid.localpart().is_some());
            full += usize::from(jid.is_full());
            non_ascii_domain += usize::from(!jid.domainpart().is_ascii());
        }
        assert!(with_local > 1000, "{with_local} with a localpart");
        assert!(full > 500, "{full} full JIDs");
        assert!(
            non_ascii_domain > 200,
            "{non_ascii_domain} non-ASCII domains"
        );
    }
}
