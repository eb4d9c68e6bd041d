//! The scanner's state: where it is in the document and in the token in
//! progress, and what it keeps of the tag being scanned. Every position is
//! relative to the token's start (`Framer::tok`), so compacting the buffer
//! moves no state.

use alloc::boxed::Box;

use crate::event::{NsRef, Routing, Span};

/// Where the scanner is in the document structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// Before the root (TCP, BOSH) or before `<open/>` (WebSocket).
    Prolog,
    /// Inside the stream, between top-level elements.
    Stream,
    /// After the end of the stream: only white space may follow.
    Closed,
}

impl Level {
    /// The scanner's state between top-level elements at this level.
    pub(super) fn between_elements(self) -> St {
        match self {
            Self::Prolog => St::Prolog,
            Self::Stream => St::StreamLevel,
            Self::Closed => St::Closed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameKind {
    Start,
    End,
    Attr,
}

/// Progress inside a reference (`&…;`, XML 1.0 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefKind {
    /// Just after `&`.
    Start,
    /// Inside an entity name.
    Name,
    /// After `&#`.
    Hash,
    /// After `&#` and at least one decimal digit; the value so far
    /// (saturated just above U+10FFFF).
    Dec(u32),
    /// After `&#x`.
    HexStart,
    /// After `&#x` and at least one hex digit.
    Hex(u32),
}

/// Which literal a `<!` is being matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bang {
    Undecided,
    Comment,
    Cdata,
    Doctype,
}

impl Bang {
    pub(super) fn literal(self) -> &'static [u8] {
        match self {
            Self::Undecided => b"",
            Self::Comment => b"--",
            Self::Cdata => b"[CDATA[",
            Self::Doctype => b"DOCTYPE",
        }
    }
}

/// The scanner state; positions are relative to `tok`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum St {
    /// Before the root: BOM, XML declaration, white space, `<`.
    Prolog,
    /// Between top-level elements.
    StreamLevel,
    /// After the stream closed.
    Closed,
    /// Character data inside a top-level element.
    Text,
    /// Just after `<`.
    Lt,
    /// Inside a qualified name that started at `start`.
    Name {
        kind: NameKind,
        start: usize,
        colon: Option<usize>,
    },
    /// Inside a start tag after its name or an attribute value.
    TagSpace { spaced: bool },
    /// After an attribute name, before `=`.
    AttrEq,
    /// After `=`, before the opening quote.
    AttrQuote,
    /// Inside an attribute value delimited by `quote`.
    AttrValue { quote: u8 },
    /// After `/` in a start tag.
    EmptySlash,
    /// After an end tag's name.
    EndTagSpace,
    /// Inside a reference that started at `start`; `quote` is the attribute
    /// value's delimiter, or 0 in character data.
    Ref {
        kind: RefKind,
        start: usize,
        quote: u8,
    },
    /// After `<!`, `matched` bytes of the literal seen.
    Bang { which: Bang, matched: usize },
    /// Inside a CDATA section (XML 1.0 §2.7).
    Cdata,
    /// Inside the XML declaration, looking for `?>`.
    Decl,
}

/// One attribute of the start tag being scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AttrSpan {
    pub(crate) name: Span,
    pub(crate) colon: Option<usize>,
    /// Its start set by the opening quote, its end by the closing one (a
    /// tag ends only after both).
    pub(crate) value: Span,
    /// The value contains a reference.
    pub(crate) escaped: bool,
}

/// A namespace declaration of an open element of the current top-level element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decl {
    /// Empty for the default namespace.
    pub(crate) prefix: Span,
    pub(crate) value: Span,
    /// The unescaped value when the written one has references.
    pub(crate) owned: Option<Box<str>>,
}

/// An open element inside the current top-level element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Open {
    pub(crate) name: Span,
    /// `decls.len()` before this element's declarations.
    pub(crate) decls: usize,
}

/// The tag being scanned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tag {
    /// Its `<`.
    pub(crate) start: usize,
    pub(crate) name: Span,
    /// The colon of a start tag's name (an end tag's is not recorded).
    pub(crate) colon: Option<usize>,
    /// One bit per attribute name signature seen (see
    /// [`Framer::push_attr`]): while no two attributes share a bit, no two
    /// names can be equal.
    pub(crate) sigs: u64,
    /// What the attributes pushed so far need once the tag ends
    /// (`ATTR_PREFIXED`, `ATTR_MAYBE_DECL`, `ATTR_SIG_CLASH`).
    pub(crate) attr_flags: u8,
}

impl Tag {
    /// Records what an attribute name (`len` bytes from `first` to `last`,
    /// prefixed or not) asks of the tag's end (see `Framer::push_attr`).
    #[inline(always)]
    pub(super) fn note_attr(&mut self, first: u8, last: u8, len: usize, prefixed: bool) {
        let h = u32::from(first)
            .wrapping_mul(31)
            .wrapping_add(u32::from(last).wrapping_mul(7))
            .wrapping_add(len as u32);
        let bit = 1u64 << (h & 63);
        let mut flags = self.attr_flags;
        if self.sigs & bit != 0 {
            flags |= ATTR_SIG_CLASH;
        }
        if prefixed {
            flags |= ATTR_PREFIXED;
        }
        if first == b'x' {
            flags |= ATTR_MAYBE_DECL;
        }
        self.sigs |= bit;
        self.attr_flags = flags;
    }
}

/// Some attribute name has a prefix.
pub(crate) const ATTR_PREFIXED: u8 = 1;

/// Some attribute name starts with `x` and may declare a namespace.
pub(crate) const ATTR_MAYBE_DECL: u8 = 2;

/// Two attribute names share a signature bit: they may be equal.
pub(crate) const ATTR_SIG_CLASH: u8 = 4;

/// What is known of the current top-level element once its start tag ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Top {
    pub(crate) qname: Span,
    pub(crate) colon: Option<usize>,
    pub(crate) ns: NsRef,
    pub(crate) routing: Routing,
}

/// What one scanning step achieved.
pub(crate) enum Step {
    /// Moved on; call again.
    Continue,
    /// Cannot move without more bytes.
    NeedMore,
    /// Produced the event left in `Framer::out` (kept out of the return
    /// value so that every step returns a word, not a whole event).
    Emit,
}
