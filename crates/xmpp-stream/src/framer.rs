//! The framer: RFC 6120 §4 (XML streams) and §11 (restricted XML) as a
//! push-bytes, pull-events state machine.
//!
//! # Buffer invariants
//!
//! `buf[..tok]` is consumed (dropped at the next compaction); `buf[tok..pos]`
//! is the scanned part of the token in progress (a whole top-level element,
//! the stream header, an end tag or an XML declaration); `buf[pos..]` has not
//! been looked at. Every position stored in a state, span or stack entry is
//! relative to `tok`, so compaction only moves `tok` and `pos`. The scanner
//! never goes back: each state carries what it needs to resume at `pos`, and
//! the only bytes looked at twice are the at most three bytes of a UTF-8
//! sequence that a chunk boundary cut.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::chars::{
    ATTR_PLAIN, NAME_CHAR, NAME_START, PLAIN, SPACE, Utf8, class, decode, is_ascii_name_char,
    is_ascii_name_start, is_attr_plain, is_space, is_text_plain, is_xml_char,
};
use crate::error::{Limit, Restricted, StreamError};
use crate::event::{Event, Namespaces, NsRef, Routing, Span};
use crate::limits::{InvalidLimits, Limits};

mod tag;
#[cfg(test)]
mod tests;

/// How the stream is carried, which decides what opens and closes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// One long XML document over TCP (RFC 6120 §4): `<stream:stream>` …
    /// `</stream:stream>`, white space keepalives between elements.
    #[default]
    Tcp,
    /// RFC 7395: every message one complete element, the stream opened and
    /// closed by `<open/>` and `<close/>` in `urn:ietf:params:xml:ns:xmpp-framing`,
    /// no keepalives (white space between messages is ignored). Feed the
    /// messages in order; each element must declare its own namespaces.
    WebSocket,
    /// XEP-0124/0206: one `<body>` per HTTP request or response, reported as
    /// a stream open (its attributes: `rid`, `sid`, `xmpp:restart`, …), the
    /// stanzas inside, and a stream close; another body may follow. For
    /// bodies of either direction (a client reading a connection manager's
    /// responses): a `rid`, when present, is checked but not required.
    Bosh,
    /// [`Bosh`](Self::Bosh) as a connection manager reads a client's
    /// requests: every body must also carry a valid `rid` (XEP-0124 §6).
    BoshRequests,
}

impl Transport {
    /// Whether this is one of the BOSH transports (XEP-0124/0206), where a
    /// stream restart is a body with `xmpp:restart` rather than a new
    /// stream header after `<proceed/>` or `<success/>`.
    pub fn is_bosh(self) -> bool {
        matches!(self, Self::Bosh | Self::BoshRequests)
    }
}

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
    fn literal(self) -> &'static [u8] {
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
    fn note_attr(&mut self, first: u8, last: u8, len: usize, prefixed: bool) {
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

/// An incremental, validating XML stream framer (sans-I/O).
///
/// Call order: [`feed`](Self::feed) bytes as they arrive, then call
/// [`next_event`](Self::next_event) until it returns `Ok(None)` ("feed
/// more"); repeat. When the input ends, [`finish`](Self::finish) tells
/// whether it ended inside an element. After a `<proceed/>` (STARTTLS) or a
/// SASL `<success/>`, received or sent ([`restart_after`](crate::restart_after)
/// says which elements, for either party),
/// take the bytes that follow with [`take_unconsumed`](Self::take_unconsumed)
/// if they belong to another layer, and [`reset`](Self::reset) the framer for
/// the restarted stream (RFC 6120 §4.3.3).
///
/// The framer parses lazily: it never looks past the end of the element it
/// just reported, so bytes after it are left untouched for the caller.
///
/// Memory is bounded by [`Limits::max_element_bytes`] plus whatever was fed
/// since the last `Ok(None)`; work is linear in the input whatever the
/// chunking. After an error every call returns the same error.
#[derive(Debug, Clone)]
pub struct Framer {
    pub(crate) limits: Limits,
    pub(crate) transport: Transport,
    /// Received bytes; see the module docs for the invariants.
    pub(crate) buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    pub(crate) base: u64,
    pub(crate) tok: usize,
    pub(crate) pos: usize,
    pub(crate) st: St,
    pub(crate) level: Level,
    /// The XML declaration may still come (nothing but a BOM seen yet).
    pub(crate) decl_allowed: bool,
    /// A UTF-8 byte order mark may still come (nothing seen yet).
    pub(crate) bom_allowed: bool,
    /// Inside a run of white space at stream level that was reported.
    pub(crate) ws_run: bool,
    /// A `StreamClose` follows the `StreamOpen` just returned (`<stream/>`).
    pub(crate) close_pending: bool,
    pub(crate) tag: Tag,
    pub(crate) attrs: Vec<AttrSpan>,
    pub(crate) open: Vec<Open>,
    pub(crate) decls: Vec<Decl>,
    /// The declarations of the stream header, inherited by top-level elements.
    pub(crate) ctx: Arc<Namespaces>,
    /// The qualified name of the root element, to match its end tag.
    pub(crate) root: String,
    pub(crate) top: Top,
    /// Scratch space of the duplicate-attribute check.
    pub(crate) scratch: Vec<(u64, usize)>,
    pub(crate) failed: Option<StreamError>,
    /// The event of the last `Step::Emit`.
    pub(crate) out: Option<Event>,
    /// The byte class (`chars::PLAIN`, …) that the bytes fed since the
    /// scanner stopped may all belong to for [`Self::next_event`] to step
    /// over them without the scanner; 0 when no byte may.
    pub(crate) fast: u8,
    /// The class the bytes after the first one must belong to (differs from
    /// `fast` only at the start of a name).
    pub(crate) fast_then: u8,
    /// The buffer length up to which `fast` holds (the element and name
    /// limits).
    pub(crate) fast_end: usize,
    /// The bytes that may end the state in a way `one_delimiter_fed`
    /// handles (a filter: it checks the rest; NUL, which no valid stream
    /// has, when there are none).
    pub(crate) delim: [u8; 2],
    /// The byte classes (`chars::NAME_START`) that may do the same.
    pub(crate) delim_class: u8,
}

/// The bytes that open an attribute value.
const QUOTES: [u8; 2] = [b'"', b'\''];

/// The bytes that end a start tag, or its name.
const TAG_DELIMS: [u8; 2] = [b'>', b'/'];

/// The byte classes that may end state `st` in a way
/// `Framer::one_delimiter_fed` handles: a name start after `<` or in a
/// start tag, white space after a start tag's name.
fn delim_class(st: St) -> u8 {
    match st {
        St::Lt | St::TagSpace { .. } => NAME_START,
        St::Name {
            kind: NameKind::Start,
            ..
        } => SPACE,
        _ => 0,
    }
}

/// The most bytes [`Framer::next_event`] steps over without the scanner
/// (see `Framer::only_plain_bytes_fed`).
const TINY_FEED: usize = 8;

/// Capacity of its input buffer that an idle framer keeps; it gives the
/// rest back. Keeping it rather than nothing spares a stream of small
/// feeds regrowing the buffer from 8 bytes for every stanza, and a framer
/// could already keep a buffer of this size while idle, so the idle heap
/// does not grow.
const IDLE_CAPACITY: usize = 256;

/// Heap above which an idle framer also gives back its scratch stacks
/// (issue 4 asks for under 1 KiB between stanzas).
const IDLE_BUDGET: usize = 640;

impl Framer {
    /// A framer for `transport` with the default [`Limits`].
    pub fn new(transport: Transport) -> Self {
        Self {
            limits: Limits::default(),
            transport,
            buf: Vec::new(),
            base: 0,
            tok: 0,
            pos: 0,
            st: St::Prolog,
            level: Level::Prolog,
            decl_allowed: true,
            bom_allowed: true,
            ws_run: false,
            close_pending: false,
            tag: Tag::default(),
            attrs: Vec::new(),
            open: Vec::new(),
            decls: Vec::new(),
            ctx: Arc::default(),
            root: String::new(),
            top: Top {
                qname: (0, 0),
                colon: None,
                ns: NsRef::None,
                routing: Routing::default(),
            },
            scratch: Vec::new(),
            failed: None,
            out: None,
            fast: 0,
            fast_then: 0,
            fast_end: 0,
            delim: [0; 2],
            delim_class: 0,
        }
    }

    /// A framer for `transport` with the given limits, refused when they are
    /// outside the bounds of [`Limits::validate`].
    pub fn with_limits(transport: Transport, limits: Limits) -> Result<Self, InvalidLimits> {
        limits.validate()?;
        let mut f = Self::new(transport);
        f.limits = limits;
        Ok(f)
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The transport this framer was made for.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Appends received bytes. Nothing is parsed until
    /// [`next_event`](Self::next_event); call it until `Ok(None)` before
    /// feeding again, so that an oversized element is refused before more of
    /// it is buffered.
    #[inline]
    pub fn feed(&mut self, bytes: &[u8]) {
        // One byte at a time is a case this crate promises to keep fast: a
        // push, without a reservation nor a call to memcpy. A failed framer
        // buffers nothing more.
        match bytes {
            [b] if self.failed.is_none() => self.buf.push(*b),
            _ => self.feed_slice(bytes),
        }
    }

    fn feed_slice(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        // A call to memcpy costs more than a few bytes copied in line.
        if bytes.len() <= 8 {
            self.buf.reserve(bytes.len());
            for &b in bytes {
                self.buf.push(b);
            }
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Frames one WebSocket message (RFC 7395 §3.3.3: every message holds
    /// exactly one complete element, the `<open/>` and `<close/>` of the
    /// framing namespace included) and returns its event. An error, which
    /// ends the stream, when the message holds no element, ends inside one
    /// or holds a second one ([`StreamError::MessageBoundary`]), or when the
    /// element itself is refused. White space around the element is
    /// allowed.
    ///
    /// A framer fed with messages is fed only with them: with
    /// [`feed`](Self::feed) the message boundaries are lost, and two
    /// elements in one message, or one split over two, go unnoticed.
    ///
    /// ```
    /// use xmpp_stream::{Event, Framer, Transport};
    ///
    /// let mut f = Framer::new(Transport::WebSocket);
    /// let open = b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>";
    /// assert!(matches!(f.feed_message(open), Ok(Event::StreamOpen(_))));
    /// let two = b"<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>";
    /// assert!(f.feed_message(two).is_err());
    /// ```
    pub fn feed_message(&mut self, message: &[u8]) -> Result<Event, StreamError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if let Some(i) = self.unconsumed().iter().position(|&b| !is_space(b)) {
            // Bytes of an earlier message (or feed) left inside an element.
            let offset = self.offset(self.tok + i);
            return Err(self.fail(StreamError::MessageBoundary {
                offset,
                rule: "a WebSocket message ended inside an element",
            }));
        }
        self.feed(message);
        let Some(event) = self.next_event()? else {
            let (offset, rule) = if self.unconsumed().iter().all(|&b| is_space(b)) {
                (
                    self.offset(self.tok),
                    "a WebSocket message holds no element",
                )
            } else {
                (
                    self.offset(self.buf.len()),
                    "a WebSocket message ended inside an element",
                )
            };
            return Err(self.fail(StreamError::MessageBoundary { offset, rule }));
        };
        if let Some(i) = self.unconsumed().iter().position(|&b| !is_space(b)) {
            let offset = self.offset(self.tok + i);
            return Err(self.fail(StreamError::MessageBoundary {
                offset,
                rule: "a WebSocket message holds more than one element",
            }));
        }
        Ok(event)
    }

    /// The next event, `Ok(None)` when more bytes are needed, or the error
    /// that ended the stream (returned again on every later call).
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<Event>, StreamError> {
        let len = self.buf.len();
        if len == self.pos + 1 {
            // One byte fed, the case a 1-byte feed makes every time: a
            // byte of the class the state steps over, or a delimiter that
            // only changes the state.
            if let Some(&b) = self.buf.last() {
                let c = class(b);
                if c & self.fast != 0 && len <= self.fast_end {
                    self.pos = len;
                    self.fast = self.fast_then;
                    return Ok(None);
                }
                let delimiter =
                    b == self.delim[0] || b == self.delim[1] || c & self.delim_class != 0;
                if delimiter && self.one_delimiter_fed(b) {
                    return Ok(None);
                }
            }
        } else if self.only_plain_bytes_fed() {
            return Ok(None);
        }
        self.next_event_slow(len.saturating_sub(self.pos) <= TINY_FEED)
    }

    /// The other cheap case of one-byte feeds: the byte is the `<` that
    /// ends character data, the start of a tag or attribute name, the `=`
    /// that ends an attribute name, a quote that opens or closes an
    /// attribute value, the end of a start tag's name, or the `/` or `>`
    /// that ends a nested tag with nothing to check, which only move the
    /// scanner to its next state. Exactly what the scanner would do (it
    /// would also compact the buffer, which only saves memory and which the
    /// next scanner run does); anything it would check or refuse is left to
    /// it. Kept out of line on purpose: inlined into `next_event` it saves
    /// instructions, yet the criterion bench's 1-byte loop ran 20-50 %
    /// slower with it (A/B of the two bench binaries).
    #[inline(never)]
    fn one_delimiter_fed(&mut self, b: u8) -> bool {
        // The caller saw exactly one new byte, `b`, at `pos`.
        let p = self.pos;
        let tok = self.tok;
        let element_end = tok.saturating_add(self.limits.max_element_bytes);
        let len = p + 1;
        if len > element_end || self.failed.is_some() {
            return false;
        }
        let max_name = self.limits.max_name_bytes;
        let name_end = |start: usize| element_end.min((tok + start).saturating_add(max_name));
        // The class of the following bytes, up to which length, the
        // delimiters of the new state and the state.
        let (fast, end, delim, st) = match self.st {
            St::Text if b == b'<' => {
                self.tag.start = p - tok;
                (0, 0, [b'/'; 2], St::Lt)
            }
            // The first character of a start tag's name, or the `/` of an
            // end tag (whose name then starts).
            St::Lt if b == b'/' || is_ascii_name_start(b) => {
                self.decl_allowed = false;
                let (kind, start, fast, delim) = if b == b'/' {
                    (NameKind::End, p + 1 - tok, NAME_START, [b'>'; 2])
                } else {
                    (NameKind::Start, p - tok, NAME_CHAR, [b'>', b'/'])
                };
                let st = St::Name {
                    kind,
                    start,
                    colon: None,
                };
                (fast, name_end(start), delim, st)
            }
            // The end of a start tag's name.
            St::Name {
                kind: NameKind::Start,
                start,
                colon,
            } if b == b'>' || b == b'/' || is_space(b) => {
                let s = tok + start;
                let whole = p > s
                    && p - s <= self.limits.max_name_bytes
                    && colon.is_none_or(|c| tok + c + 1 != p);
                if !whole {
                    return false;
                }
                self.tag.name = (start, p - tok);
                self.tag.colon = colon;
                self.clear_attrs();
                match b {
                    b'>' if self.nested_start_needs_no_checks(false) => {
                        (PLAIN, element_end, [b'<'; 2], St::Text)
                    }
                    b'>' => return false,
                    b'/' => (0, 0, [b'>'; 2], St::EmptySlash),
                    _ => (
                        SPACE,
                        element_end,
                        TAG_DELIMS,
                        St::TagSpace { spaced: true },
                    ),
                }
            }
            // The end of a start tag inside a top-level element.
            St::TagSpace { .. } | St::EmptySlash if b == b'>' => {
                let empty = self.st == St::EmptySlash;
                if !self.nested_start_needs_no_checks(empty) {
                    return false;
                }
                (PLAIN, element_end, [b'<'; 2], St::Text)
            }
            St::TagSpace { .. } if b == b'/' => (0, 0, [b'>'; 2], St::EmptySlash),
            // The end of an end tag that closes an element inside a
            // top-level element (closing the top-level one emits it).
            St::Name {
                kind: NameKind::End,
                start,
                colon: None,
            } if b == b'>' => {
                let s = tok + start;
                let (Some(open), true) = (self.open.last().copied(), self.open.len() >= 2) else {
                    return false;
                };
                let found = self.buf.get(s..p).unwrap_or_default();
                let expected = self
                    .buf
                    .get(tok + open.name.0..tok + open.name.1)
                    .unwrap_or_default();
                if p <= s || p - s > max_name || found != expected {
                    return false;
                }
                self.tag.name = (start, p - tok);
                self.tag.colon = None;
                self.open.pop();
                if self.decls.len() > open.decls {
                    self.decls.truncate(open.decls);
                }
                (PLAIN, element_end, [b'<'; 2], St::Text)
            }
            // The first character of an attribute name, after white space.
            St::TagSpace { spaced } if is_ascii_name_start(b) => {
                let after_space = p
                    .checked_sub(1)
                    .and_then(|q| self.buf.get(q))
                    .is_some_and(|&c| is_space(c));
                if !spaced && !after_space {
                    return false;
                }
                let start = p - tok;
                let st = St::Name {
                    kind: NameKind::Attr,
                    start,
                    colon: None,
                };
                (NAME_CHAR, name_end(start), [b'='; 2], st)
            }
            St::Name {
                kind: NameKind::Attr,
                start,
                colon,
            } if b == b'=' => {
                let s = tok + start;
                let empty = p == s || colon.is_some_and(|c| tok + c + 1 == p);
                if empty
                    || p - s > self.limits.max_name_bytes
                    || self.attrs.len() >= self.limits.max_attributes
                {
                    return false;
                }
                self.push_attr((start, p - tok), colon);
                (SPACE, element_end, QUOTES, St::AttrQuote)
            }
            St::AttrQuote if b == b'"' || b == b'\'' => {
                let v = p + 1 - tok;
                if let Some(a) = self.attrs.last_mut() {
                    a.value = (v, v);
                }
                (ATTR_PLAIN, element_end, [b; 2], St::AttrValue { quote: b })
            }
            St::AttrValue { quote } if b == quote => {
                if let Some(a) = self.attrs.last_mut() {
                    a.value.1 = p - tok;
                }
                (
                    SPACE,
                    element_end,
                    TAG_DELIMS,
                    St::TagSpace { spaced: false },
                )
            }
            _ => return false,
        };
        self.pos = len;
        self.st = st;
        let then = if fast == NAME_START { NAME_CHAR } else { fast };
        (self.fast, self.fast_then, self.fast_end) = (fast, then, end);
        self.delim = delim;
        self.delim_class = delim_class(st);
        true
    }

    /// Whether the start tag just scanned is inside a top-level element and
    /// has nothing for [`finish_start`](Self::finish_start) to check (no
    /// prefix, no possible declaration, distinct attribute names, depth
    /// under the limit); if so, does what `finish_start` would.
    #[inline(always)]
    fn nested_start_needs_no_checks(&mut self, empty: bool) -> bool {
        let depth = self.open.len();
        if depth == 0
            || depth >= self.limits.max_depth
            || self.tag.attr_flags != 0
            || self.tag.colon.is_some()
        {
            return false;
        }
        if !empty {
            self.open.push(Open {
                name: self.tag.name,
                decls: self.decls.len(),
            });
        }
        true
    }

    /// The cheap case of tiny feeds, checked before entering the scanner:
    /// the few bytes fed since the last call all belong to the class
    /// `fast` names (plain character data, plain attribute-value bytes or
    /// name characters) and the buffer stays within `fast_end`, so there is
    /// nothing to decide but to step over them. Exactly what the scanner
    /// would do, so the events do not change.
    #[inline(always)]
    fn only_plain_bytes_fed(&mut self) -> bool {
        let len = self.buf.len();
        if len > self.fast_end {
            return false;
        }
        let new = self.buf.get(self.pos..).unwrap_or_default();
        if new.is_empty() || new.len() > TINY_FEED {
            return false;
        }
        let (first, then) = (self.fast, self.fast_then);
        let Some((&b, rest)) = new.split_first() else {
            return false;
        };
        if class(b) & first != 0 && rest.iter().all(|&b| class(b) & then != 0) {
            self.pos = len;
            self.fast = then;
            return true;
        }
        false
    }

    /// Arms the fast paths after a run over a tiny feed, which another
    /// tiny one likely follows; after a larger feed turns them off
    /// instead, which is what they would say of the larger feeds that
    /// likely follow (more than [`TINY_FEED`] bytes take the scanner), at
    /// the cost of four stores rather than a look at the state. Either
    /// way the events are the same: the fast paths only save the
    /// scanner's work.
    #[inline(always)]
    fn rearm(&mut self, tiny: bool) {
        if tiny {
            self.arm_fast_path();
        } else {
            self.fast = 0;
            self.fast_end = 0;
            self.delim = [0; 2];
            self.delim_class = 0;
        }
    }

    /// Sets `fast` and `fast_end` for the state the scanner stopped in (see
    /// [`only_plain_bytes_fed`](Self::only_plain_bytes_fed)).
    fn arm_fast_path(&mut self) {
        let element_end = self.tok.saturating_add(self.limits.max_element_bytes);
        // Character data, where most chunks end, in one step.
        if matches!(self.st, St::Text) {
            (self.fast, self.fast_then, self.fast_end) = (PLAIN, PLAIN, element_end);
            (self.delim, self.delim_class) = ([b'<'; 2], 0);
            return;
        }
        (self.fast, self.fast_then, self.fast_end) = match self.st {
            St::Text => (PLAIN, PLAIN, element_end),
            St::AttrValue { .. } => (ATTR_PLAIN, ATTR_PLAIN, element_end),
            // Inside a name and within the name limit: ASCII name
            // characters, a name start character first where the name or
            // its local part begins.
            St::Name { start, colon, .. } => {
                let s = self.tok + start;
                let at_start = self.pos == s || colon.is_some_and(|c| self.tok + c + 1 == self.pos);
                let first = if at_start { NAME_START } else { NAME_CHAR };
                let name_end = s.saturating_add(self.limits.max_name_bytes);
                (first, NAME_CHAR, element_end.min(name_end))
            }
            // White space inside tags: `tag_space` tells from the byte
            // before `pos` whether it has seen some.
            St::TagSpace { .. } | St::AttrEq | St::AttrQuote | St::EndTagSpace => {
                (SPACE, SPACE, element_end)
            }
            _ => (0, 0, 0),
        };
        self.delim_class = delim_class(self.st);
        self.delim = match self.st {
            St::Text => [b'<'; 2],
            St::Lt => [b'/'; 2],
            St::Name {
                kind: NameKind::Attr,
                ..
            } => [b'='; 2],
            St::Name {
                kind: NameKind::Start,
                ..
            }
            | St::TagSpace { .. } => TAG_DELIMS,
            St::Name {
                kind: NameKind::End,
                ..
            }
            | St::EmptySlash => [b'>'; 2],
            St::AttrQuote => QUOTES,
            St::AttrValue { quote } => [quote; 2],
            _ => [0; 2],
        };
    }

    /// The scanner's run; `tiny` when at most [`TINY_FEED`] bytes were
    /// waiting for it, which arms the fast paths for the next call.
    fn next_event_slow(&mut self, tiny: bool) -> Result<Option<Event>, StreamError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.run() {
            Ok(Some(ev)) => {
                self.rearm(tiny);
                Ok(Some(ev))
            }
            Ok(None) => {
                self.compact();
                self.rearm(tiny);
                Ok(None)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Records the error that ends the stream and frees the buffers (see
    /// [`feed`](Self::feed): a failed framer buffers nothing); out of
    /// line, away from the scanner's loops.
    #[cold]
    #[inline(never)]
    fn fail(&mut self, e: StreamError) -> StreamError {
        self.fast = 0;
        self.fast_end = 0;
        self.failed = Some(e.clone());
        self.buf = Vec::new();
        self.attrs = Vec::new();
        self.open = Vec::new();
        self.decls = Vec::new();
        self.scratch = Vec::new();
        self.tok = 0;
        self.pos = 0;
        e
    }

    /// Tells the framer that the input ended. An error when it ended inside
    /// the stream header, an element, an end tag or the XML declaration
    /// (`not-well-formed`); a stream that is merely not closed is fine.
    /// Call it after [`next_event`](Self::next_event) returned `Ok(None)`.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.tok < self.buf.len() {
            let e = StreamError::Truncated {
                offset: self.offset(self.buf.len()),
            };
            self.failed = Some(e.clone());
            return Err(e);
        }
        Ok(())
    }

    /// Starts over for a restarted stream (RFC 6120 §4.3.3, after STARTTLS
    /// or SASL success): the next bytes must be a new stream header, offsets
    /// count from zero again, and a previous error is forgotten. Bytes fed
    /// but not yet consumed are kept, as they are the start of the new
    /// stream; use [`take_unconsumed`](Self::take_unconsumed) first when they
    /// are not (TLS records).
    pub fn reset(&mut self) {
        let rest = self.take_unconsumed();
        let mut fresh = Self::new(self.transport);
        fresh.limits = self.limits;
        fresh.buf = rest;
        *self = fresh;
    }

    /// Takes every byte fed but not yet consumed by a reported event. An
    /// element (or other token) in progress goes with its bytes: the framer
    /// is left between top-level elements, as after the last event.
    pub fn take_unconsumed(&mut self) -> Vec<u8> {
        let rest = self
            .buf
            .get(self.tok..)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        self.base += self.buf.len() as u64;
        self.buf = Vec::new();
        self.tok = 0;
        self.pos = 0;
        self.open.clear();
        self.decls.clear();
        self.attrs.clear();
        self.fast = 0;
        self.fast_end = 0;
        if self.failed.is_none() {
            self.st = match self.level {
                Level::Prolog => St::Prolog,
                Level::Stream => St::StreamLevel,
                Level::Closed => St::Closed,
            };
        }
        rest
    }

    /// The bytes fed but not yet consumed by a reported event.
    pub fn unconsumed(&self) -> &[u8] {
        self.buf.get(self.tok..).unwrap_or_default()
    }

    /// The bytes of the stream consumed so far (the offset errors count in).
    pub fn consumed(&self) -> u64 {
        self.offset(self.tok)
    }

    /// Bytes of heap the framer holds right now: its buffers' capacities and
    /// the stream header's namespace declarations. Between stanzas this is
    /// well under 1 KiB.
    pub fn heap_size(&self) -> usize {
        use core::mem::size_of;
        let ctx = size_of::<Namespaces>()
            + self.ctx.default.as_ref().map_or(0, |d| d.len())
            + self.ctx.prefixes.capacity() * size_of::<(Box<str>, Box<str>)>()
            + self
                .ctx
                .prefixes
                .iter()
                .map(|(p, n)| p.len() + n.len())
                .sum::<usize>();
        self.buf.capacity()
            + self.attrs.capacity() * size_of::<AttrSpan>()
            + self.open.capacity() * size_of::<Open>()
            + self.decls.capacity() * size_of::<Decl>()
            + self
                .decls
                .iter()
                .map(|d| d.owned.as_ref().map_or(0, |o| o.len()))
                .sum::<usize>()
            + self.scratch.capacity() * size_of::<(u64, usize)>()
            + self.root.capacity()
            + ctx
    }

    pub(crate) fn emit(&mut self, ev: Event) -> Step {
        self.out = Some(ev);
        Step::Emit
    }

    pub(crate) fn offset(&self, i: usize) -> u64 {
        self.base + i as u64
    }

    /// Drops consumed bytes; an idle framer also gives back large buffers.
    /// Only the test of whether there is anything to do is in line.
    #[inline(always)]
    fn compact(&mut self) {
        if self.tok > 0 || self.buf.is_empty() {
            self.compact_now();
        }
    }

    /// [`compact`](Self::compact) when there may be something to do.
    #[inline(never)]
    fn compact_now(&mut self) {
        if self.tok > 0 {
            self.buf.drain(..self.tok);
            self.base += self.tok as u64;
            self.pos -= self.tok;
            self.tok = 0;
        }
        if self.buf.is_empty() && matches!(self.st, St::StreamLevel | St::Prolog | St::Closed) {
            if self.buf.capacity() > IDLE_CAPACITY {
                self.buf.shrink_to(IDLE_CAPACITY);
            }
            // The scratch stacks are kept while they are small, so that a
            // stream of small stanzas does not allocate them per stanza,
            // but an idle framer stays within its heap budget.
            if self.heap_size() > IDLE_BUDGET || self.scratch.capacity() > 0 {
                self.attrs = Vec::new();
                self.open = Vec::new();
                self.decls = Vec::new();
                self.scratch = Vec::new();
            }
        }
    }

    fn run(&mut self) -> Result<Option<Event>, StreamError> {
        if self.close_pending {
            self.close_pending = false;
            return Ok(Some(Event::StreamClose));
        }
        loop {
            let end = self
                .buf
                .len()
                .min(self.tok.saturating_add(self.limits.max_element_bytes));
            let step = if self.pos < end {
                self.step(end)?
            } else {
                Step::NeedMore
            };
            match step {
                Step::Continue => {}
                Step::Emit => return Ok(self.out.take()),
                Step::NeedMore => {
                    if end < self.buf.len() {
                        return Err(self.limit_exceeded(end, Limit::ElementBytes));
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// The error for `limit` crossed at `i`, out of the scanner's loops.
    #[cold]
    #[inline(never)]
    pub(crate) fn limit_exceeded(&self, i: usize, limit: Limit) -> StreamError {
        let max = match limit {
            Limit::Attributes => self.limits.max_attributes,
            Limit::NameBytes => self.limits.max_name_bytes,
            Limit::Depth => self.limits.max_depth,
            Limit::NamespaceDeclarations => self.limits.max_namespace_declarations,
            Limit::ElementBytes => self.limits.max_element_bytes,
        };
        StreamError::LimitExceeded {
            offset: self.offset(i),
            limit,
            max,
        }
    }

    /// The error for an unexpected byte at `i`; cold and out of line like
    /// [`limit_exceeded`](Self::limit_exceeded), so that the scanner's
    /// in-line loops do not carry the error's construction.
    #[cold]
    #[inline(never)]
    pub(crate) fn syntax(&self, i: usize, expected: &'static str) -> StreamError {
        StreamError::Syntax {
            offset: self.offset(i),
            found: self.buf.get(i).copied().unwrap_or(0),
            expected,
        }
    }

    /// Checks the non-ASCII character at `p`: its length, `None` when the
    /// sequence is cut by `end`.
    fn check_utf8(&self, p: usize, end: usize) -> Result<Option<usize>, StreamError> {
        match decode(self.buf.get(p..end).unwrap_or_default()) {
            Utf8::Incomplete => Ok(None),
            Utf8::Invalid => Err(StreamError::InvalidUtf8 {
                offset: self.offset(p),
            }),
            Utf8::Char(c, n) => {
                if is_xml_char(c) {
                    Ok(Some(n))
                } else {
                    Err(StreamError::InvalidChar {
                        offset: self.offset(p),
                        code_point: c,
                    })
                }
            }
        }
    }

    /// Checks a forbidden-looking ASCII byte of character data or an
    /// attribute value: DEL is allowed, other control characters are not.
    fn check_control(&self, p: usize, b: u8) -> Result<(), StreamError> {
        if b == 0x7F {
            Ok(())
        } else {
            Err(StreamError::InvalidChar {
                offset: self.offset(p),
                code_point: u32::from(b),
            })
        }
    }

    /// One scanning step over `buf[pos..end]` (`pos < end`).
    fn step(&mut self, end: usize) -> Result<Step, StreamError> {
        match self.st {
            St::Prolog => self.prolog(end),
            St::StreamLevel => self.stream_level(end),
            St::Closed => {
                let mut p = self.pos;
                while let Some(&b) = self.buf.get(p).filter(|_| p < end) {
                    if !is_space(b) {
                        return Err(StreamError::AfterClose {
                            offset: self.offset(p),
                        });
                    }
                    p += 1;
                }
                self.pos = p;
                self.tok = p;
                Ok(Step::NeedMore)
            }
            St::Text => self.text(end),
            St::Lt => self.lt_dispatched(end),
            St::Name { kind, start, colon } => self.name(end, kind, start, colon),
            St::TagSpace { spaced } => self.tag_space_dispatched(end, spaced),
            St::AttrEq | St::AttrQuote | St::EmptySlash | St::EndTagSpace => self.punct(end),
            St::AttrValue { quote } => self.attr_value(end, quote),
            St::Ref { kind, start, quote } => self.reference(end, kind, start, quote),
            St::Bang { which, matched } => self.bang(which, matched),
            St::Cdata => self.cdata(end),
            St::Decl => self.decl(end),
        }
    }

    #[inline(never)]
    fn prolog(&mut self, end: usize) -> Result<Step, StreamError> {
        let p = self.pos;
        let Some(&b) = self.buf.get(p) else {
            return Ok(Step::NeedMore);
        };
        if self.bom_allowed && b == 0xEF {
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            let have = self.buf.get(p..end.min(p + 3)).unwrap_or_default();
            if have == BOM {
                self.pos = p + 3;
                self.tok = self.pos;
                self.bom_allowed = false;
                return Ok(Step::Continue);
            }
            if BOM.starts_with(have) {
                return Ok(Step::NeedMore);
            }
        }
        self.bom_allowed = false;
        if is_space(b) {
            let mut q = p;
            while self.buf.get(q).is_some_and(|&b| is_space(b)) && q < end {
                q += 1;
            }
            self.pos = q;
            self.tok = q;
            self.decl_allowed = false;
            return Ok(Step::Continue);
        }
        if b == b'<' {
            return Ok(self.enter_markup(p));
        }
        Err(StreamError::UnexpectedText {
            offset: self.offset(p),
            in_stream: false,
        })
    }

    /// Markup starts with the `<` at `p` (outside the root element): the
    /// token begins there and the next state reads what follows it.
    fn enter_markup(&mut self, p: usize) -> Step {
        self.tok = p;
        self.tag.start = 0;
        self.pos = p + 1;
        self.st = St::Lt;
        Step::Continue
    }

    fn stream_level(&mut self, end: usize) -> Result<Step, StreamError> {
        let p = self.pos;
        let Some(&b) = self.buf.get(p) else {
            return Ok(Step::NeedMore);
        };
        if is_space(b) {
            let mut q = p;
            while q < end && self.buf.get(q).is_some_and(|&b| is_space(b)) {
                q += 1;
            }
            self.pos = q;
            self.tok = q;
            if !self.ws_run && self.transport != Transport::WebSocket {
                self.ws_run = true;
                return Ok(self.emit(Event::Whitespace));
            }
            return Ok(Step::Continue);
        }
        if b == b'<' {
            self.ws_run = false;
            let step = self.enter_markup(p);
            // Straight on with the tag, without the dispatcher, when its
            // first byte is there.
            if p + 1 < end {
                return self.lt_dispatched(end);
            }
            return Ok(step);
        }
        Err(StreamError::UnexpectedText {
            offset: self.offset(p),
            in_stream: true,
        })
    }

    fn text(&mut self, end: usize) -> Result<Step, StreamError> {
        let mut p = self.pos;
        loop {
            p = scan_text(&self.buf, p, end);
            let Some(&b) = self.buf.get(p).filter(|_| p < end) else {
                self.pos = p;
                return Ok(Step::NeedMore);
            };
            match b {
                b'<' => {
                    self.tag.start = p - self.tok;
                    self.pos = p + 1;
                    self.st = St::Lt;
                    if p + 1 >= end {
                        return Ok(Step::Continue);
                    }
                    // Most tags end back in character data: stay in this
                    // loop rather than going through the dispatcher.
                    match self.lt(end)? {
                        Step::Continue if matches!(self.st, St::Text) => p = self.pos,
                        step => return Ok(step),
                    }
                }
                b'&' => {
                    if let Some(n) = predefined_entity(&self.buf, p, end) {
                        p += n;
                        continue;
                    }
                    self.pos = p + 1;
                    self.st = St::Ref {
                        kind: RefKind::Start,
                        start: p - self.tok,
                        quote: 0,
                    };
                    return Ok(Step::Continue);
                }
                b'>' => {
                    // XML 1.0 §2.4: `]]>` may not appear in character data.
                    // The two bytes before are inside this text run when
                    // both are `]`, since markup always ends with `>`.
                    if p >= 2 && self.buf.get(p - 2..p) == Some(b"]]") {
                        return Err(self.syntax(p, "no ']]>' in character data"));
                    }
                    p += 1;
                }
                0x80.. => match self.check_utf8(p, end)? {
                    Some(n) => p += n,
                    None => {
                        self.pos = p;
                        return Ok(Step::NeedMore);
                    }
                },
                _ => {
                    self.check_control(p, b)?;
                    p += 1;
                }
            }
        }
    }

    /// [`lt`](Self::lt) for the dispatcher, which reaches it only when a
    /// chunk ended just after the `<`.
    #[inline(never)]
    fn lt_dispatched(&mut self, end: usize) -> Result<Step, StreamError> {
        self.lt(end)
    }

    /// After `<`: the tag's kind, and the common start and end tags whole.
    /// In line in [`text`](Self::text)'s loop, which reaches most tags:
    /// called there, this and [`tag_space`](Self::tag_space) cost a call,
    /// a frame and a `Result` in memory each per tag, some 7 % of the
    /// instructions at 64 KiB feeds (callgrind, 95.5M to 88.9M on 5 MB).
    #[inline(always)]
    fn lt(&mut self, end: usize) -> Result<Step, StreamError> {
        let p = self.pos;
        let Some(&b) = self.buf.get(p) else {
            return Ok(Step::NeedMore);
        };
        match b {
            b'/' => {
                // The common end tag: `</name>` closing the innermost open
                // element, found by comparing its bytes with that
                // element's name (a valid name, within the name limit, so
                // the same bytes before a `>` are that name again) rather
                // than by scanning a name.
                if let Some(open) = self.open.last().copied() {
                    let (a, b) = (self.tok + open.name.0, self.tok + open.name.1);
                    let gt = p + 1 + (b - a);
                    let closes = gt < end
                        && self.buf.get(gt) == Some(&b'>')
                        && match (self.buf.get(p + 1..gt), self.buf.get(a..b)) {
                            (Some(found), Some(open)) => tag::same(found, open),
                            _ => false,
                        };
                    if closes {
                        self.tag.name = (p + 1 - self.tok, gt - self.tok);
                        self.pos = gt + 1;
                        return self.end_matched();
                    }
                }
                // Anything else (cut by the end of the data, white space
                // before the `>`, the stream's end, a mismatch) takes the
                // name state.
                self.pos = p + 1;
                self.st = St::Name {
                    kind: NameKind::End,
                    start: p + 1 - self.tok,
                    colon: None,
                };
            }
            b'!' | b'?' => return self.lt_bang_or_question(p, b),
            _ if is_ascii_name_start(b) || b >= 0x80 => {
                self.decl_allowed = false;
                // The common start tag: an ASCII name without a prefix,
                // then straight on to the attributes.
                let name_end = scan_name(&self.buf, p, end);
                let after = self.buf.get(name_end).copied().filter(|_| name_end < end);
                let simple = b < 0x80
                    && name_end - p <= self.limits.max_name_bytes
                    && after.is_some_and(|c| c == b'>' || c == b'/' || is_space(c));
                if simple {
                    self.tag.name = (p - self.tok, name_end - self.tok);
                    self.tag.colon = None;
                    self.clear_attrs();
                    // `<name>`, a third of the start tags, skips the
                    // attribute loop.
                    if after == Some(b'>') {
                        self.pos = name_end + 1;
                        return self.finish_start(false);
                    }
                    self.pos = name_end;
                    return self.tag_space(end, false);
                }
                self.st = St::Name {
                    kind: NameKind::Start,
                    start: p - self.tok,
                    colon: None,
                };
            }
            _ => return Err(self.syntax(p, "a name, '/', '!' or '?' after '<'")),
        }
        self.decl_allowed = false;
        Ok(Step::Continue)
    }

    /// After `<`, the rare `!` (a comment, CDATA section or DOCTYPE) or
    /// `?` (the XML declaration, or a processing instruction, which
    /// restricted XML refuses: RFC 6120 §11.1) at `p`, out of line.
    #[cold]
    #[inline(never)]
    fn lt_bang_or_question(&mut self, p: usize, b: u8) -> Result<Step, StreamError> {
        if b == b'!' {
            self.st = St::Bang {
                which: Bang::Undecided,
                matched: 0,
            };
        } else {
            let at_start = self.level == Level::Prolog && self.decl_allowed && self.open.is_empty();
            if !at_start {
                return Err(StreamError::Restricted {
                    offset: self.offset(p - 1),
                    construct: Restricted::ProcessingInstruction,
                });
            }
            self.st = St::Decl;
        }
        self.pos = p + 1;
        self.decl_allowed = false;
        Ok(Step::Continue)
    }

    fn name(
        &mut self,
        end: usize,
        kind: NameKind,
        start: usize,
        mut colon: Option<usize>,
    ) -> Result<Step, StreamError> {
        let s = self.tok + start;
        let mut p = self.pos;
        let max = self.limits.max_name_bytes;
        let stop = end.min(s.saturating_add(max).saturating_add(1));
        // A name character must start the name and follow the colon; the
        // rest of the name is scanned by the table loop.
        let mut need_start = p == s || colon.is_some_and(|c| self.tok + c + 1 == p);
        loop {
            if !need_start {
                p = scan_name(&self.buf, p, stop);
            }
            let Some(&b) = self.buf.get(p).filter(|_| p < stop) else {
                return self.pause_name(p, stop < end, St::Name { kind, start, colon });
            };
            if b < 0x80 {
                if need_start {
                    if !is_ascii_name_start(b) {
                        if b == b':' || is_ascii_name_char(b) {
                            return Err(self.syntax(p, "a name start character"));
                        }
                        break;
                    }
                    need_start = false;
                    p += 1;
                } else if b == b':' {
                    if colon.is_some() {
                        return Err(self.syntax(p, "a qualified name (one ':' between two names)"));
                    }
                    colon = Some(p - self.tok);
                    need_start = true;
                    p += 1;
                } else {
                    break;
                }
                continue;
            }
            match decode(self.buf.get(p..stop).unwrap_or_default()) {
                Utf8::Incomplete => {
                    return self.pause_name(p, stop < end, St::Name { kind, start, colon });
                }
                Utf8::Invalid => {
                    return Err(StreamError::InvalidUtf8 {
                        offset: self.offset(p),
                    });
                }
                Utf8::Char(c, n) => {
                    let ok = if need_start {
                        crate::chars::is_name_start(c)
                    } else {
                        crate::chars::is_name_char(c)
                    };
                    if !ok {
                        let offset = self.offset(p);
                        return Err(if is_xml_char(c) {
                            StreamError::InvalidNameChar {
                                offset,
                                code_point: c,
                            }
                        } else {
                            StreamError::InvalidChar {
                                offset,
                                code_point: c,
                            }
                        });
                    }
                    need_start = false;
                    p += n;
                }
            }
        }
        if p == s || colon.is_some_and(|c| self.tok + c + 1 == p) {
            return Err(self.syntax(p, "a name"));
        }
        let span = (start, p - self.tok);
        self.pos = p;
        match kind {
            NameKind::Start => {
                self.tag.name = span;
                self.tag.colon = colon;
                self.clear_attrs();
                self.st = St::TagSpace { spaced: false };
            }
            NameKind::End => {
                self.tag.name = span;
                self.tag.colon = colon;
                self.st = St::EndTagSpace;
            }
            NameKind::Attr => {
                if self.attrs.len() >= self.limits.max_attributes {
                    return Err(self.limit_exceeded(s, Limit::Attributes));
                }
                self.push_attr(span, colon);
                self.st = St::AttrEq;
            }
        }
        Ok(Step::Continue)
    }

    /// A name stops at `p` for want of bytes: too long when the name limit,
    /// not the data, cut the scan (`cut`) or `p` is already past the limit;
    /// otherwise it waits in `st`.
    fn pause_name(&mut self, p: usize, cut: bool, st: St) -> Result<Step, StreamError> {
        let St::Name { start, .. } = st else {
            return Ok(Step::NeedMore);
        };
        let s = self.tok + start;
        let max = self.limits.max_name_bytes;
        if cut || p > s + max {
            return Err(self.limit_exceeded(s, Limit::NameBytes));
        }
        self.pos = p;
        self.st = st;
        Ok(Step::NeedMore)
    }

    /// [`tag_space`](Self::tag_space) for the dispatcher (a chunk ended
    /// inside a start tag).
    #[inline(never)]
    fn tag_space_dispatched(&mut self, end: usize, spaced: bool) -> Result<Step, StreamError> {
        self.tag_space(end, spaced)
    }

    /// Inside a start tag after its name or an attribute value; in line in
    /// [`lt`](Self::lt), see there.
    #[inline(always)]
    fn tag_space(&mut self, end: usize, spaced: bool) -> Result<Step, StreamError> {
        let mut p = self.pos;
        // The state is entered after a name or a quote, so a space before
        // `pos` was stepped over in it (perhaps by `only_plain_bytes_fed`).
        let mut spaced = spaced
            || p.checked_sub(1)
                .and_then(|q| self.buf.get(q))
                .is_some_and(|&b| is_space(b));
        loop {
            let Some(&b) = self.buf.get(p).filter(|_| p < end) else {
                self.pos = p;
                self.st = St::TagSpace { spaced };
                return Ok(Step::NeedMore);
            };
            if is_space(b) {
                spaced = true;
                p += 1;
                continue;
            }
            self.pos = p + 1;
            return match b {
                b'>' => self.finish_start(false),
                b'/' => {
                    // `/>` whole ends the tag here, not after a round
                    // through the dispatcher and the punctuation state.
                    if p + 1 < end && self.buf.get(p + 1) == Some(&b'>') {
                        self.pos = p + 2;
                        return self.finish_start(true);
                    }
                    self.st = St::EmptySlash;
                    Ok(Step::Continue)
                }
                _ if is_ascii_name_start(b) || b >= 0x80 => {
                    if !spaced {
                        return Err(self.syntax(p, "white space before an attribute"));
                    }
                    match self.attribute_fast(end, p)? {
                        Some(q) => {
                            p = q;
                            spaced = false;
                            continue;
                        }
                        None => Ok(Step::Continue),
                    }
                }
                _ => Err(self.syntax(p, "an attribute, '>' or '/>'")),
            };
        }
    }

    /// Forgets the attributes of the previous start tag.
    #[inline(always)]
    fn clear_attrs(&mut self) {
        self.attrs.clear();
        self.tag.sigs = 0;
        self.tag.attr_flags = 0;
    }

    /// Records an attribute name (`name` relative to `tok`) and what its
    /// tag will have to check about it: a prefix, a possible namespace
    /// declaration, and a signature bit (length, first and last byte) that
    /// lets the duplicate check be skipped while no two names share one.
    #[inline(always)]
    fn push_attr(&mut self, name: Span, colon: Option<usize>) {
        let first = self.buf.get(self.tok + name.0).copied().unwrap_or(0);
        let last = (self.tok + name.1)
            .checked_sub(1)
            .and_then(|i| self.buf.get(i))
            .copied()
            .unwrap_or(0);
        self.tag
            .note_attr(first, last, name.1.wrapping_sub(name.0), colon.is_some());
        self.attrs.push(AttrSpan {
            name,
            colon,
            value: (0, 0),
            escaped: false,
        });
    }

    /// The common attributes, `name='value'` with an ASCII name and a
    /// value without references or non-ASCII, scanned in one go from the
    /// first byte of the first at `p`, and the next ones while a single
    /// space and an ASCII name start follow a closing quote:
    /// `Some(position after the last closing quote)`. Anything else leaves
    /// the state where the general path must resume (never before `p`,
    /// and at most a name is scanned twice) and returns `None`.
    #[inline(always)]
    fn attribute_fast(&mut self, end: usize, mut p: usize) -> Result<Option<usize>, StreamError> {
        let tok = self.tok;
        // The bytes up to `end`, borrowed apart from the fields written
        // below, so that every look-up is one bounds check.
        let s = self.buf.get(..end).unwrap_or_default();
        loop {
            let name_end = scan_name(s, p, end);
            let first = s.get(p).copied().unwrap_or(0);
            let simple_name = first < 0x80
                && name_end - p <= self.limits.max_name_bytes
                && s.get(name_end).is_some_and(|&c| c == b'=' || is_space(c));
            if !simple_name {
                self.pos = p;
                self.st = St::Name {
                    kind: NameKind::Attr,
                    start: p - tok,
                    colon: None,
                };
                return Ok(None);
            }
            if self.attrs.len() >= self.limits.max_attributes {
                return Err(self.limit_exceeded(p, Limit::Attributes));
            }
            let last = name_end.checked_sub(1).and_then(|i| s.get(i)).copied();
            self.tag
                .note_attr(first, last.unwrap_or(0), name_end - p, false);
            let name = (p - tok, name_end - tok);
            let (v, v_end, quote) = 'value: {
                // Mostly `name='` with no white space around the `=`.
                if let Some(&[b'=', quote @ (b'"' | b'\'')]) = s.get(name_end..name_end + 2) {
                    let v = name_end + 2;
                    break 'value (v, scan_attr(s, v, end, quote), quote);
                }
                let mut q = name_end;
                while s.get(q).is_some_and(|&b| is_space(b)) {
                    q += 1;
                }
                if s.get(q) == Some(&b'=') {
                    q += 1;
                    while s.get(q).is_some_and(|&b| is_space(b)) {
                        q += 1;
                    }
                    if let Some(&quote @ (b'"' | b'\'')) = s.get(q) {
                        let v = q + 1;
                        break 'value (v, scan_attr(s, v, end, quote), quote);
                    }
                    self.attribute_cut(name, q, St::AttrQuote);
                } else {
                    self.attribute_cut(name, q, St::AttrEq);
                }
                return Ok(None);
            };
            self.attrs.push(AttrSpan {
                name,
                colon: None,
                value: (v - tok, v_end - tok),
                escaped: false,
            });
            if s.get(v_end) != Some(&quote) {
                self.pos = v_end;
                self.st = St::AttrValue { quote };
                return Ok(None);
            }
            // Most attributes are followed by one space and the next.
            match s.get(v_end + 1..v_end + 3) {
                Some(&[b' ', c]) if is_ascii_name_start(c) => p = v_end + 2,
                _ => return Ok(Some(v_end + 1)),
            }
        }
    }

    /// An attribute named `name` whose value the data cut before its
    /// quote: the general path resumes at `q` in `st`.
    #[inline(never)]
    fn attribute_cut(&mut self, name: Span, q: usize, st: St) {
        self.attrs.push(AttrSpan {
            name,
            colon: None,
            value: (0, 0),
            escaped: false,
        });
        self.pos = q;
        self.st = st;
    }

    /// The short states that skip white space and expect one byte.
    fn punct(&mut self, end: usize) -> Result<Step, StreamError> {
        let mut p = self.pos;
        let skips_space = !matches!(self.st, St::EmptySlash);
        while skips_space && p < end && self.buf.get(p).is_some_and(|&b| is_space(b)) {
            p += 1;
        }
        self.pos = p;
        let Some(&b) = self.buf.get(p).filter(|_| p < end) else {
            return Ok(Step::NeedMore);
        };
        self.pos = p + 1;
        match (self.st, b) {
            (St::AttrEq, b'=') => self.st = St::AttrQuote,
            (St::AttrEq, _) => return Err(self.syntax(p, "'=' after an attribute name")),
            (St::AttrQuote, b'"' | b'\'') => {
                let v = p + 1 - self.tok;
                if let Some(a) = self.attrs.last_mut() {
                    a.value = (v, v);
                }
                self.st = St::AttrValue { quote: b };
            }
            (St::AttrQuote, _) => return Err(self.syntax(p, "a quote opening an attribute value")),
            (St::EmptySlash, b'>') => return self.finish_start(true),
            (St::EmptySlash, _) => return Err(self.syntax(p, "'>' after '/'")),
            (_, b'>') => return self.finish_end(),
            (_, _) => return Err(self.syntax(p, "'>' closing an end tag")),
        }
        Ok(Step::Continue)
    }

    fn attr_value(&mut self, end: usize, quote: u8) -> Result<Step, StreamError> {
        let mut p = self.pos;
        loop {
            p = scan_attr(&self.buf, p, end, quote);
            let Some(&b) = self.buf.get(p).filter(|_| p < end) else {
                self.pos = p;
                return Ok(Step::NeedMore);
            };
            match b {
                _ if b == quote => {
                    let rel = p - self.tok;
                    if let Some(a) = self.attrs.last_mut() {
                        a.value.1 = rel;
                    }
                    self.pos = p + 1;
                    self.st = St::TagSpace { spaced: false };
                    return Ok(Step::Continue);
                }
                b'"' | b'\'' => p += 1,
                b'&' => {
                    if let Some(a) = self.attrs.last_mut() {
                        a.escaped = true;
                    }
                    if let Some(n) = predefined_entity(&self.buf, p, end) {
                        p += n;
                        continue;
                    }
                    self.pos = p + 1;
                    self.st = St::Ref {
                        kind: RefKind::Start,
                        start: p - self.tok,
                        quote,
                    };
                    return Ok(Step::Continue);
                }
                b'<' => return Err(self.syntax(p, "no '<' in an attribute value")),
                0x80.. => match self.check_utf8(p, end)? {
                    Some(n) => p += n,
                    None => {
                        self.pos = p;
                        return Ok(Step::NeedMore);
                    }
                },
                _ => {
                    self.check_control(p, b)?;
                    p += 1;
                }
            }
        }
    }

    #[inline(never)]
    fn reference(
        &mut self,
        end: usize,
        mut kind: RefKind,
        start: usize,
        quote: u8,
    ) -> Result<Step, StreamError> {
        let amp = self.tok + start;
        let mut p = self.pos;
        while let Some(&b) = self.buf.get(p).filter(|_| p < end) {
            kind = match (kind, b) {
                (RefKind::Start, b'#') => RefKind::Hash,
                (RefKind::Start, _) if is_ascii_name_start(b) || b >= 0x80 => RefKind::Name,
                (RefKind::Name, b';') => {
                    let name = self.buf.get(amp + 1..p).unwrap_or_default();
                    if !matches!(name, b"lt" | b"gt" | b"amp" | b"apos" | b"quot") {
                        return Err(StreamError::Restricted {
                            offset: self.offset(amp),
                            construct: Restricted::EntityReference,
                        });
                    }
                    return Ok(self.end_reference(p, quote));
                }
                (RefKind::Name, _) if is_ascii_name_char(b) || b == b':' || b >= 0x80 => {
                    if p - amp > self.limits.max_name_bytes {
                        return Err(self.limit_exceeded(amp, Limit::NameBytes));
                    }
                    RefKind::Name
                }
                (RefKind::Hash, b'x') => RefKind::HexStart,
                (RefKind::Hash | RefKind::Dec(_), b'0'..=b'9') => {
                    let v = if let RefKind::Dec(v) = kind { v } else { 0 };
                    RefKind::Dec((v * 10 + u32::from(b - b'0')).min(0x11_0000))
                }
                (RefKind::HexStart | RefKind::Hex(_), _) if b.is_ascii_hexdigit() => {
                    let v = if let RefKind::Hex(v) = kind { v } else { 0 };
                    let d = match b {
                        b'0'..=b'9' => b - b'0',
                        b'a'..=b'f' => b - b'a' + 10,
                        _ => b - b'A' + 10,
                    };
                    RefKind::Hex((v * 16 + u32::from(d)).min(0x11_0000))
                }
                (RefKind::Dec(v) | RefKind::Hex(v), b';') => {
                    if !is_xml_char(v) {
                        return Err(StreamError::InvalidChar {
                            offset: self.offset(amp),
                            code_point: if v > 0x10_FFFF { u32::MAX } else { v },
                        });
                    }
                    return Ok(self.end_reference(p, quote));
                }
                _ => return Err(self.syntax(p, "a character or entity reference ending in ';'")),
            };
            p += 1;
        }
        self.pos = p;
        self.st = St::Ref { kind, start, quote };
        Ok(Step::NeedMore)
    }

    fn end_reference(&mut self, semicolon: usize, quote: u8) -> Step {
        self.pos = semicolon + 1;
        self.st = if quote == 0 {
            St::Text
        } else {
            St::AttrValue { quote }
        };
        Step::Continue
    }

    #[inline(never)]
    fn bang(&mut self, mut which: Bang, mut matched: usize) -> Result<Step, StreamError> {
        let p = self.pos;
        let Some(&b) = self.buf.get(p) else {
            return Ok(Step::NeedMore);
        };
        if which == Bang::Undecided {
            which = match b {
                b'-' => Bang::Comment,
                b'[' => Bang::Cdata,
                b'D' => Bang::Doctype,
                _ => return Err(self.syntax(p, "'--', '[CDATA[' or 'DOCTYPE' after '<!'")),
            };
        }
        let lit = which.literal();
        if lit.get(matched) != Some(&b) {
            return Err(self.syntax(p, "'--', '[CDATA[' or 'DOCTYPE' after '<!'"));
        }
        matched += 1;
        self.pos = p + 1;
        if matched < lit.len() {
            self.st = St::Bang { which, matched };
            return Ok(Step::Continue);
        }
        let lt = self.offset(self.tok + self.tag.start);
        match which {
            Bang::Comment => Err(StreamError::Restricted {
                offset: lt,
                construct: Restricted::Comment,
            }),
            Bang::Doctype => Err(StreamError::Restricted {
                offset: lt,
                construct: Restricted::Doctype,
            }),
            _ if self.open.is_empty() => Err(StreamError::UnexpectedText {
                offset: lt,
                in_stream: self.level == Level::Stream,
            }),
            _ => {
                self.st = St::Cdata;
                Ok(Step::Continue)
            }
        }
    }

    #[inline(never)]
    fn cdata(&mut self, end: usize) -> Result<Step, StreamError> {
        let mut p = self.pos;
        loop {
            p = scan(&self.buf, p, end, |b| {
                is_text_plain(b) || b == b'<' || b == b'&'
            });
            let Some(&b) = self.buf.get(p).filter(|_| p < end) else {
                self.pos = p;
                return Ok(Step::NeedMore);
            };
            match b {
                b'>' => {
                    p += 1;
                    // The section's `[` opener is never one of the two bytes.
                    if p >= 3 && self.buf.get(p - 3..p - 1) == Some(b"]]") {
                        self.pos = p;
                        self.st = St::Text;
                        return Ok(Step::Continue);
                    }
                }
                0x80.. => match self.check_utf8(p, end)? {
                    Some(n) => p += n,
                    None => {
                        self.pos = p;
                        return Ok(Step::NeedMore);
                    }
                },
                _ => {
                    self.check_control(p, b)?;
                    p += 1;
                }
            }
        }
    }

    #[inline(never)]
    fn decl(&mut self, end: usize) -> Result<Step, StreamError> {
        // Only the XML declaration may start with `<?` here: a target other
        // than `xml` and white space is refused as soon as its first bytes
        // show it, not when (or if) `?>` arrives.
        let start = self.tok + 2;
        let seen = self.buf.get(start..end.min(start + 4)).unwrap_or_default();
        let declaration = seen
            .iter()
            .enumerate()
            .all(|(i, &b)| b"xml".get(i).map_or(is_space(b), |&x| x == b));
        if !declaration {
            return Err(StreamError::Restricted {
                offset: self.offset(self.tok),
                construct: Restricted::ProcessingInstruction,
            });
        }
        // No `<` or `>` belongs in a declaration (XML 1.0 §2.8) but the
        // `>` of its `?>`.
        let p = self.pos;
        let Some(i) = memchr::memchr2(b'<', b'>', self.buf.get(p..end).unwrap_or_default()) else {
            self.pos = end;
            return Ok(Step::NeedMore);
        };
        let at = p + i;
        if self.buf.get(at) == Some(&b'>')
            && at > self.tok + 2
            && self.buf.get(at - 1) == Some(&b'?')
        {
            self.pos = at + 1;
            tag::check_declaration(self, self.tok, at + 1)?;
            self.tok = self.pos;
            self.st = St::Prolog;
            return Ok(Step::Continue);
        }
        Err(self.syntax(at, "'?>' to end the XML declaration"))
    }
}

/// The length of the reference to a predefined entity (`&amp;`, `&lt;`,
/// `&gt;`, `&quot;`, `&apos;`; XML 1.0 §4.6) whole in `buf[p..end]`, so that
/// character data and attribute values step over the common references
/// without the reference state. `None` for anything else, which that state
/// then checks (cut references included).
#[inline(always)]
fn predefined_entity(buf: &[u8], p: usize, end: usize) -> Option<usize> {
    let rest = buf.get(p + 1..end)?;
    let n = match rest {
        [b'l' | b'g', b't', b';', ..] => 3,
        [b'a', b'm', b'p', b';', ..] => 4,
        [b'q', b'u', b'o', b't', b';', ..] | [b'a', b'p', b'o', b's', b';', ..] => 5,
        _ => return None,
    };
    Some(n + 1)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit set in the first byte of `x` that is `c`
/// (bytes after it may be flagged falsely; the lowest flag is exact).
#[inline(always)]
fn has_byte(x: u64, c: u8) -> u64 {
    let v = x ^ (LO * u64::from(c));
    v.wrapping_sub(LO) & !v & HI
}

/// Advances `p` eight bytes at a time while `special` flags none of them
/// (it sets the high bit of the first byte to stop at, and may flag bytes
/// after it); then byte by byte while `plain` holds. `special` must flag at
/// least the bytes `plain` refuses that the caller cannot step over.
#[inline(always)]
fn scan_words(
    buf: &[u8],
    mut p: usize,
    end: usize,
    special: impl Fn(u64) -> u64,
    plain: impl Fn(u8) -> bool,
) -> usize {
    let s = buf.get(..end).unwrap_or_default();
    while let Some(word) = s.get(p..p + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let m = special(u64::from_le_bytes(bytes));
        if m != 0 {
            p += (m.trailing_zeros() / 8) as usize;
            break;
        }
        p += 8;
    }
    scan(buf, p, end, plain)
}

/// Flags the bytes that are neither printable ASCII nor space: non-ASCII
/// and DEL (adding one sets their high bit; a carry only leaves a byte of
/// 0xFF, itself flagged) and control characters (TAB, LF and CR included,
/// which then take the byte loop).
#[inline(always)]
fn not_printable(x: u64) -> u64 {
    ((x.wrapping_add(LO) | x) & HI) | (x.wrapping_sub(LO * 0x20) & !x & HI)
}

/// Advances over character data (stops at `<`, `&`, `>` and anything the
/// table does not call plain).
#[inline(always)]
fn scan_text(buf: &[u8], p: usize, end: usize) -> usize {
    // Tags mostly follow each other with no text between them.
    if p < end && buf.get(p) == Some(&b'<') {
        return p;
    }
    // `<` (0x3C) and `>` (0x3E) are the two bytes that become 0x3E with
    // bit 1 set, so one comparison finds both.
    let special = |x: u64| not_printable(x) | has_byte(x | (LO * 2), b'>') | has_byte(x, b'&');
    scan_words(buf, p, end, special, is_text_plain)
}

/// Advances over an attribute value delimited by `quote`: stops at `<`,
/// `&`, the bytes the table does not call plain, and `quote`; the word
/// loop also steps over the other quote, which is plain in this value,
/// while the byte loop stops at it (callers step over it).
#[inline(always)]
fn scan_attr(buf: &[u8], p: usize, end: usize, quote: u8) -> usize {
    if quote == b'\'' {
        // `&` (0x26) and `'` (0x27) are the two bytes that become 0x27
        // with bit 0 set.
        let special = |x: u64| not_printable(x) | has_byte(x | LO, b'\'') | has_byte(x, b'<');
        scan_words(buf, p, end, special, is_attr_plain)
    } else {
        // `"` (0x22) and `&` (0x26) are the two bytes that become 0x26
        // with bit 2 set.
        let special = |x: u64| not_printable(x) | has_byte(x | (LO * 4), b'&') | has_byte(x, b'<');
        scan_words(buf, p, end, special, is_attr_plain)
    }
}

/// Flags the bytes that are not lowercase ASCII letters (most names are
/// lowercase words: `message`, `item`, `jid`, `type`).
#[inline(always)]
fn not_lowercase(x: u64) -> u64 {
    // With the high bit forced on, subtracting per byte cannot borrow
    // across bytes: the high bit stays on exactly where the byte is at
    // least the subtrahend.
    let from_a = (x | HI).wrapping_sub(LO * u64::from(b'a'));
    let past_z = (x | HI).wrapping_sub(LO * u64::from(b'z' + 1));
    !(from_a & !past_z & !x) & HI
}

/// Advances over an ASCII name (stops at the first byte that is not an
/// ASCII name character, `:` included): eight lowercase letters at a time,
/// then byte by byte.
#[inline(always)]
fn scan_name(buf: &[u8], p: usize, end: usize) -> usize {
    scan_words(buf, p, end, not_lowercase, is_ascii_name_char)
}

/// Advances `p` over bytes of `buf[..end]` for which `plain` holds.
#[inline(always)]
fn scan(buf: &[u8], mut p: usize, end: usize, plain: impl Fn(u8) -> bool) -> usize {
    let s = buf.get(..end).unwrap_or_default();
    while let Some(&b) = s.get(p) {
        if !plain(b) {
            break;
        }
        p += 1;
    }
    p
}
