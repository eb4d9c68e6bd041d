//! XEP-0124 §6, §7, §13 and §14, XEP-0206: what a framer checks of a BOSH
//! `<body/>` wrapper, and what it leaves to the BOSH session manager.
//!
//! A framer sees one `<body/>` at a time and knows nothing of the session
//! it belongs to (one HTTP connection may even carry several sessions,
//! XEP-0124 §5), so it checks only what holds for a body on its own:
//!
//! - `rid` (§14.1), when present: a positive decimal integer no larger
//!   than 2^53-1 (9007199254740991). On [`Transport::BoshRequests`], the
//!   bodies of a client's requests read by a connection manager, it is
//!   also required (§6: "the `<body/>` element of every client request
//!   MUST possess … 'rid'").
//! - `sid` (§7.2), when present: not empty.
//! - `type`, when present: `terminate` or `error` (§13, §17).
//!
//! The session manager keeps what needs the session's history or a clock:
//! that every request after the session creation response carries the
//! session's `sid` and the creation request none (§7.1), that `rid`s
//! increase by one within the `requests` window and a repeated `rid` gets
//! the buffered response (§14.2-§14.3, `item-not-found`), the `key`/`newkey`
//! sequence (§15), `wait`, `hold`, `inactivity`, `polling` and `maxpause`
//! (§7, §10-§12), acknowledgements (§9), `xmpp:restart` only after SASL
//! success (XEP-0206 §5), and the terminal binding conditions it answers
//! with. A framer error on a body is for the connection manager a
//! `bad-request` terminal binding condition (XEP-0124 §17.2).
//!
//! [`Transport::BoshRequests`]: crate::Transport::BoshRequests

use alloc::string::{String, ToString};

use crate::error::FramingError;

/// The largest `rid` a client may use (XEP-0124 §14.1): 2^53-1, so that
/// implementations with IEEE 754 doubles for numbers count it exactly.
pub const MAX_RID: u64 = (1 << 53) - 1;

/// A request identifier as XEP-0124 §14.1 allows it: 1 to [`MAX_RID`], so
/// that a body written with one (see [`OpenHeader::rid`](crate::OpenHeader::rid))
/// is one the framer accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rid(u64);

impl Rid {
    /// `n` as a `rid`, `None` when it is 0 or over [`MAX_RID`].
    pub fn new(n: u64) -> Option<Self> {
        (1..=MAX_RID).contains(&n).then_some(Self(n))
    }

    /// The `rid` written in decimal, as the framer reads it.
    pub fn parse(s: &str) -> Option<Self> {
        parse_rid(s).map(Self)
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The `rid` of the next request (§14.1: one more), `None` past
    /// [`MAX_RID`].
    pub fn next(self) -> Option<Self> {
        Self::new(self.0 + 1)
    }
}

impl core::fmt::Display for Rid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Checks the attributes of a `<body/>` wrapper (`attrs`: qualified names
/// and unescaped values) starting at stream offset `offset`; `request`
/// when it is a client's request, which must carry a `rid`.
pub(crate) fn check_body(
    attrs: &[(String, String)],
    offset: u64,
    request: bool,
) -> Result<(), FramingError> {
    let get = |name: &str| {
        attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let bad = |attribute: &'static str, found: Option<&str>, rule: &'static str| {
        FramingError::InvalidBody {
            offset,
            attribute,
            found: found.map(ToString::to_string),
            rule,
        }
    };
    match get("rid") {
        Some(rid) if parse_rid(rid).is_none() => {
            return Err(bad(
                "rid",
                Some(rid),
                "must be a positive integer no larger than 9007199254740991",
            ));
        }
        None if request => {
            return Err(bad("rid", None, "is required on every client request"));
        }
        _ => {}
    }
    if get("sid") == Some("") {
        return Err(bad("sid", Some(""), "must not be empty"));
    }
    match get("type") {
        None | Some("terminate" | "error") => {}
        Some(t) => return Err(bad("type", Some(t), "must be 'terminate' or 'error'")),
    }
    Ok(())
}

/// A `rid` as XEP-0124 §14.1 allows it: decimal digits only (no sign, no
/// white space), between 1 and [`MAX_RID`].
pub(crate) fn parse_rid(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Leading zeros do not change the value; the digits after them must
    // fit in 16 places (2^53-1 has 16 digits), which also rules out
    // overflow below.
    let digits = s.trim_start_matches('0');
    if digits.len() > 16 {
        return None;
    }
    let v = digits
        .bytes()
        .fold(0u64, |v, b| v * 10 + u64::from(b - b'0'));
    (1..=MAX_RID).contains(&v).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn rids() {
        for (s, want) in [
            ("1", Some(1)),
            ("1573741820", Some(1_573_741_820)),
            ("9007199254740991", Some(MAX_RID)),
            ("0009007199254740991", Some(MAX_RID)),
            ("9007199254740992", None),
            ("99999999999999999999999", None),
            ("0", None),
            ("000", None),
            ("", None),
            ("-1", None),
            ("+1", None),
            (" 1", None),
            ("1.0", None),
            ("0x10", None),
        ] {
            assert_eq!(parse_rid(s), want, "{s:?}");
        }
    }

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn bodies() {
        let ok = attrs(&[("rid", "42"), ("sid", "SomeSID"), ("type", "terminate")]);
        assert_eq!(check_body(&ok, 0, true), Ok(()));
        let response = attrs(&[("sid", "SomeSID"), ("wait", "60")]);
        assert_eq!(check_body(&response, 0, false), Ok(()));
        let e = check_body(&response, 7, true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "BOSH body at byte 7: attribute rid is required on every client request"
        );
        for bad in [
            &[("rid", "0")][..],
            &[("rid", "9007199254740992")],
            &[("sid", "")],
            &[("type", "close")],
        ] {
            let e = check_body(&attrs(bad), 0, false).unwrap_err();
            assert_eq!(e.condition(), crate::Condition::BadFormat, "{bad:?}");
        }
    }
}
