//! The single-message mechanisms: PLAIN (RFC 4616), EXTERNAL (RFC 4422
//! Appendix A) and ANONYMOUS (RFC 4505).

use alloc::string::String;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::error::{Error, Message};

/// A parsed PLAIN message (RFC 4616 §2):
/// `[authzid] UTF8NUL authcid UTF8NUL passwd`.
pub(crate) struct PlainMessage {
    pub(crate) authzid: Option<String>,
    pub(crate) authcid: String,
    pub(crate) password: Zeroizing<String>,
}

impl core::fmt::Debug for PlainMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PlainMessage")
            .field("authzid", &self.authzid)
            .field("authcid", &self.authcid)
            .finish_non_exhaustive()
    }
}

/// The message as UTF-8 text, if it is no longer than `max` bytes.
fn text(msg: &[u8], message: Message, max: usize) -> Result<&str, Error> {
    if msg.len() > max {
        return Err(Error::MessageTooLong {
            message,
            max,
            len: msg.len(),
        });
    }
    core::str::from_utf8(msg).map_err(|e| Error::Malformed {
        message,
        rule: "UTF8-char",
        offset: e.valid_up_to(),
    })
}

/// Builds a PLAIN message; refuses NUL inside any field. The buffer holds
/// the password, so it is allocated once at its final size (no copy left
/// behind by a reallocation) and zeroized on drop.
pub(crate) fn plain_encode(
    authzid: Option<&str>,
    authcid: &str,
    password: &str,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let bad = |s: &str| s.contains('\0');
    if authzid.is_some_and(bad)
        || bad(authcid)
        || bad(password)
        || authcid.is_empty()
        || password.is_empty()
    {
        return Err(Error::Malformed {
            message: Message::Plain,
            rule: "message",
            offset: 0,
        });
    }
    let mut out = Zeroizing::new(Vec::with_capacity(
        authzid.map_or(0, str::len) + authcid.len() + password.len() + 2,
    ));
    out.extend_from_slice(authzid.unwrap_or("").as_bytes());
    out.push(0);
    out.extend_from_slice(authcid.as_bytes());
    out.push(0);
    out.extend_from_slice(password.as_bytes());
    Ok(out)
}

/// Parses a PLAIN message. The input is zeroized by the caller's buffer,
/// not here; the password copy is zeroized on drop.
pub(crate) fn plain_decode(msg: &[u8], max: usize) -> Result<PlainMessage, Error> {
    let message = Message::Plain;
    let text = text(msg, message, max)?;
    let mut parts = text.splitn(3, '\0');
    let (Some(authzid), Some(authcid), Some(password)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::Malformed {
            message,
            rule: "message",
            offset: msg.len(),
        });
    };
    if let Some(pos) = password.find('\0') {
        let offset = authzid.len() + authcid.len() + 2 + pos;
        return Err(Error::Malformed {
            message,
            rule: "passwd",
            offset,
        });
    }
    if authcid.is_empty() {
        return Err(Error::Malformed {
            message,
            rule: "authcid",
            offset: authzid.len() + 1,
        });
    }
    if password.is_empty() {
        return Err(Error::Malformed {
            message,
            rule: "passwd",
            offset: msg.len(),
        });
    }
    Ok(PlainMessage {
        authzid: (!authzid.is_empty()).then(|| String::from(authzid)),
        authcid: String::from(authcid),
        password: Zeroizing::new(String::from(password)),
    })
}

/// Parses an EXTERNAL message: an optional authzid, UTF-8 without NUL.
pub(crate) fn external_decode(msg: &[u8], max: usize) -> Result<Option<String>, Error> {
    let message = Message::External;
    let text = text(msg, message, max)?;
    if let Some(offset) = text.find('\0') {
        return Err(Error::Malformed {
            message,
            rule: "authzid",
            offset,
        });
    }
    Ok((!text.is_empty()).then(|| String::from(text)))
}

/// Parses an ANONYMOUS message (RFC 4505 §2): optional trace information of
/// at most 255 characters, UTF-8 without control characters.
pub(crate) fn anonymous_decode(msg: &[u8]) -> Result<Option<String>, Error> {
    let message = Message::Anonymous;
    let text = text(msg, message, usize::MAX)?;
    if let Some((offset, _)) = text.char_indices().nth(255) {
        return Err(Error::Malformed {
            message,
            rule: "token",
            offset,
        });
    }
    if let Some((offset, _)) = text.char_indices().find(|(_, c)| c.is_control()) {
        return Err(Error::Malformed {
            message,
            rule: "tchar",
            offset,
        });
    }
    Ok((!text.is_empty()).then(|| String::from(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4616_examples() {
        // RFC 4616 §4.
        let m = plain_decode(b"\0tim\0tanstaaftanstaaf", 4096).expect("valid");
        assert_eq!(
            (m.authzid, m.authcid.as_str(), m.password.as_str()),
            (None, "tim", "tanstaaftanstaaf")
        );
        let m = plain_decode(b"Ursel\0Kurt\0xipj3plmq", 4096).expect("valid");
        assert_eq!(m.authzid.as_deref(), Some("Ursel"));
        assert_eq!(
            plain_encode(Some("Ursel"), "Kurt", "xipj3plmq")
                .ok()
                .as_deref()
                .map(Vec::as_slice),
            Some(&b"Ursel\0Kurt\0xipj3plmq"[..])
        );
    }

    #[test]
    fn plain_refuses() {
        for bad in [
            &b""[..],
            b"\0",
            b"\0\0",
            b"\0a\0",
            b"\0\0p",
            b"a\0b",
            b"\0a\0b\0c",
            b"\0a\0\xff",
        ] {
            assert!(plain_decode(bad, 4096).is_err(), "{bad:?}");
        }
    }
}
