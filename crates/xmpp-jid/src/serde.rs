//! The `serde` feature: JIDs serialize as their enforced string and
//! deserialize from a string, which is parsed and enforced (RFC 7622), so a
//! deserialized JID is as trustworthy as a parsed one.

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
}
