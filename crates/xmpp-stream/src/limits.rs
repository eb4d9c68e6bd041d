//! Resource limits of a framer (RFC 6120 §13.12: an entity MAY limit the
//! size of stanzas but MUST NOT set the limit under 10,000 bytes).

use crate::error::Limit;

/// The smallest element limit RFC 6120 §13.12 allows.
pub const MIN_ELEMENT_BYTES: usize = 10_000;

/// The largest [`Limits::max_element_bytes`]: 64 MiB. The framer holds a
/// whole element (and its copy as an event) in memory, so this is what
/// one peer can make it hold at most.
pub const MAX_ELEMENT_BYTES: usize = 64 << 20;

/// The largest [`Limits::max_depth`]: 1,024. Element trees
/// (xmpp-stanza) are written, cloned, compared, hashed and dropped by
/// recursion, one stack frame per level: at this depth all of it fits in
/// a 2 MiB thread stack (Rust's default for spawned threads) even
/// unoptimized, where twice as deep overflowed it.
pub const MAX_DEPTH: usize = 1024;

/// The largest [`Limits::max_attributes`]: 65,536 (duplicates are found
/// by sorting past a dozen, so the cost stays `O(n log n)`).
pub const MAX_ATTRIBUTES: usize = 1 << 16;

/// The largest [`Limits::max_name_bytes`]: 65,536.
pub const MAX_NAME_BYTES: usize = 1 << 16;

/// The largest [`Limits::max_namespace_declarations`]: 1,024. Resolving
/// a prefix may compare it with every declaration in scope, so the cost
/// of an element grows with its prefixed names times this limit.
pub const MAX_NAMESPACE_DECLARATIONS: usize = 1024;

/// How many bytes a relaying server may write for one byte it received:
/// `'` or `"` in text re-escaped as `&apos;` or `&quot;`.
const RELAY_EXPANSION: usize = 6;

/// Bounds on everything a peer can make the framer hold or do. Crossing one
/// is a [`FramingError::LimitExceeded`](crate::FramingError::LimitExceeded),
/// condition `policy-violation`.
///
/// Build one with [`Limits::default`] and the `with_*` methods; the struct is
/// `#[non_exhaustive]` so that limits can be added without breaking callers.
///
/// # The heap they bound
///
/// Each limit bounds a term of the peak heap, whatever the input (huge
/// attributes, endless text, nesting, attributes or namespace declarations
/// at their limits). With `E` = [`max_element_bytes`](Self::max_element_bytes),
/// `D` = [`max_depth`](Self::max_depth), `A` =
/// [`max_attributes`](Self::max_attributes), `N` =
/// [`max_namespace_declarations`](Self::max_namespace_declarations), and a
/// [`Framer`](crate::Framer) fed `chunk` bytes between calls to
/// `next_event`, on any transport:
///
/// - framer: at most `3 × (E + chunk) + 48 × D + 16 × A + 64 × N + 16 KiB`
///   (the input buffer holds the element and one chunk, which `Vec`
///   growth may double while it copies, and the element's copy as an
///   event; the open-element, attribute and declaration stacks);
///   between stanzas, with the events dropped, under 1 KiB;
/// - xmpp-stanza's tree builder, for one element of `n ≤ E` bytes: at
///   most `64 × n + 8 × A + 16 KiB` (an element takes at least 4 bytes of
///   input, `<a/>`, and at most 256 bytes of heap while its tree is
///   built); between elements it keeps at most 8 KiB per scratch buffer.
///
/// With the defaults that is about 800 KiB for a framer and 16 MiB for the
/// largest tree. `benches/tests/peak_heap.rs` measures these peaks with a
/// counting allocator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of one top-level element (stanza or nonza), of the stream header
    /// and of the XML declaration, counted as they arrive so a larger one is
    /// refused before it is buffered. Default 262,144 (256 KiB, Prosody's
    /// `c2s_stanza_size_limit`); at least 10,000, at most
    /// [`MAX_ELEMENT_BYTES`].
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
    /// element itself counting 1. Default 256, at most [`MAX_DEPTH`].
    pub max_depth: usize,
    /// Attributes on one element, namespace declarations included. Default
    /// 128, at most [`MAX_ATTRIBUTES`].
    pub max_attributes: usize,
    /// Bytes of one name (element, attribute, prefix or entity name).
    /// Default 1,024, at most [`MAX_NAME_BYTES`].
    pub max_name_bytes: usize,
    /// Namespace declarations in scope at once: those of the stream header
    /// plus those of the open elements of the current top-level element.
    /// Default 64, at most [`MAX_NAMESPACE_DECLARATIONS`]. Resolving a prefix looks through the declarations in
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
    /// The largest value allowed (the `MAX_*` constants).
    pub max: usize,
}

impl core::fmt::Display for InvalidLimits {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.value < self.min {
            write!(
                f,
                "{} limit {} is under the minimum {}",
                self.limit, self.value, self.min
            )
        } else {
            write!(
                f,
                "{} limit {} is over the maximum {}",
                self.limit, self.value, self.max
            )
        }
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

    /// Checks that the limits can frame a conforming stream and still bound
    /// what a peer can cost: the element limit is at least
    /// [`MIN_ELEMENT_BYTES`] (RFC 6120 §13.12), the depth at least 1, the
    /// attribute, name and namespace limits at least 8 (a stream header
    /// needs about that many); none is over its maximum
    /// ([`MAX_ELEMENT_BYTES`], [`MAX_DEPTH`], [`MAX_ATTRIBUTES`],
    /// [`MAX_NAME_BYTES`], [`MAX_NAMESPACE_DECLARATIONS`]).
    ///
    /// ```
    /// use xmpp_stream::{Limits, MAX_DEPTH};
    /// assert!(Limits::default().with_max_depth(MAX_DEPTH).validate().is_ok());
    /// assert!(Limits::default().with_max_depth(100_001).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), InvalidLimits> {
        let checks = [
            (
                Limit::ElementBytes,
                MIN_ELEMENT_BYTES,
                self.max_element_bytes,
                MAX_ELEMENT_BYTES,
            ),
            (Limit::Depth, 1, self.max_depth, MAX_DEPTH),
            (Limit::Attributes, 8, self.max_attributes, MAX_ATTRIBUTES),
            (Limit::NameBytes, 8, self.max_name_bytes, MAX_NAME_BYTES),
            (
                Limit::NamespaceDeclarations,
                8,
                self.max_namespace_declarations,
                MAX_NAMESPACE_DECLARATIONS,
            ),
        ];
        for (limit, min, value, max) in checks {
            if value < min || value > max {
                return Err(InvalidLimits {
                    limit,
                    min,
                    value,
                    max,
                });
            }
        }
        Ok(())
    }
}
