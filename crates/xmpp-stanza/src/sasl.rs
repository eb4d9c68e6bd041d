//! SASL negotiation nonzas (RFC 6120 §6.4): `auth`, `challenge`,
//! `response`, `success`, `failure` (the §6.5 conditions) and `abort`.
//! Payloads are base64 (RFC 4648 §4) decoded strictly: canonical padding,
//! no white space, no stray bits; an empty payload is written `=`
//! (§6.4.2). Mechanism names are open strings.

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::element::{Element, XML_NS};
use crate::error::PayloadError;

/// The SASL namespace (RFC 6120 §6.4.1).
pub const SASL_NS: &str = "urn:ietf:params:xml:ns:xmpp-sasl";

/// Decodes the base64 text of `element` strictly; `=` is the empty
/// payload, and no text at all is `None`.
pub(crate) fn decode(text: &str, element: &'static str) -> Result<Option<Vec<u8>>, PayloadError> {
    match text {
        "" => Ok(None),
        "=" => Ok(Some(Vec::new())),
        t => STANDARD
            .decode(t)
            .map(Some)
            .map_err(|_| PayloadError::InvalidBase64 { element }),
    }
}

/// Encodes a payload: `=` for empty, nothing for `None`.
pub(crate) fn encode(data: Option<&[u8]>) -> String {
    match data {
        None => String::new(),
        Some([]) => "=".into(),
        Some(d) => STANDARD.encode(d),
    }
}

macro_rules! sasl_conditions {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// A SASL failure condition (RFC 6120 §6.5).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum SaslCondition {
            $($(#[$doc])* $variant,)*
            /// A condition this crate does not know, kept by name.
            Other(String),
        }

        impl SaslCondition {
            /// The element name.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $name,)*
                    Self::Other(s) => s,
                }
            }

            /// The condition named `name`.
            pub fn from_name(name: &str) -> Self {
                match name {
                    $($name => Self::$variant,)*
                    other => Self::Other(other.into()),
                }
            }
        }
    };
}

sasl_conditions! {
    /// §6.5.1: the initiator aborted.
    Aborted = "aborted",
    /// §6.5.2: the account is disabled.
    AccountDisabled = "account-disabled",
    /// §6.5.3: the credentials have expired.
    CredentialsExpired = "credentials-expired",
    /// §6.5.4: the mechanism needs an encrypted stream.
    EncryptionRequired = "encryption-required",
    /// §6.5.5: the base64 could not be decoded.
    IncorrectEncoding = "incorrect-encoding",
    /// §6.5.6: the authorization identity is not valid.
    InvalidAuthzid = "invalid-authzid",
    /// §6.5.7: the mechanism is not supported.
    InvalidMechanism = "invalid-mechanism",
    /// §6.5.8: the request is malformed.
    MalformedRequest = "malformed-request",
    /// §6.5.9: the mechanism is weaker than policy allows.
    MechanismTooWeak = "mechanism-too-weak",
    /// §6.5.10: the credentials are wrong.
    NotAuthorized = "not-authorized",
    /// §6.5.11: a temporary error; try later.
    TemporaryAuthFailure = "temporary-auth-failure",
}

/// A SASL nonza (RFC 6120 §6.4).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sasl {
    /// `<auth mechanism='…'>` with an optional initial response (§6.4.2).
    Auth {
        /// The mechanism name, as given.
        mechanism: String,
        /// The initial response: `None` when absent, empty for `=`.
        initial: Option<Vec<u8>>,
    },
    /// `<challenge/>` (§6.4.3); `None` when empty.
    Challenge(Option<Vec<u8>>),
    /// `<response/>` (§6.4.3); `None` when empty.
    Response(Option<Vec<u8>>),
    /// `<abort/>` (§6.4.4).
    Abort,
    /// `<failure/>` (§6.4.5) with its condition and optional text.
    Failure {
        /// The condition.
        condition: SaslCondition,
        /// Descriptive text with its `xml:lang`.
        text: Option<(Option<String>, String)>,
    },
    /// `<success/>` (§6.4.6) with optional additional data.
    Success(Option<Vec<u8>>),
}

impl Sasl {
    /// Reads a SASL nonza; `Ok(None)` when `e` is not in the SASL namespace
    /// or not one of its elements.
    pub fn from_element(e: &Element) -> Result<Option<Self>, PayloadError> {
        if e.ns() != SASL_NS {
            return Ok(None);
        }
        let text = e.text();
        Ok(Some(match e.name() {
            "auth" => Self::Auth {
                mechanism: e
                    .attr("mechanism")
                    .ok_or(PayloadError::MissingAttribute {
                        element: "auth",
                        attribute: "mechanism",
                    })?
                    .into(),
                initial: decode(&text, "auth")?,
            },
            "challenge" => Self::Challenge(decode(&text, "challenge")?),
            "response" => Self::Response(decode(&text, "response")?),
            "success" => Self::Success(decode(&text, "success")?),
            "abort" => Self::Abort,
            "failure" => {
                let mut condition = None;
                let mut txt = None;
                for c in e.children().filter(|c| c.ns() == SASL_NS) {
                    if c.name() == "text" {
                        txt = Some((c.lang().map(String::from), c.text().into_owned()));
                    } else if condition.is_none() {
                        condition = Some(SaslCondition::from_name(c.name()));
                    }
                }
                Self::Failure {
                    condition: condition.ok_or(PayloadError::MissingChild {
                        element: "failure",
                        child: "condition",
                    })?,
                    text: txt,
                }
            }
            _ => return Ok(None),
        }))
    }

    /// The nonza as an element.
    pub fn to_element(&self) -> Element {
        let with =
            |name: &str, data: Option<&[u8]>| Element::new(name, SASL_NS).with_text(&encode(data));
        match self {
            Self::Auth { mechanism, initial } => {
                with("auth", initial.as_deref()).with_attr("mechanism", mechanism.as_str())
            }
            Self::Challenge(d) => with("challenge", d.as_deref()),
            Self::Response(d) => with("response", d.as_deref()),
            Self::Success(d) => with("success", d.as_deref()),
            Self::Abort => Element::new("abort", SASL_NS),
            Self::Failure { condition, text } => {
                let mut e = Element::new("failure", SASL_NS)
                    .with_child(Element::new(condition.as_str(), SASL_NS));
                if let Some((lang, t)) = text {
                    let mut te = Element::new("text", SASL_NS).with_text(t);
                    if let Some(l) = lang {
                        te.set_attr_ns("lang", XML_NS, l.as_str());
                    }
                    e.push_child(te);
                }
                e
            }
        }
    }
}

/// The `<mechanisms/>` stream feature (RFC 6120 §6.4.1): names in the
/// order offered, open strings.
pub(crate) fn mechanisms(e: &Element) -> Vec<String> {
    e.get_children("mechanism", SASL_NS)
        .map(|m| m.text().trim().into())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str) -> Result<Option<Sasl>, PayloadError> {
        Sasl::from_element(&xml.parse().unwrap())
    }

    #[test]
    fn payloads_are_strict_base64() {
        assert_eq!(
            read(
                "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>"
            ),
            Ok(Some(Sasl::Auth {
                mechanism: "PLAIN".into(),
                initial: Some(b"\0juliet\0r0m30myr0m30".to_vec())
            }))
        );
        assert_eq!(
            read("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-OPEN-NAME'>=</auth>"),
            Ok(Some(Sasl::Auth {
                mechanism: "X-OPEN-NAME".into(),
                initial: Some(Vec::new())
            }))
        );
        for bad in ["AGp1bGlldA", "AGp1 bGlldA==", "AGp1bGlldB==", "*", "AA=A"] {
            let xml = alloc::format!(
                "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{bad}</response>"
            );
            assert_eq!(
                read(&xml),
                Err(PayloadError::InvalidBase64 {
                    element: "response"
                }),
                "{bad}"
            );
        }
    }

    #[test]
    fn round_trips() {
        let all = [
            Sasl::Auth {
                mechanism: "SCRAM-SHA-1".into(),
                initial: None,
            },
            Sasl::Challenge(Some(b"r=abc".to_vec())),
            Sasl::Response(None),
            Sasl::Success(Some(Vec::new())),
            Sasl::Abort,
            Sasl::Failure {
                condition: SaslCondition::AccountDisabled,
                text: Some((Some("en".into()), "call".into())),
            },
            Sasl::Failure {
                condition: SaslCondition::Other("x-new".into()),
                text: None,
            },
        ];
        for s in all {
            assert_eq!(
                Sasl::from_element(&s.to_element()),
                Ok(Some(s.clone())),
                "{s:?}"
            );
        }
    }
}
