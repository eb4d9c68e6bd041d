//! The address types: [`Jid`] (bare or full), [`BareJid`] and [`FullJid`].
//!
//! Each stores its enforced string once, with the positions of its `@` and
//! `/` separators: parsing allocates at most that one string, the accessors
//! slice it, and `Hash`, `Eq` and `Ord` work on it directly. Up to 48 bytes
//! (most full JIDs) the string lives inline and parsing allocates nothing at
//! all; a longer `String` already in enforced form is kept, buffer and all.

use alloc::borrow::Cow;
use alloc::string::String;
use core::borrow::Borrow;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::num::NonZeroU16;
use core::str::FromStr;

use crate::domain;
use crate::error::Error;
use crate::parts::{DomainPart, LocalPart, ResourcePart, enforce_localpart, enforce_resourcepart};
use crate::repr::Repr;

/// An XMPP address (RFC 7622 §3): `[localpart@]domainpart[/resourcepart]`,
/// in enforced form.
///
/// ```
/// use xmpp_jid::Jid;
/// let jid: Jid = "Juliet@Example.COM/Balcony".parse()?;
/// assert_eq!(jid, "juliet@example.com/Balcony");
/// assert_eq!(jid.localpart(), Some("juliet"));
/// assert_eq!(jid.domainpart(), "example.com");
/// assert_eq!(jid.resourcepart(), Some("Balcony"));
/// assert_eq!(jid.to_bare(), "juliet@example.com");
/// # Ok::<(), xmpp_jid::Error>(())
/// ```
#[derive(Clone)]
pub struct Jid {
    /// The enforced JID; never longer than 3 × 1023 + 2 octets.
    s: Repr,
    /// The byte position of the `@`, when there is a localpart (so never 0).
    at: Option<NonZeroU16>,
    /// The byte position of the `/`, when there is a resourcepart (never 0).
    slash: Option<NonZeroU16>,
}

/// The enforced parts of a JID, borrowed from the input where possible.
pub(crate) struct Parsed<'a> {
    pub(crate) local: Option<Cow<'a, str>>,
    pub(crate) domain: Cow<'a, str>,
    pub(crate) resource: Option<Cow<'a, str>>,
}

/// Splits a JID per RFC 7622 §3.1: the resourcepart after the first `/`,
/// then the localpart before the first `@` of what remains.
pub(crate) fn split(s: &str) -> (Option<&str>, &str, Option<&str>) {
    let (bare, resource) = match s.split_once('/') {
        Some((b, r)) => (b, Some(r)),
        None => (s, None),
    };
    let (local, domain) = match bare.split_once('@') {
        Some((l, d)) => (Some(l), d),
        None => (None, bare),
    };
    (local, domain, resource)
}

impl<'a> Parsed<'a> {
    /// RFC 7622 enforcement of each part, localpart first.
    pub(crate) fn new(s: &'a str) -> Result<Self, Error> {
        let (local, domain, resource) = split(s);
        Ok(Self {
            local: local.map(enforce_localpart).transpose()?,
            domain: domain::enforce(domain)?,
            resource: resource.map(enforce_resourcepart).transpose()?,
        })
    }

    fn len(&self) -> usize {
        self.local.as_ref().map_or(0, |l| l.len() + 1)
            + self.domain.len()
            + self.resource.as_ref().map_or(0, |r| r.len() + 1)
    }

    /// Builds the JID: at most one allocation.
    pub(crate) fn build(&self) -> Jid {
        Jid::assemble(
            self.local.as_deref(),
            &self.domain,
            self.resource.as_deref(),
        )
    }

    fn is_borrowed(&self) -> bool {
        matches!(self.domain, Cow::Borrowed(_))
            && matches!(self.local, None | Some(Cow::Borrowed(_)))
            && matches!(self.resource, None | Some(Cow::Borrowed(_)))
    }
}

/// A separator position; parts are at most 1023 octets, so it fits.
fn pos(p: usize) -> Option<NonZeroU16> {
    u16::try_from(p).ok().and_then(NonZeroU16::new)
}

impl Jid {
    /// Parses and enforces a JID (RFC 7622 §3.1 to §3.4). The parts are
    /// checked in order, localpart first; the first error is returned.
    pub fn new(s: &str) -> Result<Self, Error> {
        // The common case is built here, by value: a JID that travels
        // through a temporary is copied at another width than it was
        // written, which stalls store forwarding.
        match crate::fast::scan(s) {
            Some(crate::fast::Plan::Verbatim { at, slash }) => {
                Ok(Self::from_raw(Repr::new(s), at, slash))
            }
            Some(crate::fast::Plan::Lower { end, at, slash }) => {
                let mut out = Repr::new(s);
                match out.as_mut_str().get_mut(..end) {
                    Some(head) => {
                        head.make_ascii_lowercase();
                        Ok(Self::from_raw(out, at, slash))
                    }
                    // `end` is at a `/` or the end: never taken.
                    None => Self::new_general(s),
                }
            }
            Some(plan) => Self::new_planned(s, plan),
            None => Self::new_general(s),
        }
    }

    /// [`Jid::new`] for what the fast path must map.
    #[inline(never)]
    fn new_planned(s: &str, plan: crate::fast::Plan) -> Result<Self, Error> {
        match crate::fast::build(s, plan) {
            Some(jid) => Ok(jid),
            None => Self::new_general(s),
        }
    }

    /// [`Jid::new`] past the fast path: kept out of line so that the fast
    /// path's frame stays small.
    #[inline(never)]
    fn new_general(s: &str) -> Result<Self, Error> {
        Ok(Parsed::new(s)?.build())
    }

    /// A JID from its enforced string and separator positions, which the
    /// caller has computed.
    pub(crate) fn from_raw(s: Repr, at: Option<NonZeroU16>, slash: Option<NonZeroU16>) -> Self {
        Self { s, at, slash }
    }

    /// Joins enforced parts without checking them again: at most one allocation.
    pub(crate) fn assemble(local: Option<&str>, domain: &str, resource: Option<&str>) -> Self {
        let len =
            local.map_or(0, |l| l.len() + 1) + domain.len() + resource.map_or(0, |r| r.len() + 1);
        let mut s = Repr::with_capacity(len);
        let mut at = None;
        if let Some(l) = local {
            s.push_str(l);
            at = pos(s.len());
            s.push('@');
        }
        s.push_str(domain);
        let mut slash = None;
        if let Some(r) = resource {
            slash = pos(s.len());
            s.push('/');
            s.push_str(r);
        }
        Self { s, at, slash }
    }

    /// A JID from parts that are already enforced: no check, at most one
    /// allocation (none up to 48 bytes).
    ///
    /// ```
    /// use xmpp_jid::{DomainPart, Jid, LocalPart, ResourcePart};
    /// let jid = Jid::from_parts(
    ///     Some(&LocalPart::new("romeo")?),
    ///     &DomainPart::new("example.net")?,
    ///     Some(&ResourcePart::new("orchard")?),
    /// );
    /// assert_eq!(jid, "romeo@example.net/orchard");
    /// # Ok::<(), xmpp_jid::Error>(())
    /// ```
    pub fn from_parts(
        local: Option<&LocalPart<'_>>,
        domain: &DomainPart<'_>,
        resource: Option<&ResourcePart<'_>>,
    ) -> Self {
        Self::assemble(
            local.map(LocalPart::as_str),
            domain.as_str(),
            resource.map(ResourcePart::as_str),
        )
    }

    /// The localpart, if any.
    pub fn localpart(&self) -> Option<&str> {
        self.at.and_then(|at| self.s.get(..usize::from(at.get())))
    }

    /// The domainpart.
    pub fn domainpart(&self) -> &str {
        let start = self.at.map_or(0, |at| usize::from(at.get()) + 1);
        let end = self.slash.map_or(self.s.len(), |p| usize::from(p.get()));
        self.s.get(start..end).unwrap_or("")
    }

    /// The resourcepart, if any.
    pub fn resourcepart(&self) -> Option<&str> {
        self.slash
            .and_then(|p| self.s.get(usize::from(p.get()) + 1..))
    }

    /// The localpart as a part type, borrowed.
    pub fn local(&self) -> Option<LocalPart<'_>> {
        self.localpart().map(LocalPart::trusted)
    }

    /// The domainpart as a part type, borrowed.
    pub fn domain(&self) -> DomainPart<'_> {
        DomainPart::trusted(self.domainpart())
    }

    /// The resourcepart as a part type, borrowed.
    pub fn resource(&self) -> Option<ResourcePart<'_>> {
        self.resourcepart().map(ResourcePart::trusted)
    }

    /// The enforced JID as a string.
    pub fn as_str(&self) -> &str {
        &self.s
    }

    /// Whether the JID has no resourcepart.
    pub fn is_bare(&self) -> bool {
        self.slash.is_none()
    }

    /// Whether the JID has a resourcepart.
    pub fn is_full(&self) -> bool {
        self.slash.is_some()
    }

    /// The bare JID (without the resourcepart): at most one allocation.
    pub fn to_bare(&self) -> BareJid {
        let end = self.slash.map_or(self.s.len(), |p| usize::from(p.get()));
        BareJid(Self {
            s: Repr::new(self.s.get(..end).unwrap_or("")),
            at: self.at,
            slash: None,
        })
    }

    /// The bare JID, reusing this JID's string: no allocation.
    pub fn into_bare(mut self) -> BareJid {
        if let Some(p) = self.slash.take() {
            self.s.truncate(usize::from(p.get()));
        }
        BareJid(self)
    }

    /// This JID's bare JID with `resource` (replacing any resourcepart):
    /// at most one allocation.
    pub fn with_resource(&self, resource: &ResourcePart<'_>) -> FullJid {
        FullJid(Self::assemble(
            self.localpart(),
            self.domainpart(),
            Some(resource.as_str()),
        ))
    }

    /// The full JID, if this JID has a resourcepart; the bare JID otherwise.
    pub fn try_into_full(self) -> Result<FullJid, BareJid> {
        if self.is_full() {
            Ok(FullJid(self))
        } else {
            Err(BareJid(self))
        }
    }

    /// The enforced string, giving up the JID.
    pub fn into_string(self) -> String {
        self.s.into_string()
    }
}

impl FromStr for Jid {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl TryFrom<&str> for Jid {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl TryFrom<String> for Jid {
    type Error = Error;
    /// Parses `s`, keeping its buffer (no allocation) when it is already in
    /// enforced form (or storing it inline when it is short).
    fn try_from(s: String) -> Result<Self, Error> {
        let parsed = Parsed::new(&s)?;
        if !(parsed.is_borrowed() && parsed.len() == s.len()) {
            return Ok(parsed.build());
        }
        // Every part is a slice of `s` and together they are as long as `s`:
        // `s` is the enforced form, so only the separators need finding.
        let at = parsed.local.as_ref().and_then(|l| pos(l.len()));
        let slash = parsed
            .resource
            .as_ref()
            .and_then(|r| pos(s.len() - r.len() - 1));
        drop(parsed);
        Ok(Self {
            s: Repr::from_string(s),
            at,
            slash,
        })
    }
}

impl PartialEq for Jid {
    fn eq(&self, other: &Self) -> bool {
        self.s.as_str() == other.s.as_str()
    }
}

impl Eq for Jid {}

impl PartialOrd for Jid {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Jid {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.s.as_str().cmp(other.s.as_str())
    }
}

impl Hash for Jid {
    /// Hashes as the enforced string does, so maps keyed by JIDs can be
    /// looked up with a `&str` in enforced form.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.s.as_str().hash(state);
    }
}

impl PartialEq<str> for Jid {
    fn eq(&self, other: &str) -> bool {
        self.s.as_str() == other
    }
}

impl PartialEq<&str> for Jid {
    fn eq(&self, other: &&str) -> bool {
        self.s.as_str() == *other
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.s)
    }
}

impl fmt::Debug for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Jid").field(&self.s.as_str()).finish()
    }
}

impl AsRef<str> for Jid {
    fn as_ref(&self) -> &str {
        &self.s
    }
}

impl Borrow<str> for Jid {
    fn borrow(&self) -> &str {
        &self.s
    }
}

macro_rules! wrapper {
    ($(#[$doc:meta])* $name:ident, $check:ident, $error:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Jid);

        impl $name {
            /// Parses and enforces a JID, which must be
            #[doc = $what]
            pub fn new(s: &str) -> Result<Self, Error> {
                Self::try_from(Jid::new(s)?)
            }

            /// The localpart, if any.
            pub fn localpart(&self) -> Option<&str> {
                self.0.localpart()
            }

            /// The domainpart.
            pub fn domainpart(&self) -> &str {
                self.0.domainpart()
            }

            /// The localpart as a part type, borrowed.
            pub fn local(&self) -> Option<LocalPart<'_>> {
                self.0.local()
            }

            /// The domainpart as a part type, borrowed.
            pub fn domain(&self) -> DomainPart<'_> {
                self.0.domain()
            }

            /// The enforced JID as a string.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// The JID as a [`Jid`].
            pub fn as_jid(&self) -> &Jid {
                &self.0
            }

            /// The enforced string, giving up the JID.
            pub fn into_string(self) -> String {
                self.0.s.into_string()
            }
        }

        impl From<$name> for Jid {
            fn from(j: $name) -> Jid {
                j.0
            }
        }

        impl TryFrom<Jid> for $name {
            type Error = Error;
            fn try_from(j: Jid) -> Result<Self, Error> {
                if j.$check() { Ok(Self(j)) } else { Err($error) }
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                Self::try_from(Jid::try_from(s)?)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0.s.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0.s.as_str() == *other
            }
        }

        impl PartialEq<Jid> for $name {
            fn eq(&self, other: &Jid) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for Jid {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0.s)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0.s.as_str()).finish()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0.s
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0.s
            }
        }
    };
}

wrapper!(
    /// A bare JID: `[localpart@]domainpart`, without a resourcepart.
    ///
    /// ```
    /// use xmpp_jid::{BareJid, ResourcePart};
    /// let bare = BareJid::new("juliet@example.com")?;
    /// let full = bare.with_resource(&ResourcePart::new("balcony")?);
    /// assert_eq!(full, "juliet@example.com/balcony");
    /// assert!(BareJid::new("juliet@example.com/balcony").is_err());
    /// # Ok::<(), xmpp_jid::Error>(())
    /// ```
    BareJid,
    is_bare,
    Error::UnexpectedResource,
    "bare (without a resourcepart)."
);
wrapper!(
    /// A full JID: `[localpart@]domainpart/resourcepart`.
    ///
    /// ```
    /// use xmpp_jid::FullJid;
    /// let full = FullJid::new("juliet@example.com/balcony")?;
    /// assert_eq!(full.resourcepart(), "balcony");
    /// assert_eq!(full.to_bare(), "juliet@example.com");
    /// assert!(FullJid::new("juliet@example.com").is_err());
    /// # Ok::<(), xmpp_jid::Error>(())
    /// ```
    FullJid,
    is_full,
    Error::MissingResource,
    "full (with a resourcepart)."
);

impl BareJid {
    /// A bare JID from enforced parts: no check, at most one allocation.
    pub fn from_parts(local: Option<&LocalPart<'_>>, domain: &DomainPart<'_>) -> Self {
        Self(Jid::from_parts(local, domain, None))
    }

    /// This JID with `resource`: at most one allocation.
    pub fn with_resource(&self, resource: &ResourcePart<'_>) -> FullJid {
        self.0.with_resource(resource)
    }

    /// This JID with `resource`, growing this JID's string in place.
    pub fn into_full(self, resource: &ResourcePart<'_>) -> FullJid {
        let mut jid = self.0;
        jid.slash = pos(jid.s.len());
        jid.s.push('/');
        jid.s.push_str(resource.as_str());
        FullJid(jid)
    }
}

impl FullJid {
    /// A full JID from enforced parts: no check, at most one allocation.
    pub fn from_parts(
        local: Option<&LocalPart<'_>>,
        domain: &DomainPart<'_>,
        resource: &ResourcePart<'_>,
    ) -> Self {
        Self(Jid::from_parts(local, domain, Some(resource)))
    }

    /// The resourcepart.
    pub fn resourcepart(&self) -> &str {
        self.0.resourcepart().unwrap_or("")
    }

    /// The resourcepart as a part type, borrowed.
    pub fn resource(&self) -> ResourcePart<'_> {
        ResourcePart::trusted(self.resourcepart())
    }

    /// The bare JID: at most one allocation.
    pub fn to_bare(&self) -> BareJid {
        self.0.to_bare()
    }

    /// The bare JID, reusing this JID's string: no allocation.
    pub fn into_bare(self) -> BareJid {
        self.0.into_bare()
    }

    /// The same bare JID with another resource: at most one allocation.
    pub fn with_resource(&self, resource: &ResourcePart<'_>) -> Self {
        self.0.with_resource(resource)
    }
}

#[cfg(test)]
mod tests;
