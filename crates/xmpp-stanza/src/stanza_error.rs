//! Stanza errors (RFC 6120 §8.3): the `<error/>` child of a stanza of type
//! `error`, with its type (§8.3.2), one of the 22 defined conditions
//! (§8.3.3), optional text (§8.3.2) and application-specific condition
//! (§8.3.4), and the `by` attribute.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::element::{Element, XML_NS};
use crate::error::PayloadError;

/// The namespace of stanza error conditions (RFC 6120 §8.3.2).
pub const STANZAS_NS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

/// What the sender of the failed stanza should do (RFC 6120 §8.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorType {
    /// Retry after providing credentials.
    Auth,
    /// Do not retry: the error cannot be remedied.
    Cancel,
    /// Proceed: the condition was only a warning.
    Continue,
    /// Retry after changing the data sent.
    Modify,
    /// Retry after waiting: the error is temporary.
    Wait,
}

impl ErrorType {
    /// The attribute value, e.g. `cancel`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Cancel => "cancel",
            Self::Continue => "continue",
            Self::Modify => "modify",
            Self::Wait => "wait",
        }
    }

    /// The type named `s`.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "auth" => Self::Auth,
            "cancel" => Self::Cancel,
            "continue" => Self::Continue,
            "modify" => Self::Modify,
            "wait" => Self::Wait,
            _ => return None,
        })
    }
}

macro_rules! conditions {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $ty:ident;)*) => {
        /// A defined stanza error condition (RFC 6120 §8.3.3, all 22).
        /// `gone` and `redirect` carry the URI or address of their
        /// character data (§8.3.3.5, §8.3.3.14).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum DefinedCondition {
            $($(#[$doc])* $variant,)*
            /// §8.3.3.5 `gone`: the recipient is no longer at this address;
            /// the new one if known (a `xmpp:` URI).
            Gone(Option<String>),
            /// §8.3.3.14 `redirect`: try this other address.
            Redirect(Option<String>),
        }

        impl DefinedCondition {
            /// The element name, e.g. `item-not-found`.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                    Self::Gone(_) => "gone",
                    Self::Redirect(_) => "redirect",
                }
            }

            /// The error type RFC 6120's examples pair with the condition,
            /// the default for a reply.
            pub fn default_type(&self) -> ErrorType {
                match self {
                    $(Self::$variant => ErrorType::$ty,)*
                    Self::Gone(_) => ErrorType::Cancel,
                    Self::Redirect(_) => ErrorType::Modify,
                }
            }

            /// The condition named `name`, with `text` as the URI of
            /// `gone` and `redirect` (empty text meaning none).
            pub fn from_name(name: &str, text: &str) -> Option<Self> {
                let uri = (!text.is_empty()).then(|| String::from(text));
                Some(match name {
                    $($name => Self::$variant,)*
                    "gone" => Self::Gone(uri),
                    "redirect" => Self::Redirect(uri),
                    _ => return None,
                })
            }

            /// The 22 condition names, in RFC order.
            pub const NAMES: &'static [&'static str] = &[
                "bad-request", "conflict", "feature-not-implemented", "forbidden", "gone",
                "internal-server-error", "item-not-found", "jid-malformed", "not-acceptable",
                "not-allowed", "not-authorized", "policy-violation", "recipient-unavailable",
                "redirect", "registration-required", "remote-server-not-found",
                "remote-server-timeout", "resource-constraint", "service-unavailable",
                "subscription-required", "undefined-condition", "unexpected-request",
            ];
        }
    };
}

conditions! {
    /// §8.3.3.1: malformed or unprocessable data.
    BadRequest = "bad-request", Modify;
    /// §8.3.3.2: a resource or session with that name already exists.
    Conflict = "conflict", Cancel;
    /// §8.3.3.3: the feature is not implemented.
    FeatureNotImplemented = "feature-not-implemented", Cancel;
    /// §8.3.3.4: the sender lacks the permissions.
    Forbidden = "forbidden", Auth;
    /// §8.3.3.6: a misconfiguration or internal failure.
    InternalServerError = "internal-server-error", Cancel;
    /// §8.3.3.7: the addressed item or JID does not exist.
    ItemNotFound = "item-not-found", Cancel;
    /// §8.3.3.8: an address that violates the JID rules.
    JidMalformed = "jid-malformed", Modify;
    /// §8.3.3.9: the request breaks a policy or rule of the recipient.
    NotAcceptable = "not-acceptable", Modify;
    /// §8.3.3.10: no entity may perform the action.
    NotAllowed = "not-allowed", Cancel;
    /// §8.3.3.11: the sender must authenticate first.
    NotAuthorized = "not-authorized", Auth;
    /// §8.3.3.12: a local service policy was violated.
    PolicyViolation = "policy-violation", Modify;
    /// §8.3.3.13: the recipient is temporarily unavailable.
    RecipientUnavailable = "recipient-unavailable", Wait;
    /// §8.3.3.15: registration is required first.
    RegistrationRequired = "registration-required", Auth;
    /// §8.3.3.16: the remote domain does not exist or cannot be resolved.
    RemoteServerNotFound = "remote-server-not-found", Cancel;
    /// §8.3.3.17: the remote server did not answer in time.
    RemoteServerTimeout = "remote-server-timeout", Wait;
    /// §8.3.3.18: the server lacks the resources.
    ResourceConstraint = "resource-constraint", Wait;
    /// §8.3.3.19: the service is not provided.
    ServiceUnavailable = "service-unavailable", Cancel;
    /// §8.3.3.20: a subscription is required first.
    SubscriptionRequired = "subscription-required", Auth;
    /// §8.3.3.21: none of the others; see the application condition.
    UndefinedCondition = "undefined-condition", Modify;
    /// §8.3.3.22: understood but not expected now.
    UnexpectedRequest = "unexpected-request", Wait;
}

impl fmt::Display for DefinedCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `<error/>` child of a stanza of type `error` (RFC 6120 §8.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StanzaError {
    /// The error type.
    pub type_: ErrorType,
    /// The defined condition.
    pub condition: DefinedCondition,
    /// The entity that generated the error (`by`), as received.
    pub by: Option<String>,
    /// Descriptive texts with their `xml:lang`.
    pub texts: Vec<(Option<String>, String)>,
    /// The application-specific condition (§8.3.4).
    pub app: Option<Element>,
}

impl StanzaError {
    /// An error with `condition` and its usual type.
    pub fn new(condition: DefinedCondition) -> Self {
        Self {
            type_: condition.default_type(),
            condition,
            by: None,
            texts: Vec::new(),
            app: None,
        }
    }

    /// Sets the type.
    #[must_use]
    pub fn with_type(mut self, type_: ErrorType) -> Self {
        self.type_ = type_;
        self
    }

    /// Adds a descriptive text.
    #[must_use]
    pub fn with_text(mut self, lang: Option<&str>, text: impl Into<String>) -> Self {
        self.texts.push((lang.map(String::from), text.into()));
        self
    }

    /// Sets `by`.
    #[must_use]
    pub fn with_by(mut self, by: impl Into<String>) -> Self {
        self.by = Some(by.into());
        self
    }

    /// Sets the application-specific condition.
    #[must_use]
    pub fn with_app(mut self, app: Element) -> Self {
        self.app = Some(app);
        self
    }

    /// Reads an `<error/>` element (in the stanza's namespace `ns`).
    pub fn from_element(e: &Element) -> Result<Self, PayloadError> {
        if e.name() != "error" {
            return Err(PayloadError::UnexpectedElement {
                expected: "error",
                name: e.name().into(),
                ns: e.ns().into(),
            });
        }
        let type_ = match e.attr("type") {
            None => {
                return Err(PayloadError::MissingAttribute {
                    element: "error",
                    attribute: "type",
                });
            }
            Some(t) => ErrorType::from_name(t).ok_or_else(|| PayloadError::InvalidAttribute {
                element: "error",
                attribute: "type",
                value: t.into(),
            })?,
        };
        let mut condition = None;
        let mut texts = Vec::new();
        let mut app = None;
        for c in e.children() {
            if c.ns() == STANZAS_NS {
                if c.name() == "text" {
                    texts.push((c.lang().map(String::from), c.text().into_owned()));
                    continue;
                }
                if let Some(cond) = DefinedCondition::from_name(c.name(), &c.text()) {
                    if condition.is_some() {
                        return Err(PayloadError::UnexpectedChild {
                            element: "error",
                            child: c.name().into(),
                        });
                    }
                    condition = Some(cond);
                    continue;
                }
            }
            if app.is_some() {
                return Err(PayloadError::UnexpectedChild {
                    element: "error",
                    child: c.name().into(),
                });
            }
            app = Some(c.clone());
        }
        Ok(Self {
            type_,
            condition: condition.ok_or(PayloadError::MissingChild {
                element: "error",
                child: "condition",
            })?,
            by: e.attr("by").map(String::from),
            texts,
            app,
        })
    }

    /// The `<error/>` element in the stanza namespace `ns`.
    pub fn to_element(&self, ns: &str) -> Element {
        let mut e = Element::new("error", ns).with_attr("type", self.type_.as_str());
        if let Some(by) = &self.by {
            e.set_attr("by", by.as_str());
        }
        let mut cond = Element::new(self.condition.as_str(), STANZAS_NS);
        if let DefinedCondition::Gone(Some(uri)) | DefinedCondition::Redirect(Some(uri)) =
            &self.condition
        {
            cond.push_text(uri);
        }
        e.push_child(cond);
        for (lang, text) in &self.texts {
            let mut t = Element::new("text", STANZAS_NS);
            if let Some(lang) = lang {
                t.set_attr_ns("lang", XML_NS, lang.as_str());
            }
            t.push_text(text);
            e.push_child(t);
        }
        if let Some(app) = &self.app {
            e.push_child(app.clone());
        }
        e
    }
}

impl fmt::Display for StanzaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.condition, self.type_.as_str())?;
        if let Some((_, t)) = self.texts.first() {
            write!(f, ": {t}")?;
        }
        Ok(())
    }
}

impl core::error::Error for StanzaError {}

impl From<DefinedCondition> for StanzaError {
    fn from(c: DefinedCondition) -> Self {
        Self::new(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_22_conditions_round_trip() {
        assert_eq!(DefinedCondition::NAMES.len(), 22);
        for name in DefinedCondition::NAMES {
            let c = DefinedCondition::from_name(name, "").unwrap();
            assert_eq!(c.as_str(), *name);
            let e = StanzaError::new(c).with_text(Some("en"), "why");
            assert_eq!(
                StanzaError::from_element(&e.to_element("jabber:client")),
                Ok(e)
            );
        }
    }

    #[test]
    fn gone_and_redirect_carry_their_uri() {
        let e = StanzaError::new(DefinedCondition::Redirect(Some("xmpp:a@b".into())));
        let el = e.to_element("jabber:server");
        assert_eq!(
            el.children().next().map(|c| c.text()),
            Some("xmpp:a@b".into())
        );
        assert_eq!(StanzaError::from_element(&el), Ok(e));
    }

    #[test]
    fn missing_condition_or_type_is_a_payload_error() {
        let e = Element::new("error", "jabber:client");
        assert!(matches!(
            StanzaError::from_element(&e),
            Err(PayloadError::MissingAttribute { .. })
        ));
        let e = e.with_attr("type", "cancel");
        assert!(matches!(
            StanzaError::from_element(&e),
            Err(PayloadError::MissingChild { .. })
        ));
    }
}
