//! The [`Payload`] trait: a typed view of one element, and helpers the
//! typed payloads share.

use xmpp_jid::Jid;

use crate::element::Element;
use crate::error::PayloadError;

/// A typed element: a stanza payload (`<query xmlns='jabber:iq:roster'/>`)
/// or a nonza (`<starttls/>`). Reading checks the name and namespace and
/// the element's grammar; writing gives an element that reads back equal.
pub trait Payload: Sized {
    /// The element name, e.g. `query`.
    const NAME: &'static str;
    /// The namespace, e.g. `jabber:iq:roster`.
    const NS: &'static str;

    /// Reads the typed value from `e`.
    fn from_element(e: &Element) -> Result<Self, PayloadError>;

    /// The element.
    fn to_element(&self) -> Element;

    /// Whether `e` has this payload's name and namespace.
    fn matches(e: &Element) -> bool {
        e.is(Self::NAME, Self::NS)
    }
}

/// Checks the name and namespace of `e` against `P`.
pub(crate) fn expect<P: Payload>(e: &Element) -> Result<(), PayloadError> {
    if P::matches(e) {
        Ok(())
    } else {
        Err(PayloadError::UnexpectedElement {
            expected: P::NAME,
            name: e.name().into(),
            ns: e.ns().into(),
        })
    }
}

/// A required attribute.
pub(crate) fn required<'a>(
    e: &'a Element,
    element: &'static str,
    attribute: &'static str,
) -> Result<&'a str, PayloadError> {
    e.attr(attribute)
        .ok_or(PayloadError::MissingAttribute { element, attribute })
}

/// An attribute holding a JID.
pub(crate) fn jid_attr(
    e: &Element,
    element: &'static str,
    attribute: &'static str,
) -> Result<Option<Jid>, PayloadError> {
    e.attr(attribute)
        .map(|v| {
            Jid::new(v).map_err(|error| PayloadError::InvalidJid {
                element,
                attribute,
                value: v.into(),
                error: alloc::boxed::Box::new(error),
            })
        })
        .transpose()
}

/// An XML Schema boolean (`true`, `false`, `1`, `0`).
pub(crate) fn boolean(
    v: Option<&str>,
    element: &'static str,
    attribute: &'static str,
) -> Result<Option<bool>, PayloadError> {
    match v {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => Err(PayloadError::InvalidAttribute {
            element,
            attribute,
            value: other.into(),
        }),
    }
}
