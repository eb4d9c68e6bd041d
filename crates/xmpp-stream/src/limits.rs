//! Resource limits of a framer (RFC 6120 §13.12: an entity MAY limit the
//! size of stanzas but MUST NOT set the limit under 10,000 bytes).

use crate::error::Limit;

/// The smallest element limit RFC 6120 §13.12 allows.
pub const MIN_ELEMENT_BYTES: usize = 10_000;

/// How many bytes a relaying server may write for one byte it received:
/// `'` or `"` in text re-escaped as `&apos;` or `&quot;`.
const RELAY_EXPANSION: usize = 6;

/// Bounds on everything a peer can make the framer hold or do. Crossing one
/// is a [`StreamError::LimitExceeded`](crate::StreamError::LimitExceeded),
/// condition `policy-violation`.
///
/// Build one with [`Limits::default`] and the `with_*` methods; the struct is
/// `#[non_exhaustive]` so that limits can be added without breaking callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of one top-level element (stanza or nonza), of the stream header
    /// and of the XML declaration, counted as they arrive so a larger one is
    /// refused before it is buffered. Default 262,144 (256 KiB, Prosody's
    /// `c2s_stanza_size_limit`); at least 10,000.
    ///
    /// That default suits the side that *receives* stanzas from their
    /// authors (a server reading its clients). What a server relays can be
    /// larger than what it accepted: Prosody 0.12 re-escapes `'` and `"` in
    /// text as `&apos;` and `&quot;` and adds `from`, so a 50,069-byte
    /// message it accepted reached the recipient as 300,118 bytes
    /// (`cargo xtask conformance prosody` found this). A client reading its
    /// server should use [`Limits::relayed`].
    pub max_element_bytes: usize,
    /// Nesting depth of elements inside a top-level element, the top-level
    /// element itself counting 1. Default 256.
    pub max_depth: usize,
    /// Attributes on one element, namespace declarations included. Default 128.
    pub max_attributes: usize,
    /// Bytes of one name (element, attribute, prefix or entity name).
    /// Default 1,024.
    pub max_name_bytes: usize,
    /// Namespace declarations in scope at once: those of the stream header
    /// plus those of the open elements of the current top-level element.
    /// Default 64. Resolving a prefix looks through the declarations in
    /// scope, innermost first, so this is also the most comparisons one
    /// prefixed name can cost: raised by orders of magnitude, it would let
    /// a peer make framing time grow with its square.
    pub max_namespace_declarations: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_element_bytes: 256 * 1024,
            max_depth: 256,
            max_attributes: 128,
            max_name_bytes: 1024,
            max_namespace_declarations: 64,
        }
    }
}

/// A [`Limits`] value that cannot work, from [`Limits::validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidLimits {
    /// Which limit is out of range.
    pub limit: Limit,
    /// The smallest value allowed.
    pub min: usize,
    /// The value given.
    pub value: usize,
}

impl core::fmt::Display for InvalidLimits {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} limit {} is under the minimum {}",
            self.limit, self.value, self.min
        )
    }
}

impl core::error::Error for InvalidLimits {}

impl Limits {
    /// Limits for reading elements a peer *relays* rather than authors (a
    /// client reading its server, a server reading another server): the
    /// [`Default`] limits with room for a default-sized element after the
    /// relaying server re-escaped every character of it (at most 6 bytes
    /// for 1, `'` to `&apos;`) and added its addressing: 6 × 256 KiB +
    /// 4 KiB = 1,576,960 bytes.
    ///
    /// ```
    /// use xmpp_stream::Limits;
    /// assert_eq!(Limits::relayed().max_element_bytes, 6 * 256 * 1024 + 4096);
    /// assert!(Limits::relayed().validate().is_ok());
    /// ```
    #[must_use]
    pub fn relayed() -> Self {
        let authored = Self::default();
        Self {
            max_element_bytes: authored.max_element_bytes * RELAY_EXPANSION + 4096,
            ..authored
        }
    }

    /// Sets [`Limits::max_element_bytes`].
    #[must_use]
    pub fn with_max_element_bytes(mut self, n: usize) -> Self {
        self.max_element_bytes = n;
        self
    }

    /// Sets [`Limits::max_depth`].
    #[must_use]
    pub fn with_max_depth(mut self, n: usize) -> Self {
        self.max_depth = n;
        self
    }

    /// Sets [`Limits::max_attributes`].
    #[must_use]
    pub fn with_max_attributes(mut self, n: usize) -> Self {
        self.max_attributes = n;
        self
    }

    /// Sets [`Limits::max_name_bytes`].
    #[must_use]
    pub fn with_max_name_bytes(mut self, n: usize) -> Self {
        self.max_name_bytes = n;
        self
    }

    /// Sets [`Limits::max_namespace_declarations`].
    #[must_use]
    pub fn with_max_namespace_declarations(mut self, n: usize) -> Self {
        self.max_namespace_declarations = n;
        self
    }

    /// Checks that the limits can frame a conforming stream: the element
    /// limit is at least [`MIN_ELEMENT_BYTES`] (RFC 6120 §13.12), the depth
    /// at least 1, the attribute, name and namespace limits at least 8 (a
    /// stream header needs about that many).
    pub fn validate(&self) -> Result<(), InvalidLimits> {
        let checks = [
            (
                Limit::ElementBytes,
                MIN_ELEMENT_BYTES,
                self.max_element_bytes,
            ),
            (Limit::Depth, 1, self.max_depth),
            (Limit::Attributes, 8, self.max_attributes),
            (Limit::NameBytes, 8, self.max_name_bytes),
            (
                Limit::NamespaceDeclarations,
                8,
                self.max_namespace_declarations,
            ),
        ];
        for (limit, min, value) in checks {
            if value < min {
                return Err(InvalidLimits { limit, min, value });
            }
        }
        Ok(())
    }
}
