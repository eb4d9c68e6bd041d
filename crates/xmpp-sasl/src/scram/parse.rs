//! The SCRAM message grammar of RFC 5802 §7, parsed with nom.
//!
//! Every parser works on the exact bytes received and returns borrowed
//! slices of them, so the AuthMessage (RFC 5802 §3) is built from the bytes
//! as sent, optional attributes included. Nothing here panics or allocates
//! more than the input's size.

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::verify;
use nom::{IResult, Parser};
use zeroize::Zeroizing;

use crate::error::{Error, Field, Message};

type PResult<'a, O> = IResult<&'a str, O>;

/// The gs2-cbind-flag (RFC 5802 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CbFlag<'a> {
    /// `n`: the client does not support channel binding.
    No,
    /// `y`: the client supports it but thinks the server does not.
    Yes,
    /// `p=<cb-name>`: the client uses this binding type.
    Plus(&'a str),
}

/// A parsed client-first-message.
#[derive(Debug)]
pub(crate) struct ClientFirst<'a> {
    pub(crate) flag: CbFlag<'a>,
    pub(crate) authzid: Option<String>,
    /// The gs2-header exactly as received, e.g. `n,,`.
    pub(crate) gs2_header: &'a str,
    /// client-first-message-bare exactly as received.
    pub(crate) bare: &'a str,
    pub(crate) username: String,
    pub(crate) nonce: &'a str,
}

/// A parsed server-first-message.
#[derive(Debug)]
pub(crate) struct ServerFirst<'a> {
    pub(crate) nonce: &'a str,
    pub(crate) salt: Vec<u8>,
    pub(crate) iterations: u32,
    /// Optional extensions in order, e.g. XEP-0474's `h`.
    pub(crate) extensions: Vec<(char, &'a str)>,
}

/// A parsed client-final-message.
pub(crate) struct ClientFinal<'a> {
    /// The gs2-header and channel-binding data: secret, zeroized.
    pub(crate) channel_binding: Zeroizing<Vec<u8>>,
    pub(crate) nonce: &'a str,
    /// client-final-message-without-proof exactly as received.
    pub(crate) without_proof: &'a str,
    pub(crate) proof: Vec<u8>,
}

/// A parsed server-final-message.
#[derive(Debug)]
pub(crate) enum ServerFinal<'a> {
    Verifier(Vec<u8>),
    Error(&'a str),
}

/// Runs nom parsers over one message, tracking the offset for errors.
struct Cursor<'a> {
    message: Message,
    full: &'a str,
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn new(message: Message, input: &'a [u8], max: usize) -> Result<Self, Error> {
        if input.len() > max {
            return Err(Error::MessageTooLong {
                message,
                max,
                len: input.len(),
            });
        }
        let full = core::str::from_utf8(input).map_err(|e| Error::Malformed {
            message,
            rule: "UTF8-char",
            offset: e.valid_up_to(),
        })?;
        Ok(Self {
            message,
            full,
            rest: full,
        })
    }

    fn offset(&self) -> usize {
        self.full.len() - self.rest.len()
    }

    fn malformed(&self, rule: &'static str) -> Error {
        Error::Malformed {
            message: self.message,
            rule,
            offset: self.offset(),
        }
    }

    fn run<O>(
        &mut self,
        rule: &'static str,
        mut p: impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>,
    ) -> Result<O, Error> {
        match p.parse(self.rest) {
            Ok((rest, out)) => {
                self.rest = rest;
                Ok(out)
            }
            Err(_) => Err(self.malformed(rule)),
        }
    }

    fn peek(&self, prefix: &str) -> bool {
        self.rest.starts_with(prefix)
    }

    fn done(&self) -> bool {
        self.rest.is_empty()
    }

    /// The consumed part since `start`.
    fn since(&self, start: usize) -> &'a str {
        self.full.get(start..self.offset()).unwrap_or_default()
    }

    fn base64(&self, attribute: char, text: &str) -> Result<Vec<u8>, Error> {
        STANDARD.decode(text).map_err(|_| Error::Base64 {
            message: self.message,
            attribute,
        })
    }

    /// `m=…` first means a mandatory extension, which nobody defines.
    fn refuse_mandatory(&self) -> Result<(), Error> {
        if self.peek("m=") {
            Err(Error::MandatoryExtension {
                message: self.message,
            })
        } else {
            Ok(())
        }
    }

    /// `*("," attr-val)`, stopping before `,p=` when `stop_at_proof`.
    fn extensions(&mut self, stop_at_proof: bool) -> Result<Vec<(char, &'a str)>, Error> {
        let mut out = Vec::new();
        while !self.done() {
            if stop_at_proof && self.peek(",p=") {
                break;
            }
            let (name, value) = self
                .run("attr-val", (char(','), attr_val))
                .map(|(_, a)| a)?;
            if name == 'm' {
                return Err(Error::MandatoryExtension {
                    message: self.message,
                });
            }
            out.push((name, value));
        }
        Ok(out)
    }
}

/// `value-char`: any UTF-8 character but NUL and `,`.
fn value(i: &str) -> PResult<'_, &str> {
    take_while1(|c: char| c != ',' && c != '\0').parse(i)
}

/// `attr-val = ALPHA "=" value`.
fn attr_val(i: &str) -> PResult<'_, (char, &str)> {
    (satisfy(|c| c.is_ascii_alphabetic()), char('='), value)
        .map(|(n, _, v)| (n, v))
        .parse(i)
}

/// `printable = %x21-2B / %x2D-7E` (the nonce alphabet).
fn printable(i: &str) -> PResult<'_, &str> {
    take_while1(|c: char| ('\x21'..='\x7e').contains(&c) && c != ',').parse(i)
}

/// The base64 alphabet; strictness is checked when decoding.
fn base64_chars(i: &str) -> PResult<'_, &str> {
    take_while(|c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=').parse(i)
}

/// `cb-name = 1*(ALPHA / DIGIT / "." / "-")`.
fn cb_name(i: &str) -> PResult<'_, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-').parse(i)
}

/// `posit-number = %x31-39 *DIGIT`: no sign, no leading zero.
fn posit_number(i: &str) -> PResult<'_, &str> {
    verify(take_while1(|c: char| c.is_ascii_digit()), |d: &str| {
        !d.starts_with('0')
    })
    .parse(i)
}

fn cb_flag(i: &str) -> PResult<'_, CbFlag<'_>> {
    alt((
        tag("n").map(|_| CbFlag::No),
        tag("y").map(|_| CbFlag::Yes),
        (tag("p="), cb_name).map(|(_, n)| CbFlag::Plus(n)),
    ))
    .parse(i)
}

/// Decodes a `saslname` (RFC 5802 §5.1): `=2C` is `,`, `=3D` is `=`, any
/// other `=` is an error.
pub(crate) fn decode_saslname(s: &str, message: Message, field: Field) -> Result<String, Error> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('=') {
        out.push_str(rest.get(..pos).unwrap_or_default());
        let esc = rest.get(pos..pos + 3);
        out.push(match esc {
            Some("=2C") => ',',
            Some("=3D") => '=',
            _ => return Err(Error::UsernameEncoding { message, field }),
        });
        rest = rest.get(pos + 3..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// Encodes a `saslname`: `=` as `=3D`, `,` as `=2C`.
pub(crate) fn encode_saslname(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '=' => out.push_str("=3D"),
            ',' => out.push_str("=2C"),
            c => out.push(c),
        }
    }
    out
}

/// `client-first-message = gs2-header client-first-message-bare`.
pub(crate) fn client_first(input: &[u8], max: usize) -> Result<ClientFirst<'_>, Error> {
    let m = Message::ClientFirst;
    let mut c = Cursor::new(m, input, max)?;
    let flag = c.run("gs2-cbind-flag", cb_flag)?;
    c.run("gs2-header", char(','))?;
    let authzid = if c.peek("a=") {
        let raw = c.run("authzid", (tag("a="), value)).map(|(_, v)| v)?;
        Some(decode_saslname(raw, m, Field::Authzid)?)
    } else {
        None
    };
    c.run("gs2-header", char(','))?;
    let gs2_header = c.since(0);
    let bare_start = c.offset();
    c.refuse_mandatory()?;
    let raw_user = c.run("username", (tag("n="), value)).map(|(_, v)| v)?;
    let username = decode_saslname(raw_user, m, Field::Authcid)?;
    let nonce = c.run("nonce", (tag(",r="), printable)).map(|(_, v)| v)?;
    c.extensions(false)?;
    let bare = c.full.get(bare_start..).unwrap_or_default();
    Ok(ClientFirst {
        flag,
        authzid,
        gs2_header,
        bare,
        username,
        nonce,
    })
}

/// `server-first-message = [reserved-mext ","] nonce "," salt ","
/// iteration-count ["," extensions]`.
pub(crate) fn server_first(input: &[u8], max: usize) -> Result<ServerFirst<'_>, Error> {
    let mut c = Cursor::new(Message::ServerFirst, input, max)?;
    c.refuse_mandatory()?;
    let nonce = c.run("nonce", (tag("r="), printable)).map(|(_, v)| v)?;
    let salt_b64 = c.run("salt", (tag(",s="), base64_chars)).map(|(_, v)| v)?;
    let salt = c.base64('s', salt_b64)?;
    let i_start = c.offset();
    let digits = c
        .run("iteration-count", (tag(",i="), posit_number))
        .map(|(_, v)| v)?;
    let iterations = digits.parse::<u32>().map_err(|_| Error::Malformed {
        message: Message::ServerFirst,
        rule: "iteration-count",
        offset: i_start,
    })?;
    let extensions = c.extensions(false)?;
    Ok(ServerFirst {
        nonce,
        salt,
        iterations,
        extensions,
    })
}

/// `client-final-message = client-final-message-without-proof "," proof`.
pub(crate) fn client_final(input: &[u8], max: usize) -> Result<ClientFinal<'_>, Error> {
    let mut c = Cursor::new(Message::ClientFinal, input, max)?;
    let cb_b64 = c
        .run("channel-binding", (tag("c="), base64_chars))
        .map(|(_, v)| v)?;
    let channel_binding = Zeroizing::new(c.base64('c', cb_b64)?);
    let nonce = c.run("nonce", (tag(",r="), printable)).map(|(_, v)| v)?;
    c.extensions(true)?;
    let without_proof = c.since(0);
    let proof_b64 = c.run("proof", (tag(",p="), base64_chars)).map(|(_, v)| v)?;
    if !c.done() {
        return Err(c.malformed("client-final-message"));
    }
    let proof = c.base64('p', proof_b64)?;
    Ok(ClientFinal {
        channel_binding,
        nonce,
        without_proof,
        proof,
    })
}

/// `server-final-message = (server-error / verifier) ["," extensions]`.
pub(crate) fn server_final(input: &[u8], max: usize) -> Result<ServerFinal<'_>, Error> {
    let mut c = Cursor::new(Message::ServerFinal, input, max)?;
    let out = if c.peek("e=") {
        ServerFinal::Error(c.run("server-error", (tag("e="), value)).map(|(_, v)| v)?)
    } else {
        let v = c
            .run("verifier", (tag("v="), base64_chars))
            .map(|(_, v)| v)?;
        ServerFinal::Verifier(c.base64('v', v)?)
    };
    c.extensions(false)?;
    Ok(out)
}

/// Checks a whole input is a valid nonce (`printable`), for nonces the
/// caller injects.
pub(crate) fn is_printable(s: &str) -> bool {
    matches!(printable.parse(s), Ok(("", _)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 4096;

    #[test]
    fn saslname_escapes_both_ways() {
        let m = Message::ClientFirst;
        assert_eq!(
            decode_saslname("us=2Cer=3D", m, Field::Authcid).as_deref(),
            Ok("us,er=")
        );
        assert_eq!(encode_saslname("us,er="), "us=2Cer=3D");
        for bad in ["=", "a=2", "=2c", "=3d", "x=41", "=="] {
            assert!(decode_saslname(bad, m, Field::Authcid).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_first_keeps_raw_slices() {
        let msg = b"n,a=adm=2Cin,n=user,r=abc,x=1";
        let cf = client_first(msg, MAX).expect("valid");
        assert_eq!(cf.flag, CbFlag::No);
        assert_eq!(cf.gs2_header, "n,a=adm=2Cin,");
        assert_eq!(cf.bare, "n=user,r=abc,x=1");
        assert_eq!(cf.authzid.as_deref(), Some("adm,in"));
        assert_eq!(cf.nonce, "abc");
    }

    #[test]
    fn client_first_refuses() {
        for bad in [
            &b"n,,n"[..],
            b"n,,",
            b"n,,n=user,r",
            b"n,a,n=u,r=x",
            b"n,,m=x,n=u,r=a",
            b"q,,n=u,r=a",
            b"n,,n=u,r=a,",
        ] {
            assert!(
                client_first(bad, MAX).is_err(),
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
        assert!(matches!(
            client_first(b"n,,m=x,n=u,r=a", MAX),
            Err(Error::MandatoryExtension { .. })
        ));
    }

    #[test]
    fn server_first_iterations() {
        assert_eq!(
            server_first(b"r=ab,s=QSXCR+Q6sek8bf92,i=4096", MAX).map(|s| s.iterations),
            Ok(4096)
        );
        for bad in ["i=0400", "i=0", "i=-1", "i=4294967296", "i=", "i=40a"] {
            let msg = alloc::format!("r=ab,s=QSXCR+Q6sek8bf92,{bad}");
            assert!(server_first(msg.as_bytes(), MAX).is_err(), "{bad}");
        }
        assert!(matches!(
            server_first(b"r=ab,s=QSXCR+Q6sek8bf9,i=1", MAX),
            Err(Error::Base64 { attribute: 's', .. })
        ));
    }

    #[test]
    fn client_final_splits_at_proof() {
        let cf = client_final(b"c=biws,r=ab,x=p=q,p=AAAA", MAX).expect("valid");
        assert_eq!(cf.without_proof, "c=biws,r=ab,x=p=q");
        assert_eq!(cf.proof, [0, 0, 0]);
        assert!(client_final(b"c=biws,r=ab,p=AAAA,x=1", MAX).is_err());
    }
}
