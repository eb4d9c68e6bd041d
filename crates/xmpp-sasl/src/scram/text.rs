//! The stored-credential text of RFC 5803 §3, for account databases:
//! `SCRAM-SHA-256$<iteration count>:<salt>$<StoredKey>:<ServerKey>`, the
//! three values in base64.
//!
//! ```text
//! scram-value = scram-mech "$" iter-count ":" salt "$" stored-key ":" server-key
//! iter-count  = %x31-39 *DIGIT
//! salt, stored-key, server-key = base64
//! ```
//!
//! The text is read from storage an attacker may have written to, so the
//! parser bounds its input, refuses anything but strict base64 and hands
//! the values to [`StoredCredentials::new`], which checks them as it checks
//! keys from any other source.

use alloc::string::String;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::keys::StoredCredentials;
use crate::error::{Error, Message};
use crate::mechanism::{Hash, Mechanism};

/// The longest text accepted, in bytes: a 512-byte salt and two SHA-512
/// keys in base64, with room to spare.
pub const MAX_TEXT_LEN: usize = 1024;

impl StoredCredentials {
    /// The RFC 5803 §3 text of these credentials, e.g.
    /// `SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlG…=:D+CS…=`. The keys let a
    /// thief pose as the server (ServerKey) or, with a captured exchange,
    /// as the user (StoredKey), so the text is zeroized on drop.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(
            20 + 10
                + 4 * self.salt().len().div_ceil(3)
                + 8 * self.hash().output_len().div_ceil(3)
                + 4,
        ));
        out.push_str(
            Mechanism::Scram {
                hash: self.hash(),
                plus: false,
            }
            .name(),
        );
        out.push('$');
        out.push_str(&alloc::format!("{}", self.iterations()));
        out.push(':');
        STANDARD.encode_string(self.salt(), &mut out);
        out.push('$');
        STANDARD.encode_string(self.stored_key(), &mut out);
        out.push(':');
        STANDARD.encode_string(self.server_key(), &mut out);
        out
    }

    /// Parses RFC 5803 §3 text (at most [`MAX_TEXT_LEN`] bytes) for
    /// SCRAM-SHA-1, -256 or -512; refuses what [`Self::new`] refuses.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        let message = Message::StoredCredentials;
        if text.len() > MAX_TEXT_LEN {
            return Err(Error::MessageTooLong {
                message,
                max: MAX_TEXT_LEN,
                len: text.len(),
            });
        }
        let malformed = |rule, offset| Error::Malformed {
            message,
            rule,
            offset,
        };
        let (mech, rest) = text.split_once('$').ok_or(malformed("scram-value", 0))?;
        let hash = [Hash::Sha1, Hash::Sha256, Hash::Sha512]
            .into_iter()
            .find(|&hash| Mechanism::Scram { hash, plus: false }.name() == mech)
            .ok_or(malformed("scram-mech", 0))?;
        let at = |s: &str| text.len() - s.len();
        let (params, keys) = rest
            .split_once('$')
            .ok_or(malformed("scram-value", text.len()))?;
        let (count, salt) = params
            .split_once(':')
            .ok_or(malformed("scram-value", at(rest)))?;
        let (stored, server) = keys
            .split_once(':')
            .ok_or(malformed("scram-value", at(keys)))?;
        let digits = !count.is_empty()
            && !count.starts_with('0')
            && count.bytes().all(|b| b.is_ascii_digit());
        let iterations = count
            .parse::<u32>()
            .ok()
            .filter(|_| digits)
            .ok_or(malformed("iter-count", at(rest)))?;
        let decode = |value: &str, attribute| {
            STANDARD
                .decode(value)
                .map(Zeroizing::new)
                .map_err(|_| Error::Base64 { message, attribute })
        };
        // The attribute letters follow RFC 5802's: s for the salt, and k, v
        // for the StoredKey and ServerKey (which SCRAM never sends).
        let salt = decode(salt, 's')?;
        let stored = decode(stored, 'k')?;
        let server = decode(server, 'v')?;
        Self::new(hash, &salt, iterations, &stored, &server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prep::Prep;

    /// RFC 5802 §5's user: password `pencil`, this salt and count.
    const RFC5802: &str = "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=";

    #[test]
    fn rfc5802_user_round_trips() {
        let salt = STANDARD.decode("QSXCR+Q6sek8bf92").expect("b64");
        let stored =
            StoredCredentials::from_password(Hash::Sha1, Prep::SaslPrep, "pencil", &salt, 4096)
                .expect("derive");
        assert_eq!(stored.to_text().as_str(), RFC5802);
        let parsed = StoredCredentials::from_text(RFC5802).expect("parse");
        assert_eq!(parsed.to_text(), stored.to_text());
        for hash in [Hash::Sha256, Hash::Sha512] {
            let s =
                StoredCredentials::from_password(hash, Prep::None, "pw", b"salt", 1).expect("d");
            let text = s.to_text();
            assert_eq!(
                StoredCredentials::from_text(&text).map(|p| p.to_text()),
                Ok(text)
            );
        }
    }

    #[test]
    fn hostile_text_is_refused() {
        let long = "A".repeat(MAX_TEXT_LEN + 1);
        for bad in [
            "",
            "$",
            "SCRAM-SHA-1",
            "SCRAM-SHA-1-PLUS$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=",
            "scram-sha-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=",
            "SCRAM-SHA-1$0:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=",
            "SCRAM-SHA-1$04096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=",
            "SCRAM-SHA-1$+4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=",
            "SCRAM-SHA-1$4294967296:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=",
            "SCRAM-SHA-1$4096:$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=",
            "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf9$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=",
            "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=",
            "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=$",
            "SCRAM-SHA-256$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=",
            "SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=\n",
            &long,
        ] {
            assert!(StoredCredentials::from_text(bad).is_err(), "{bad:?}");
        }
    }
}
