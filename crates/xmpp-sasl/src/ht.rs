//! HT-SHA-256-* (the Hashed Token mechanisms behind XEP-0484 FAST): one
//! round trip proving possession of a token, with mutual authentication.
//!
//! Two framings exist. draft-schmaus-kitten-sasl-ht-09 §3 (what XEP-0484
//! cites and deployed servers speak, the default) sends
//! `authcid NUL HMAC(token, "Initiator" || cb-data)` and answers with
//! `HMAC(token, "Responder" || cb-data)`. draft-ietf-kitten-sasl-ht-01 §4
//! adds signed key/value pairs: `authcid NUL extra NUL HMAC(token,
//! "Initiator" || cb-data || extra)`, answered by `NUL extra NUL HMAC(token,
//! "Responder" || cb-data || extra)` or `%x01 failure-description`.

use alloc::string::String;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::error::{Error, Message, ScramError};
use crate::mechanism::Hash;

/// Which HT draft's framing to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HtVersion {
    /// draft-schmaus-kitten-sasl-ht-09, cited by XEP-0484 and deployed.
    #[default]
    Schmaus09,
    /// draft-ietf-kitten-sasl-ht-01: key/value pairs and a failure response.
    Ietf01,
}

/// The responder's HMAC, or the initiator's.
fn hmac(token: &[u8], label: &[u8], cb_data: &[u8], extra: &[u8]) -> crate::scram::keys::Output {
    Hash::Sha256.hmac(token, &[label, cb_data, extra])
}

/// A parsed initiator message.
pub(crate) struct Initiator<'a> {
    pub(crate) authcid: String,
    extra: &'a [u8],
    hashed: &'a [u8],
}

fn split_nul(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let pos = b.iter().position(|&c| c == 0)?;
    Some((b.get(..pos)?, b.get(pos + 1..)?))
}

/// `key-value-pairs = [ key-value-pair *( "," key-value-pair ) ]`.
fn valid_pairs(extra: &[u8]) -> bool {
    let kv = |c: &u8| c.is_ascii_alphanumeric() || b"/+-_".contains(c);
    extra.is_empty()
        || extra.split(|&c| c == b',').all(|pair| {
            let mut parts = pair.splitn(2, |&c| c == b'=');
            match (parts.next(), parts.next()) {
                (Some(k), Some(v)) => {
                    !k.is_empty() && !v.is_empty() && k.iter().all(kv) && v.iter().all(kv)
                }
                _ => false,
            }
        })
}

/// Builds the initiator message. It proves possession of the token (and,
/// without channel binding, is valid as long as the token is), so it is
/// built in one allocation and zeroized on drop.
pub(crate) fn initiator(
    version: HtVersion,
    authcid: &str,
    token: &[u8],
    cb_data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if authcid.is_empty() || authcid.contains('\0') {
        return Err(Error::Malformed {
            message: Message::HtInitial,
            rule: "authcid",
            offset: 0,
        });
    }
    let mac = hmac(token, b"Initiator", cb_data, b"");
    let mut out = Zeroizing::new(Vec::with_capacity(authcid.len() + 2 + mac.as_bytes().len()));
    out.extend_from_slice(authcid.as_bytes());
    out.push(0);
    if version == HtVersion::Ietf01 {
        out.push(0);
    }
    out.extend_from_slice(mac.as_bytes());
    Ok(out)
}

/// Parses the initiator message.
pub(crate) fn parse_initiator(
    version: HtVersion,
    msg: &[u8],
    max: usize,
) -> Result<Initiator<'_>, Error> {
    let message = Message::HtInitial;
    if msg.len() > max {
        return Err(Error::MessageTooLong {
            message,
            max,
            len: msg.len(),
        });
    }
    let malformed = |rule, offset| Error::Malformed {
        message,
        rule,
        offset,
    };
    let (authcid, rest) = split_nul(msg).ok_or(malformed("initiator-msg", msg.len()))?;
    let authcid =
        core::str::from_utf8(authcid).map_err(|e| malformed("authcid", e.valid_up_to()))?;
    if authcid.is_empty() {
        return Err(malformed("authcid", 0));
    }
    let (extra, hashed) = match version {
        HtVersion::Schmaus09 => (&b""[..], rest),
        HtVersion::Ietf01 => {
            let (extra, hashed) = split_nul(rest).ok_or(malformed("initiator-msg", msg.len()))?;
            if !valid_pairs(extra) {
                return Err(malformed("extra-initiator-values", authcid.len() + 1));
            }
            (extra, hashed)
        }
    };
    if hashed.is_empty() {
        return Err(malformed("initiator-hashed-token", msg.len()));
    }
    Ok(Initiator {
        authcid: String::from(authcid),
        extra,
        hashed,
    })
}

impl Initiator<'_> {
    /// Verifies the initiator's HMAC in constant time and builds the
    /// responder message.
    pub(crate) fn verify(
        &self,
        version: HtVersion,
        token: &[u8],
        cb_data: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let expected = hmac(token, b"Initiator", cb_data, self.extra);
        if !expected.ct_eq(self.hashed) {
            return Err(Error::InvalidProof);
        }
        let mac = hmac(token, b"Responder", cb_data, b"");
        Ok(match version {
            HtVersion::Schmaus09 => mac.as_bytes().to_vec(),
            HtVersion::Ietf01 => {
                let mut out = Vec::from(&[0u8, 0][..]);
                out.extend_from_slice(mac.as_bytes());
                out
            }
        })
    }
}

/// Verifies the responder message (mutual authentication).
pub(crate) fn verify_responder(
    version: HtVersion,
    msg: &[u8],
    token: &[u8],
    cb_data: &[u8],
) -> Result<(), Error> {
    let message = Message::HtFinal;
    let malformed = |rule, offset| Error::Malformed {
        message,
        rule,
        offset,
    };
    let (extra, hashed) = match version {
        HtVersion::Schmaus09 => (&b""[..], msg),
        HtVersion::Ietf01 => match msg.split_first() {
            Some((0, rest)) => {
                let (extra, hashed) =
                    split_nul(rest).ok_or(malformed("success-response", msg.len()))?;
                if !valid_pairs(extra) {
                    return Err(malformed("extra-responder-values", 1));
                }
                (extra, hashed)
            }
            Some((1, desc)) => {
                let value = String::from_utf8_lossy(desc).into_owned();
                let error = match value.as_str() {
                    "unknown-user" => Some(ScramError::UnknownUser),
                    "other-error" => Some(ScramError::OtherError),
                    _ => None,
                };
                return Err(Error::ServerError { error, value });
            }
            _ => return Err(malformed("responder-msg", 0)),
        },
    };
    let expected = hmac(token, b"Responder", cb_data, extra);
    if expected.ct_eq(hashed) {
        Ok(())
    } else {
        Err(Error::InvalidServerSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_framings_round_trip() {
        for v in [HtVersion::Schmaus09, HtVersion::Ietf01] {
            let msg = initiator(v, "juliet", b"token", b"cb").expect("build");
            let parsed = parse_initiator(v, &msg, 4096).expect("parse");
            assert_eq!(parsed.authcid, "juliet");
            let reply = parsed.verify(v, b"token", b"cb").expect("verify");
            verify_responder(v, &reply, b"token", b"cb").expect("mutual");
            assert_eq!(parsed.verify(v, b"other", b"cb"), Err(Error::InvalidProof));
            assert_eq!(
                parsed.verify(v, b"token", b"mitm"),
                Err(Error::InvalidProof)
            );
            assert!(verify_responder(v, &reply, b"token", b"").is_err());
        }
    }

    #[test]
    fn key_value_grammar() {
        assert!(valid_pairs(b""));
        assert!(valid_pairs(b"a=b,c-d=e/f+_"));
        for bad in [&b"a"[..], b"=b", b"a=", b"a=b,", b"a b=c", b"a=b=c"] {
            assert!(!valid_pairs(bad), "{bad:?}");
        }
    }
}
