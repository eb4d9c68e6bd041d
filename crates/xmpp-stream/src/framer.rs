//! The framer: RFC 6120 §4 (XML streams) and §11 (restricted XML) as a
//! push-bytes, pull-events state machine.
//!
//! `Framer` holds the state; its methods live in the module of the job
//! they do:
//!
//! - `buffer`: the input buffer, its invariants and compaction;
//! - `state`: the scanner's states and what it keeps of the tag;
//! - `fast`: what `next_event` decides without the scanner after a tiny
//!   feed;
//! - `scan`: the word-at-a-time byte scanners;
//! - `prolog`: BOM, XML declaration, white space at stream level, what
//!   may follow the stream's end;
//! - `markup`: what follows `<`; `name`: qualified names; `attribute`: the
//!   inside of a start tag; `text`: character data and CDATA;
//!   `reference`: `&…;`;
//! - `element`: the end of a tag, element balance, top-level elements;
//! - `namespaces`: namespace scoping and duplicate attributes;
//! - `header`: the stream header and the BOSH body;
//! - `transport`: the transports; `websocket`: RFC 7395 messages and the
//!   `<open/>` and `<close/>` framing elements (BOSH's checks of a body are
//!   in the crate's `bosh` module).
//!
//! Each state transition is written once, as a method (or, where a caller
//! holds the buffer borrowed, a function of the fields it needs) of the
//! module of its construct (`open_tag`, `begin_name`, `start_tag_named`,
//! `begin_attr_name`, `push_attr`, `open_value`, `close_value`,
//! `ampersand`, `start_tag_closed`, `finish_plain_nested_start`,
//! `leave_element`, `end_tag_closes`, `enter_level`, `step_over_plain`); the
//! scanner, its look-aheads (`lt`'s common start and end tags,
//! `attribute_fast`) and the fast paths of `fast` call the same ones.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::chars::class;
use crate::error::{FramingError, Limit};
use crate::event::{Event, Namespaces, NsRef, Routing};
use crate::limits::{InvalidLimits, Limits};

mod attribute;
mod buffer;
mod element;
mod fast;
mod header;
mod markup;
mod name;
mod namespaces;
mod prolog;
mod reference;
mod scan;
mod state;
#[cfg(test)]
mod tests;
mod text;
mod transport;
mod websocket;

use fast::TINY_FEED;
use state::{AttrSpan, Decl, Level, Open, St, Step, Tag, Top};
pub use transport::Transport;

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
    pub(crate) failed: Option<FramingError>,
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

    /// The next event, `Ok(None)` when more bytes are needed, or the error
    /// that ended the stream (returned again on every later call).
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<Event>, FramingError> {
        let len = self.buf.len();
        if len == self.pos + 1 {
            // One byte fed, the case a 1-byte feed makes every time: a
            // byte of the class the state steps over, or a delimiter that
            // only changes the state.
            if let Some(&b) = self.buf.last() {
                let c = class(b);
                if c & self.fast != 0 && len <= self.fast_end {
                    self.step_over_plain(len);
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

    /// The scanner's run; `tiny` when at most [`TINY_FEED`] bytes were
    /// waiting for it, which arms the fast paths for the next call.
    fn next_event_slow(&mut self, tiny: bool) -> Result<Option<Event>, FramingError> {
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
    fn fail(&mut self, e: FramingError) -> FramingError {
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
    pub fn finish(&mut self) -> Result<(), FramingError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.tok < self.buf.len() {
            let e = FramingError::Truncated {
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

    pub(crate) fn emit(&mut self, ev: Event) -> Step {
        self.out = Some(ev);
        Step::Emit
    }

    fn run(&mut self) -> Result<Option<Event>, FramingError> {
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
    pub(crate) fn limit_exceeded(&self, i: usize, limit: Limit) -> FramingError {
        let max = match limit {
            Limit::Attributes => self.limits.max_attributes,
            Limit::NameBytes => self.limits.max_name_bytes,
            Limit::Depth => self.limits.max_depth,
            Limit::NamespaceDeclarations => self.limits.max_namespace_declarations,
            Limit::ElementBytes => self.limits.max_element_bytes,
        };
        FramingError::LimitExceeded {
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
    pub(crate) fn syntax(&self, i: usize, expected: &'static str) -> FramingError {
        FramingError::Syntax {
            offset: self.offset(i),
            found: self.buf.get(i).copied().unwrap_or(0),
            expected,
        }
    }

    /// One scanning step over `buf[pos..end]` (`pos < end`).
    fn step(&mut self, end: usize) -> Result<Step, FramingError> {
        match self.st {
            St::Prolog => self.prolog(end),
            St::StreamLevel => self.stream_level(end),
            St::Closed => self.closed(end),
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
}
