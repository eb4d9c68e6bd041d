//! Element trees in one pass over the bytes (XML 1.0 §3.1 tags, §2.4
//! character data, §2.7 CDATA sections, §4.1 references), with no
//! tokenizer in between: `<` is found with `memchr`, a name runs up to
//! white space, `/`, `=` or `>`, a value up to its closing quote, and text
//! without `&` or CR is copied as it is.
//!
//! Two modes:
//!
//! - trusted, for a frame of xmpp-stream: the framer accepted these bytes
//!   already (UTF-8, XML `Char`s, name syntax, references, RFC 6120 §11's
//!   restrictions, matching end tags, attributes unique by qualified name,
//!   its limits), so only the boundaries are found and namespaces
//!   resolved;
//! - strict, for standalone bytes: the same pass also does every check the
//!   framer would, on the pieces it finds anyway: names against the NCName
//!   table, values and text for `Char`s and references, `]]>`, matching end
//!   tags, white space between attributes, and the [`Limits`].
//!
//! Either way, anything unexpected is an error, never a panic and never a
//! guess. quick-xml (the `Parser` of `parse.rs`) is the reference both
//! modes are held to by the differential tests and the `stanza_parse` fuzz
//! target.

use alloc::string::String;
use alloc::vec::Vec;

use compact_str::CompactString;
use xmpp_stream::{Limit, Limits, Namespaces, Restricted, decode_reference};

use super::{
    F_AMP, F_CONTROL, attribute_value_with, byte_flags, check_chars, check_name, check_value_with,
    has_cdata_end, is_ncname, is_reserved_binding, is_xml_char, namespace_value, split_qname,
};
use crate::atom::Atom;
use crate::element::{Attribute, Children, Element, Node, XML_NS};
use crate::error::ParseError;

/// Initial capacities of the scratch buffers: a typical stanza is a few
/// levels deep with a dozen children and a handful of attributes.
const SCRATCH_DEPTH: usize = 8;
const SCRATCH_NODES: usize = 16;
const SCRATCH_ATTRIBUTES: usize = 8;

/// An element whose end tag is still to come. The element itself waits in
/// `Builder::nodes`, at `index`, so that it is moved once, not through
/// this stack.
struct Open<'i> {
    /// Its name as written, to match the end tag against.
    qname: &'i str,
    /// The default namespace in its scope.
    default: Atom,
    /// Length of `Builder::prefixes` before its own declarations.
    prefixes_before: usize,
    /// Namespace declarations in scope, its own included (strict mode
    /// limits them).
    decls: usize,
    /// Index of the element in `Builder::nodes`; its children follow it.
    index: usize,
}

/// Builds the tree of `input`, a framed element, whose unprefixed names
/// and prefixes not declared inside it resolve against `inherited`.
pub(super) fn trusted(
    input: &str,
    inherited: &Namespaces,
    scratch: &mut Scratch,
) -> Result<Element, ParseError> {
    let mut builder = Builder::new(input, Some(inherited), None, scratch);
    let tree = builder.run();
    builder.give_back(scratch);
    tree
}

/// [`trusted`] with fresh buffers, dropped with the builder: a one-off
/// tree need not pay for returning them.
pub(super) fn trusted_once(input: &str, inherited: &Namespaces) -> Result<Element, ParseError> {
    Builder::new(input, Some(inherited), None, &mut Scratch::default()).run()
}

/// Builds the tree of `input`, standalone bytes, checking everything under
/// `limits` (the caller checked the total size and UTF-8).
pub(super) fn strict(
    input: &str,
    limits: &Limits,
    scratch: &mut Scratch,
) -> Result<Element, ParseError> {
    let mut builder = Builder::new(input, None, Some(limits), scratch);
    let tree = builder.run();
    builder.give_back(scratch);
    tree
}

/// [`strict`] with fresh buffers, dropped with the builder.
pub(super) fn strict_once(input: &str, limits: &Limits) -> Result<Element, ParseError> {
    Builder::new(input, None, Some(limits), &mut Scratch::default()).run()
}

/// The builder's buffers between two trees, empty, kept for their
/// allocations: the slices the buffers hold borrow one input, so they are
/// kept here with the `'static` lifetime and no element, and converted
/// without reallocating (see [`recycle`]).
#[derive(Default)]
pub(super) struct Scratch {
    prefixes: Vec<(&'static str, Atom)>,
    stack: Vec<Open<'static>>,
    nodes: Vec<Node>,
    text: String,
    pending: Vec<(&'static str, &'static str, u8)>,
}

#[cfg(test)]
impl Scratch {
    /// The heap its buffers hold.
    pub(super) fn heap_bytes(&self) -> usize {
        fn bytes<T>(v: &Vec<T>) -> usize {
            v.capacity() * size_of::<T>()
        }
        bytes(&self.prefixes)
            + bytes(&self.stack)
            + bytes(&self.nodes)
            + self.text.capacity()
            + bytes(&self.pending)
    }
}

/// Up to this many attributes, each is compared with those before it;
/// above, they are sorted once ([`first_repeat`]).
const PAIRWISE_ATTRIBUTES: usize = 16;

/// The index of the first attribute whose expanded name (namespace and
/// local name) an earlier one has, found by sorting, in `O(n log n)`.
fn first_repeat(attrs: &[Attribute]) -> Option<usize> {
    let key = |i: usize| attrs.get(i).map(|a| (&*a.ns, &*a.name));
    let mut order: Vec<usize> = (0..attrs.len()).collect();
    order.sort_unstable_by(|&i, &j| key(i).cmp(&key(j)).then(i.cmp(&j)));
    order
        .windows(2)
        .filter_map(|w| match *w {
            // Equal keys sort in document order: `j` is the repeat.
            [i, j] if key(i) == key(j) => Some(j),
            _ => None,
        })
        .min()
}

/// `v` as it is (emptied by `give_back`), or, when it never allocated (a
/// fresh scratch), a vector of `capacity` allocated at once (`reserve` on
/// an empty vector takes the slower growth path).
fn reserved<T>(v: Vec<T>, capacity: usize) -> Vec<T> {
    if v.capacity() == 0 {
        Vec::with_capacity(capacity)
    } else {
        v
    }
}

/// The most bytes each scratch buffer keeps between two trees. A framed
/// element can be as large as the framer's limit (256 KiB by default), and
/// a flat one of that size, `<a/>` after `<a/>`, grows the node buffer to
/// some 18 times that; kept for the life of a stream, that would let every
/// peer pin megabytes with one element. 8 KiB holds the buffers of a
/// roster result with 90 items, or of any usual stanza, so a stream of
/// those still allocates nothing but its trees.
pub(super) const SCRATCH_KEEP_BYTES: usize = 8 * 1024;

/// `v` (empty), its capacity cut to [`SCRATCH_KEEP_BYTES`].
fn bounded<T>(mut v: Vec<T>) -> Vec<T> {
    let size = size_of::<T>().max(1);
    if v.capacity() * size > SCRATCH_KEEP_BYTES {
        v.shrink_to(SCRATCH_KEEP_BYTES / size);
    }
    v
}

/// `v` emptied and retyped, in its own allocation: the standard library's
/// `collect` from a vector's `IntoIter` reuses the buffer when the two
/// element types have the same layout, as they do here (they differ only
/// in lifetimes). Were it ever not to, this would allocate, not misbehave.
pub(super) fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    if v.capacity() == 0 {
        // Nothing to keep (the prefixes, which XMPP rarely declares).
        return Vec::new();
    }
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

struct Builder<'i, 'n> {
    input: &'i str,
    /// Byte offset of the next unread byte; always a char boundary, since
    /// it only ever stops at ASCII bytes or the end.
    pos: usize,
    inherited: Option<&'n Namespaces>,
    /// `Some` in strict mode: the checks are made, under these limits.
    limits: Option<&'n Limits>,
    /// Prefix declarations in scope, innermost last.
    prefixes: Vec<(&'i str, Atom)>,
    stack: Vec<Open<'i>>,
    /// Every open element, each followed by its finished children, in
    /// document order; an element takes its own into a vector of their
    /// exact number when it ends.
    nodes: Vec<Node>,
    /// The text run since the last tag is either this slice of the input
    /// (one piece that needed no decoding: the usual case, copied once
    /// when the run ends) or, once it needed decoding or a second piece,
    /// `text`; never both.
    borrowed: &'i str,
    text: String,
    /// The non-declaration attributes of the start tag being read, as
    /// written, with the `byte_flags` of their values; kept to reuse its
    /// allocation.
    pending: Vec<(&'i str, &'i str, u8)>,
}

/// XML 1.0 §2.3 `S`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Each byte of a word set to 1.
const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of `x` below `n` (`n <= 128`). Exact for the
/// lowest such byte; a byte above one may be flagged wrongly (a borrow),
/// which the callers, who only want the first, cannot see.
fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & (ONES << 7)
}

/// The eight bytes of `word` (eight long), the first lowest.
fn word_at(word: &[u8]) -> u64 {
    u64::from_le_bytes(word.try_into().unwrap_or_default())
}

/// Trusted mode: the length of the attribute value at the start of
/// `after` (up to its closing `quote`, `'` or `"`) and whether it holds a
/// byte that unescaping changes (`&` or a control byte: TAB, LF and CR are
/// normalized). Eight bytes at a time, stopping at the first quote, `&` or
/// control byte (both quotes differ from `&` in one bit, so one test finds
/// either); values are short, and a `memchr` for the quote plus a second
/// pass for the other bytes cost more.
fn framed_value_len(after: &[u8], quote: u8) -> Option<(usize, bool)> {
    let fold = quote ^ b'&';
    let folds = ONES * u64::from(fold);
    let stops = ONES * u64::from(quote | fold);
    let mut i = 0;
    while let Some(word) = after.get(i..i + 8) {
        let w = word_at(word);
        let stop = below((w | folds) ^ stops, 1) | below(w, 0x20);
        if stop != 0 {
            return value_end(after, i + (stop.trailing_zeros() / 8) as usize, quote);
        }
        i += 8;
    }
    let tail = after.get(i..).unwrap_or_default();
    let j = tail
        .iter()
        .position(|&b| b == quote || b == b'&' || b < 0x20)?;
    value_end(after, i + j, quote)
}

/// [`framed_value_len`] from the first byte at `at` that is the quote or
/// one to unescape.
fn value_end(after: &[u8], at: usize, quote: u8) -> Option<(usize, bool)> {
    if after.get(at) == Some(&quote) {
        return Some((at, false));
    }
    // Something to unescape comes first (rare): the quote is further on.
    let rest = after.get(at..).unwrap_or_default();
    memchr::memchr(quote, rest).map(|j| (at + j, true))
}

/// Whether `b` ends a name: white space, `=`, `/`, `>` or `<`.
fn ends_name(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'=' | b'/' | b'>' | b'<')
}

fn all_space(s: &str) -> bool {
    s.bytes().all(is_space)
}

impl<'i, 'n> Builder<'i, 'n> {
    fn new(
        input: &'i str,
        inherited: Option<&'n Namespaces>,
        limits: Option<&'n Limits>,
        scratch: &mut Scratch,
    ) -> Self {
        // The scratch's `'static` slices shorten to `'i` as they are
        // (vectors are covariant): only `give_back` has to retype.
        let stack = reserved(core::mem::take(&mut scratch.stack), SCRATCH_DEPTH);
        let nodes = reserved(core::mem::take(&mut scratch.nodes), SCRATCH_NODES);
        let pending = reserved(core::mem::take(&mut scratch.pending), SCRATCH_ATTRIBUTES);
        let mut text = core::mem::take(&mut scratch.text);
        text.clear();
        Self {
            input,
            pos: 0,
            inherited,
            limits,
            prefixes: core::mem::take(&mut scratch.prefixes),
            stack,
            nodes,
            borrowed: "",
            text,
            pending,
        }
    }

    /// Returns the buffers, emptied, to `scratch` for the next tree.
    /// Buffers grown past [`SCRATCH_KEEP_BYTES`] by an unusual tree
    /// shrink back to it.
    fn give_back(self, scratch: &mut Scratch) {
        scratch.prefixes = bounded(recycle(self.prefixes));
        scratch.stack = bounded(recycle(self.stack));
        let mut nodes = self.nodes;
        nodes.clear();
        scratch.nodes = bounded(nodes);
        let mut text = self.text;
        text.clear();
        text.shrink_to(SCRATCH_KEEP_BYTES);
        scratch.text = text;
        scratch.pending = bounded(recycle(self.pending));
    }

    fn offset(&self) -> u64 {
        self.pos as u64
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.input.as_bytes().get(at).copied()
    }

    /// The input from `from` to `to`; an error if that is not a slice of
    /// it on char boundaries (which the scanning never produces).
    fn slice(&self, from: usize, to: usize) -> Result<&'i str, ParseError> {
        let input: &'i str = self.input;
        input.get(from..to).ok_or(ParseError::InvalidUtf8 {
            offset: from as u64,
        })
    }

    fn unexpected(&self, detail: &str) -> ParseError {
        ParseError::Xml {
            offset: self.offset(),
            detail: detail.into(),
        }
    }

    fn truncated(&self) -> ParseError {
        ParseError::Truncated {
            offset: self.input.len() as u64,
        }
    }

    fn run(&mut self) -> Result<Element, ParseError> {
        let bytes = self.input.as_bytes();
        if self.limits.is_some() {
            self.declaration()?;
        }
        // Whether the root has ended; it is then the one node left in
        // `nodes` (kept there rather than returned by every tag, which
        // made each start and end tag return an element-sized value).
        let mut done = false;
        while self.pos < bytes.len() {
            let rest = bytes.get(self.pos..).unwrap_or_default();
            if rest.first() != Some(&b'<') {
                // One scan finds the end of a plain run; a run with
                // something to decode is scanned on for its end.
                let (end, special) = match memchr::memchr3(b'<', b'&', b'\r', rest) {
                    Some(i) if rest.get(i) == Some(&b'<') => (i, None),
                    Some(i) => (
                        memchr::memchr(b'<', rest.get(i..).unwrap_or_default())
                            .map_or(rest.len(), |j| i + j),
                        Some(i),
                    ),
                    None => (rest.len(), None),
                };
                let raw = self.slice(self.pos, self.pos + end)?;
                self.text_piece(raw, special)?;
                self.pos += end;
                continue;
            }
            // After the root only `Misc` may follow (XML 1.0 §2.1): a
            // comment or processing instruction is well formed there, and
            // refused below as RFC 6120 §11.1 restricts it; any tag or
            // CDATA section is content after the end.
            let misc =
                matches!(rest.get(1), Some(b'?')) || rest.get(1..4) == Some(b"!--".as_slice());
            if done && !misc {
                return Err(ParseError::TrailingContent {
                    offset: self.offset(),
                });
            }
            match rest.get(1) {
                Some(b'/') => {
                    self.flush_text();
                    self.end()?;
                    done = self.stack.is_empty();
                }
                Some(b'!') => self.cdata(rest)?,
                Some(b'?') => {
                    return Err(ParseError::Restricted {
                        offset: self.offset(),
                        construct: Restricted::ProcessingInstruction,
                    });
                }
                _ => {
                    self.flush_text();
                    self.start()?;
                    done = self.stack.is_empty();
                }
            }
        }
        if !self.stack.is_empty() {
            return Err(self.truncated());
        }
        if !done {
            return Err(ParseError::NoElement);
        }
        match self.nodes.pop() {
            Some(Node::Element(root)) if self.nodes.is_empty() => Ok(root),
            _ => Err(self.unexpected("lost the root element")),
        }
    }

    /// Strict mode: skips an XML declaration at the very start (XML 1.0
    /// §2.8; its content is not interpreted: UTF-8 is all there is).
    fn declaration(&mut self) -> Result<(), ParseError> {
        let Some(after) = self.input.strip_prefix("<?xml") else {
            return Ok(());
        };
        if !(after.starts_with("?>") || after.bytes().next().is_some_and(is_space)) {
            // `<?xml-stylesheet …?>` and the like: a processing instruction.
            return Ok(());
        }
        let Some(end) = after.find("?>") else {
            return Err(self.truncated());
        };
        self.pos = "<?xml".len() + end + 2;
        Ok(())
    }

    /// An end tag at `pos`; the element it ends stays in `nodes`, in its
    /// parent's children or, for the root, alone.
    fn end(&mut self) -> Result<(), ParseError> {
        let offset = self.offset();
        let Some(open) = self.stack.pop() else {
            return Err(ParseError::TrailingContent { offset });
        };
        // `</` Name S? `>`, the name the start tag's (which was checked, or
        // framed: equal to it is all this one needs, and knowing its length
        // costs less than searching for the `>`). The framer matched a
        // frame's end tags already, so only strict mode compares them.
        let from = self.pos + 2;
        let to = from + open.qname.len();
        if self.limits.is_some()
            && self.input.as_bytes().get(from..to) != Some(open.qname.as_bytes())
        {
            return Err(ParseError::Xml {
                offset,
                detail: alloc::format!("expected '</{}>'", open.qname),
            });
        }
        self.pos = to;
        self.skip_space();
        if self.byte(self.pos) != Some(b'>') {
            return Err(ParseError::Xml {
                offset,
                detail: alloc::format!("expected '</{}>'", open.qname),
            });
        }
        self.pos += 1;
        // Most elements declare no prefix: `truncate` would still call
        // out to drop an empty tail.
        if self.prefixes.len() > open.prefixes_before {
            self.prefixes.truncate(open.prefixes_before);
        }
        // A lone text run is kept as it is; other children move into a
        // vector of their exact number.
        let children = match self.nodes.get(open.index + 1..) {
            Some([Node::Text(_)]) => match self.nodes.pop() {
                Some(Node::Text(t)) => Children::Text(t),
                _ => return Err(self.unexpected("lost a text run")),
            },
            // A lone element (a roster item's group, an iq's payload)
            // moves as one value: `split_off`'s copy is a `memcpy` call of
            // a length the branch predictor has to guess.
            Some([Node::Element(_)]) => match self.nodes.pop() {
                Some(node) => Children::Nodes(alloc::vec![node]),
                None => return Err(self.unexpected("lost a child element")),
            },
            // `split_off` (never at 0 here, where it would take the
            // scratch buffer itself) allocates the exact number and moves
            // them in one copy.
            _ => Children::Nodes(self.nodes.split_off(open.index + 1)),
        };
        match self.nodes.get_mut(open.index) {
            // Its children were the empty `Children::default()` of
            // `start` until now, with nothing to free: forgetting them
            // saves an out-of-line drop call per element.
            Some(Node::Element(e)) => {
                core::mem::forget(core::mem::replace(&mut e.children, children));
            }
            _ => return Err(self.unexpected("lost an open element")),
        }
        Ok(())
    }

    /// A CDATA section at `pos` (`rest` starts with `<!`); comments and
    /// DOCTYPEs, which RFC 6120 §11.1 forbids, are refused.
    fn cdata(&mut self, rest: &[u8]) -> Result<(), ParseError> {
        const OPEN: &str = "<![CDATA[";
        if !rest.starts_with(OPEN.as_bytes()) {
            // A complete comment or DOCTYPE is restricted XML; anything
            // else, or one without its end, is not well formed.
            let after = rest.get(2..).unwrap_or_default();
            let construct = if after.starts_with(b"--") {
                memchr::memmem::find(after.get(2..).unwrap_or_default(), b"-->")
                    .map(|_| Restricted::Comment)
            } else if after
                .get(..7)
                .is_some_and(|d| d.eq_ignore_ascii_case(b"DOCTYPE"))
            {
                memchr::memchr(b'>', after).map(|_| Restricted::Doctype)
            } else {
                None
            };
            let offset = self.offset();
            return Err(match construct {
                Some(construct) => ParseError::Restricted { offset, construct },
                None => ParseError::Xml {
                    offset,
                    detail: "unknown or unclosed markup after '<!'".into(),
                },
            });
        }
        let from = self.pos + OPEN.len();
        let tail = self.slice(from, self.input.len())?;
        let Some(len) = tail.find("]]>") else {
            return Err(self.truncated());
        };
        let raw = self.slice(from, from + len)?;
        if self.limits.is_some() {
            check_chars(raw, from as u64)?;
        }
        if self.stack.is_empty() {
            // Never `Misc` (XML 1.0 §2.1), not even a blank one.
            return Err(ParseError::TrailingContent {
                offset: self.offset(),
            });
        }
        if raw.as_bytes().contains(&b'\r') {
            self.own_text(raw.len());
            push_normalized(&mut self.text, raw);
        } else {
            self.push_plain(raw);
        }
        self.pos = from + len + 3;
        Ok(())
    }

    /// Character data up to the next tag: references expanded, line ends
    /// normalized (XML 1.0 §2.11), copied as is when it has neither
    /// (`special`: the index of its first `&` or CR, if any).
    fn text_piece(&mut self, raw: &'i str, special: Option<usize>) -> Result<(), ParseError> {
        let offset = self.offset();
        if self.limits.is_some() {
            check_chars(raw, offset)?;
            if has_cdata_end(raw) {
                return Err(ParseError::Xml {
                    offset,
                    detail: "']]>' in character data".into(),
                });
            }
        }
        if self.stack.is_empty() {
            // Outside the root only white space, and only standalone.
            if self.limits.is_some() && all_space(raw) {
                return Ok(());
            }
            return Err(ParseError::TrailingContent { offset });
        }
        let Some(mut i) = special else {
            self.push_plain(raw);
            return Ok(());
        };
        self.own_text(raw.len());
        let mut rest = raw;
        loop {
            // `i` indexes an ASCII byte or the end: a char boundary.
            self.text.push_str(rest.get(..i).unwrap_or_default());
            let tail = rest.get(i..).unwrap_or_default();
            let at = offset + (raw.len() - tail.len()) as u64;
            let take = match tail.as_bytes().first() {
                None => break,
                Some(b'&') => {
                    let c = self.reference(tail, at)?;
                    self.text.push(c.0);
                    c.1
                }
                Some(_) => {
                    self.text.push('\n');
                    if tail.as_bytes().get(1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    }
                }
            };
            rest = tail.get(take..).unwrap_or_default();
            i = memchr::memchr2(b'&', b'\r', rest.as_bytes()).unwrap_or(rest.len());
        }
        Ok(())
    }

    /// The reference at the start of `tail` (RFC 6120 §11.1: only the
    /// predefined entities and character references) and its length.
    fn reference(&self, tail: &str, offset: u64) -> Result<(char, usize), ParseError> {
        match decode_reference(tail) {
            Some((c, _)) if self.limits.is_some() && !is_xml_char(c) => {
                Err(ParseError::InvalidChar {
                    offset,
                    code_point: u32::from(c),
                })
            }
            Some(found) => Ok(found),
            None => {
                // `&name;` with a name other than the five is a
                // reference to an entity the stream cannot declare.
                let body = tail
                    .get(1..)
                    .and_then(|t| t.split_once(';'))
                    .map(|(b, _)| b);
                match body {
                    Some(name) if is_ncname(name) => Err(ParseError::Restricted {
                        offset,
                        construct: Restricted::EntityReference,
                    }),
                    _ => Err(ParseError::InvalidReference { offset }),
                }
            }
        }
    }

    /// Adds a piece that needs no decoding to the current run.
    fn push_plain(&mut self, piece: &'i str) {
        if self.borrowed.is_empty() && self.text.is_empty() {
            self.borrowed = piece;
        } else {
            self.own_text(piece.len());
            self.text.push_str(piece);
        }
    }

    /// Moves a borrowed run into `text`, to be extended by up to `more`
    /// bytes (decoding never makes a piece longer).
    fn own_text(&mut self, more: usize) {
        self.text.reserve(self.borrowed.len() + more);
        if !self.borrowed.is_empty() {
            self.text.push_str(self.borrowed);
            self.borrowed = "";
        }
    }

    /// Ends the current text run: it becomes a child of the innermost open
    /// element, allocated once at its final size. Inline for the usual
    /// case, no run at all (two tags in a row), which needs no call.
    #[inline(always)]
    fn flush_text(&mut self) {
        if !(self.borrowed.is_empty() && self.text.is_empty()) {
            self.push_text_run();
        }
    }

    /// [`flush_text`](Self::flush_text) when there is a run.
    #[inline(never)]
    fn push_text_run(&mut self) {
        if !self.borrowed.is_empty() {
            self.nodes
                .push(Node::Text(CompactString::from(self.borrowed)));
            self.borrowed = "";
        } else if !self.text.is_empty() {
            self.nodes
                .push(Node::Text(CompactString::from(self.text.as_str())));
            self.text.clear();
        }
    }

    fn resolve(&self, prefix: &str, offset: u64) -> Result<Atom, ParseError> {
        if let Some((_, ns)) = self.prefixes.iter().rev().find(|(p, _)| **p == *prefix) {
            return Ok(ns.clone());
        }
        if prefix == "xml" {
            return Ok(Atom::Static(&XML_NS));
        }
        match self.inherited.and_then(|n| n.resolve(prefix)) {
            Some(ns) => Ok(Atom::new(ns)),
            None => Err(ParseError::UndeclaredPrefix {
                offset,
                prefix: prefix.into(),
            }),
        }
    }

    /// Skips white space from `pos`; whether there was any.
    fn skip_space(&mut self) -> bool {
        let from = self.pos;
        while self.byte(self.pos).is_some_and(is_space) {
            self.pos += 1;
        }
        self.pos > from
    }

    /// Reads a name from `pos` up to white space, `=`, `/`, `>` or `<`
    /// (and, in strict mode, checks it). Always inline: called for every
    /// name, its call and wide `Result` cost about as much as its scan.
    #[inline(always)]
    fn name(&mut self) -> Result<&'i str, ParseError> {
        let from = self.pos;
        let name = self.scan_name();
        if name.is_empty() {
            return Err(self.unexpected("expected a name"));
        }
        if let Some(limits) = self.limits {
            check_name(name, from as u64, limits)?;
        }
        Ok(name)
    }

    /// Reads a name as [`name`](Self::name) does, without checking it;
    /// empty when there is none. Narrow and inline: the error is the
    /// caller's, so the scan returns a slice in registers.
    #[inline(always)]
    fn scan_name(&mut self) -> &'i str {
        let input: &'i str = self.input;
        let from = self.pos;
        let rest = input.as_bytes().get(from..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| ends_name(b))
            .unwrap_or(rest.len());
        self.pos = from + len;
        // It stopped at an ASCII byte or the end: a char boundary.
        input.get(from..from + len).unwrap_or_default()
    }

    /// Strict mode: refuses what one more of `what` would exceed.
    fn limit(&self, count: usize, limit: Limit, offset: u64) -> Result<(), ParseError> {
        let Some(limits) = self.limits else {
            return Ok(());
        };
        let max = match limit {
            Limit::Depth => limits.max_depth,
            Limit::Attributes => limits.max_attributes,
            Limit::NamespaceDeclarations => limits.max_namespace_declarations,
            _ => usize::MAX,
        };
        if count > max {
            return Err(ParseError::LimitExceeded { offset, limit, max });
        }
        Ok(())
    }

    /// A start tag at `pos`: builds the element and puts it in `nodes`,
    /// open or, when empty, finished.
    fn start(&mut self) -> Result<(), ParseError> {
        let offset = self.offset();
        self.limit(self.stack.len() + 1, Limit::Depth, offset)?;
        self.pos += 1;
        let qname = self.name()?;
        let (mut default, mut decls) = match self.stack.last() {
            Some(open) => (open.default.clone(), open.decls),
            None => (
                self.inherited
                    .and_then(Namespaces::default_namespace)
                    .map(Atom::new)
                    .unwrap_or_default(),
                0,
            ),
        };
        let prefixes_before = self.prefixes.len();
        let mut default_declared = false;
        let mut count = 0usize;
        let mut pending = core::mem::take(&mut self.pending);
        pending.clear();
        // Attributes up to `>` or `/>`; declarations apply at once (they
        // scope the element's own name and attributes whatever their
        // order), the others wait in `pending`.
        let empty = loop {
            let spaced = self.skip_space();
            match self.byte(self.pos) {
                Some(b'>') => {
                    self.pos += 1;
                    break false;
                }
                Some(b'/') if self.byte(self.pos + 1) == Some(b'>') => {
                    self.pos += 2;
                    break true;
                }
                None => return Err(self.truncated()),
                Some(_) if !spaced && self.limits.is_some() => {
                    return Err(self.unexpected("expected white space before an attribute"));
                }
                Some(_) => {}
            }
            count += 1;
            self.limit(count, Limit::Attributes, offset)?;
            let key = self.name()?;
            self.skip_space();
            if self.byte(self.pos) != Some(b'=') {
                return Err(self.unexpected("expected '=' after an attribute name"));
            }
            self.pos += 1;
            self.skip_space();
            let Some(quote @ (b'\'' | b'"')) = self.byte(self.pos) else {
                return Err(self.unexpected("expected a quoted attribute value"));
            };
            let from = self.pos + 1;
            let after = self.input.as_bytes().get(from..).unwrap_or_default();
            let (raw, flags) = if self.limits.is_some() {
                let Some(len) = memchr::memchr(quote, after) else {
                    return Err(self.truncated());
                };
                let raw = self.slice(from, from + len)?;
                // One pass over the value serves the check and the
                // unescaping.
                let flags = byte_flags(raw);
                check_value_with(raw, flags, from as u64)?;
                (raw, flags)
            } else {
                let Some((len, special)) = framed_value_len(after, quote) else {
                    return Err(self.truncated());
                };
                let flags = if special { F_AMP | F_CONTROL } else { 0 };
                (self.slice(from, from + len)?, flags)
            };
            self.pos = from + raw.len() + 1;
            let declared = if key == "xmlns" {
                if core::mem::replace(&mut default_declared, true) {
                    return Err(ParseError::DuplicateAttribute {
                        offset,
                        name: key.into(),
                    });
                }
                None
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                Some(p)
            } else {
                pending.push((key, raw, flags));
                continue;
            };
            decls += 1;
            self.limit(decls, Limit::NamespaceDeclarations, offset)?;
            // The scan of the value said already whether it has anything
            // to unescape.
            let value = if flags & (F_CONTROL | F_AMP) == 0 {
                alloc::borrow::Cow::Borrowed(raw)
            } else {
                namespace_value(raw)
            };
            match declared {
                None => default = Atom::new(&value),
                Some(prefix) => {
                    if is_reserved_binding(prefix, &value) {
                        return Err(ParseError::ReservedPrefix {
                            offset,
                            prefix: prefix.into(),
                        });
                    }
                    if self
                        .prefixes
                        .get(prefixes_before..)
                        .is_some_and(|own| own.iter().any(|(p, _)| **p == *prefix))
                    {
                        return Err(ParseError::DuplicateAttribute {
                            offset,
                            name: key.into(),
                        });
                    }
                    self.prefixes.push((prefix, Atom::new(&value)));
                }
            }
        };
        let (prefix, local) = split_qname(qname);
        let ns = match prefix {
            Some("xmlns") => {
                return Err(ParseError::ReservedPrefix {
                    offset,
                    prefix: "xmlns".into(),
                });
            }
            Some(p) => self.resolve(p, offset)?,
            None => default.clone(),
        };
        // `with_capacity(0)` is an out-of-line call that allocates nothing.
        let mut attrs: Vec<Attribute> = if pending.is_empty() {
            Vec::new()
        } else {
            Vec::with_capacity(pending.len())
        };
        let trusted = self.limits.is_none();
        for &(key, raw, flags) in &pending {
            let (p, name) = split_qname(key);
            let ns = match p {
                None => Atom::default(),
                Some(p) => match self.resolve(p, offset) {
                    Ok(ns) => ns,
                    // A repeat before this attribute is the first error in
                    // document order; long lists are checked for repeats
                    // only after this loop, so look now (an error path).
                    Err(e) => match first_repeat(&attrs) {
                        Some(j) => {
                            return Err(ParseError::DuplicateAttribute {
                                offset,
                                name: pending.get(j).map_or("", |p| p.0).into(),
                            });
                        }
                        None => return Err(e),
                    },
                },
            };
            // Framed attributes are unique by qualified name, so two can
            // share an expanded name only through two prefixes bound to
            // one namespace: an unprefixed one (no namespace, as no prefix
            // can be bound to none) clashes with nothing.
            // Long lists are checked once, sorted, below: pairwise they
            // would cost time quadratic in the attribute limit.
            let checked = (!trusted || p.is_some()) && pending.len() <= PAIRWISE_ATTRIBUTES;
            if checked && attrs.iter().any(|a| *a.name == *name && a.ns == ns) {
                return Err(ParseError::DuplicateAttribute {
                    offset,
                    name: key.into(),
                });
            }
            attrs.push(Attribute {
                name: Atom::new(name),
                ns,
                // Inline for values with nothing to unescape (nearly
                // all): the call cost about a third of the copy.
                value: if flags & (F_CONTROL | F_AMP) == 0 {
                    CompactString::from(raw)
                } else {
                    attribute_value_with(raw, flags)
                },
            });
        }
        if pending.len() > PAIRWISE_ATTRIBUTES {
            if let Some(j) = first_repeat(&attrs) {
                return Err(ParseError::DuplicateAttribute {
                    offset,
                    name: pending.get(j).map_or("", |p| p.0).into(),
                });
            }
        }
        self.pending = pending;
        let element = Element {
            name: Atom::new(local),
            ns,
            attrs,
            children: Children::default(),
        };
        if empty {
            if self.prefixes.len() > prefixes_before {
                self.prefixes.truncate(prefixes_before);
            }
            self.nodes.push(Node::Element(element));
            return Ok(());
        }
        self.stack.push(Open {
            qname,
            default,
            prefixes_before,
            decls,
            index: self.nodes.len(),
        });
        self.nodes.push(Node::Element(element));
        Ok(())
    }
}

/// XML 1.0 §2.11: CR LF and lone CR become LF.
fn push_normalized(out: &mut String, raw: &str) {
    let mut rest = raw;
    while let Some(i) = memchr::memchr(b'\r', rest.as_bytes()) {
        out.push_str(rest.get(..i).unwrap_or_default());
        out.push('\n');
        let skip = if rest.as_bytes().get(i + 1) == Some(&b'\n') {
            2
        } else {
            1
        };
        rest = rest.get(i + skip..).unwrap_or_default();
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `framed_value_len` the obvious way.
    fn naive(after: &[u8], quote: u8) -> Option<(usize, bool)> {
        let len = after.iter().position(|&b| b == quote)?;
        let special = after[..len].iter().any(|&b| b == b'&' || b < 0x20);
        Some((len, special))
    }

    #[test]
    fn framed_values_end_at_their_quote_wherever_it_falls_in_a_word() {
        let fill = [b'a', 0xC3, 0xA9, b'"', b'\'', b'%', b'\x7f', 0xFF];
        let marks = [b'&', b'\t', b'\n', b'\r', b'\x1f', b' ', b'!', b'\'', b'"'];
        for quote in [b'\'', b'"'] {
            for len in 0..40 {
                for &f in &fill {
                    let base: Vec<u8> = (0..len + 20)
                        .map(|i| if i < len && f == quote { b'a' } else { f })
                        .collect();
                    for at in 0..len + 20 {
                        for &m in &marks {
                            let mut v = base.clone();
                            v[at] = m;
                            if len < v.len() {
                                v[len] = quote;
                            }
                            for end in [len, len + 1, len + 9, v.len()] {
                                let s = &v[..end.min(v.len())];
                                assert_eq!(
                                    framed_value_len(s, quote),
                                    naive(s, quote),
                                    "{s:?} {quote}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
