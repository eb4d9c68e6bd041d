//! The `serde` feature: JIDs serialize as their enforced string and
//! deserialize from a string, which is parsed and enforced (RFC 7622; RFC
//! 6122 for a [`crate::LegacyJid`]), so a deserialized JID is as
//! trustworthy as a parsed one and a serialized one comes back the same.

use alloc::string::String;

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, Serializer};

use crate::{BareJid, FullJid, Jid};

macro_rules! string_serde {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                <$ty>::try_from(s).map_err(D::Error::custom)
            }
        }
    )*};
}

string_serde!(Jid, BareJid, FullJid);
#[cfg(feature = "stringprep")]
string_serde!(crate::LegacyJid);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_form_validated() {
        let jid: Jid = serde_json::from_str("\"Juliet@Example.com/Balcony\"").unwrap();
        assert_eq!(jid, "juliet@example.com/Balcony");
        assert_eq!(
            serde_json::to_string(&jid).unwrap(),
            "\"juliet@example.com/Balcony\""
        );
        assert!(serde_json::from_str::<Jid>("\"@example.com\"").is_err());
        assert!(serde_json::from_str::<BareJid>("\"a@b/c\"").is_err());
        let full: FullJid = serde_json::from_str("\"a@b/c\"").unwrap();
        assert_eq!(full.resourcepart(), "c");
    }

    /// A legacy-only JID (RFC 6122 accepts it, RFC 7622 does not) comes
    /// back from its serialization as the same legacy JID, and is never a
    /// `Jid`.
    #[cfg(feature = "stringprep")]
    #[test]
    fn legacy_round_trip() {
        let legacy = crate::LegacyJid::new("Stra\u{DF}e@\u{2603}.net/Balcony").unwrap();
        let text = serde_json::to_string(&legacy).unwrap();
        assert_eq!(text, "\"strasse@\u{2603}.net/Balcony\"");
        let again: crate::LegacyJid = serde_json::from_str(&text).unwrap();
        assert_eq!(again, legacy);
        assert!(serde_json::from_str::<Jid>(&text).is_err());
    }
}
