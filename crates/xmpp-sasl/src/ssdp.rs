//! XEP-0474 SASL SCRAM Downgrade Protection (SSDP): a hash of the advertised
//! mechanisms and channel-binding types that the server puts in its
//! server-first-message, signed by the SCRAM exchange, so a client detects a
//! man in the middle who trimmed either list.

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::mechanism::Hash;

/// Which attribute form to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SsdpForm {
    /// XEP-0474 0.4+: attribute `h`, items joined by U+001E, the two lists
    /// separated by U+001F.
    #[default]
    Current,
    /// Legacy (XEP-0474 0.3 and before): attribute `d`, items joined by `,`,
    /// the lists separated by `|`. Accepted from servers; emit it only for
    /// clients that still expect it.
    Legacy,
}

/// What was advertised: the SASL mechanisms, and the XEP-0440
/// channel-binding types if the server advertised any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ssdp {
    mechanisms: Vec<String>,
    channel_bindings: Option<Vec<String>>,
}

impl Ssdp {
    /// The advertised lists, in any order (they are sorted by octet value,
    /// RFC 4790 §9.3 `i;octet`, before hashing).
    pub fn new<M, C>(mechanisms: M, channel_bindings: Option<C>) -> Self
    where
        M: IntoIterator,
        M::Item: Into<String>,
        C: IntoIterator,
        C::Item: Into<String>,
    {
        let mut mechanisms: Vec<String> = mechanisms.into_iter().map(Into::into).collect();
        mechanisms.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        let channel_bindings = channel_bindings.map(|c| {
            let mut c: Vec<String> = c.into_iter().map(Into::into).collect();
            c.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            c
        });
        Self {
            mechanisms,
            channel_bindings,
        }
    }

    /// The string S that is hashed.
    pub fn input(&self, form: SsdpForm) -> String {
        let (item, list) = match form {
            SsdpForm::Current => ("\u{1e}", "\u{1f}"),
            SsdpForm::Legacy => (",", "|"),
        };
        let mut s = self.mechanisms.join(item);
        if let Some(cb) = &self.channel_bindings {
            s.push_str(list);
            s.push_str(&cb.join(item));
        }
        s
    }

    /// The attribute name of a form.
    pub const fn attribute(form: SsdpForm) -> char {
        match form {
            SsdpForm::Current => 'h',
            SsdpForm::Legacy => 'd',
        }
    }

    /// The base64 attribute value for a mechanism using `hash`.
    pub fn value(&self, hash: Hash, form: SsdpForm) -> String {
        STANDARD.encode(hash.digest(self.input(form).as_bytes()).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xep_0474_example() {
        // XEP-0474 §"Full Example".
        let s = Ssdp::new(
            ["SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"],
            Some(["tls-server-end-point", "tls-exporter"]),
        );
        assert_eq!(
            s.input(SsdpForm::Current),
            "SCRAM-SHA-1\u{1e}SCRAM-SHA-1-PLUS\u{1f}tls-exporter\u{1e}tls-server-end-point"
        );
        assert_eq!(
            s.value(Hash::Sha1, SsdpForm::Current),
            "G6k/rBLDqgOhRRaCuuatSDFkJ08="
        );
    }

    #[test]
    fn xep_0474_0_3_legacy_example() {
        // XEP-0474 0.3.1 §"Full Example" (before 0.4.0 changed the
        // delimiters and renamed the attribute from `d` to `h`).
        let s = Ssdp::new(
            ["SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"],
            Some(["tls-server-end-point", "tls-exporter"]),
        );
        assert_eq!(
            s.input(SsdpForm::Legacy),
            "SCRAM-SHA-1,SCRAM-SHA-1-PLUS|tls-exporter,tls-server-end-point"
        );
        assert_eq!(
            s.value(Hash::Sha1, SsdpForm::Legacy),
            "dRc3RenuSY9ypgPpERowoaySQZY="
        );
    }
}
