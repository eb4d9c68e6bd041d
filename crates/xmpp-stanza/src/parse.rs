//! Building element trees, under the same [`Limits`] as the framer and
//! RFC 6120 §11's restricted XML, from standalone bytes or from a framed
//! element of xmpp-stream (its bytes plus the namespace declarations it
//! inherits from the stream header).
//!
//! Both are built in one pass over the bytes (`parse/onepass.rs`) that
//! finds the tags, expands references and builds the tree at once, with no
//! general tokenizer in between: running quick-xml over bytes the framer
//! had already validated cost about three times the framing itself, and
//! half of a standalone parse went to checks of pieces quick-xml had
//! already found. Bytes from a [`Framer`](xmpp_stream::Framer) were
//! checked character by character, so that pass trusts them; standalone
//! bytes get every check in the same pass: XML `Char`s, name syntax,
//! references, matching end tags, duplicate attributes by expanded name,
//! prefixes, and the limits.
//!
//! quick-xml, under rules written again on their own (`parse/reference.rs`,
//! sharing no checking code with the single pass), is kept as the
//! reference the single pass is held to: `Element::from_bytes_via_quick_xml`
//! and `Element::from_frame_via_quick_xml` (hidden), differential tests over
//! every vector and generated, respelled and broken elements (the same tree,
//! or errors of the same condition), and the `stanza_parse` fuzz target.

use alloc::borrow::Cow;
use core::str::FromStr;

use compact_str::CompactString;
use xmpp_stream::{Limit, Limits, Restricted, unescape_attribute};

use crate::element::{Element, XML_NS};
use crate::error::ParseError;

/// The namespace reserved for `xmlns` declarations themselves.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

impl Element {
    /// Parses a top-level element framed by xmpp-stream, resolving its
    /// prefixes and default namespace against the declarations of the
    /// stream header it came with.
    ///
    /// The framer enforced its own [`Limits`] and well-formedness already,
    /// so no limit is applied again here (a framer configured for deeper
    /// elements than the default gives trees that deep); an error here
    /// means an internal disagreement and is reported, never a panic.
    ///
    /// The bytes are read in one trusted pass, without a general XML
    /// tokenizer (see the module docs). Not checked again on this path:
    /// UTF-8 (the frame is a `str`), XML `Char`s, name syntax, reference
    /// syntax and the predefined-entity rule, `]]>` in text, matching end
    /// tags, duplicate attributes by qualified name, and every limit. Still
    /// checked, because building the tree needs the work anyway or because
    /// it costs nothing: namespace resolution (an undeclared or reserved
    /// prefix is an error, as it must be to give a namespace at all),
    /// attributes unique by expanded name (two prefixes bound to one
    /// namespace: the tree could not hold both), and the structure the pass
    /// relies on (comments, processing instructions, a DOCTYPE, unbalanced
    /// tags, content after the root), which the framer never lets through.
    ///
    /// A loop over many frames can use a [`TreeBuilder`] instead, which
    /// keeps the scratch buffers from one tree to the next.
    pub fn from_frame(frame: &xmpp_stream::Frame) -> Result<Self, ParseError> {
        onepass::trusted_once(frame.xml(), frame.namespaces())
    }

    /// [`from_frame`](Self::from_frame) through quick-xml instead of the
    /// single trusted pass: the same tree, more slowly. It is the reference
    /// the differential tests and the `stanza_parse` fuzz target hold the
    /// trusted pass to; there is no other reason to call it.
    #[doc(hidden)]
    pub fn from_frame_via_quick_xml(frame: &xmpp_stream::Frame) -> Result<Self, ParseError> {
        let unbounded = Limits::default()
            .with_max_element_bytes(usize::MAX)
            .with_max_depth(usize::MAX)
            .with_max_attributes(usize::MAX)
            .with_max_name_bytes(usize::MAX)
            .with_max_namespace_declarations(usize::MAX);
        reference::parse(frame.xml(), unbounded, false, Some(frame.namespaces()))
    }

    /// Parses one element from standalone bytes (surrounding white space, an
    /// XML declaration and a leading byte order mark allowed) under the default [`Limits`], checking
    /// everything the framer would (XML 1.0 well-formedness, RFC 6120 §11
    /// restricted XML, namespaces) in the same pass that builds the tree.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        Self::from_bytes_with_limits(bytes, &Limits::default())
    }

    /// Parses one element from standalone bytes under `limits`, which must
    /// pass [`Limits::validate`] ([`ParseError::InvalidLimits`] otherwise).
    pub fn from_bytes_with_limits(bytes: &[u8], limits: &Limits) -> Result<Self, ParseError> {
        let s = standalone(bytes, limits)?;
        onepass::strict_once(s, limits)
    }

    /// [`from_bytes_with_limits`](Self::from_bytes_with_limits) through
    /// quick-xml instead of the single checking pass: the same tree and
    /// the same verdict, more slowly. It is the reference the differential
    /// tests and the `stanza_parse` fuzz target hold the single pass to;
    /// there is no other reason to call it.
    #[doc(hidden)]
    pub fn from_bytes_via_quick_xml(bytes: &[u8], limits: &Limits) -> Result<Self, ParseError> {
        limits.validate().map_err(ParseError::InvalidLimits)?;
        if bytes.len() > limits.max_element_bytes {
            return Err(ParseError::LimitExceeded {
                offset: limits.max_element_bytes as u64,
                limit: Limit::ElementBytes,
                max: limits.max_element_bytes,
            });
        }
        let s = core::str::from_utf8(bytes).map_err(|e| ParseError::InvalidUtf8 {
            offset: e.valid_up_to() as u64,
        })?;
        reference::parse(s, *limits, true, None)
    }
}

/// Builds element trees as [`Element::from_frame`] and
/// [`Element::from_bytes_with_limits`] do, keeping its scratch buffers
/// (the open elements, the finished children waiting for their parent,
/// attributes, text being decoded) from one call to the next, so that
/// reading a stream of usual stanzas allocates the trees and nothing
/// else once the buffers have grown. Each buffer keeps at most 8 KiB
/// between calls (enough for a roster result of some 90 items): one huge
/// element, which the framer's [`Limits`] allow up to 256 KiB by default
/// and which may need megabytes of buffers, does not leave them pinned
/// to the stream.
///
/// Keep one per stream (or per thread) and call it for every frame; it
/// holds no state between calls but those empty buffers, so any call may
/// follow any other, errors included.
#[derive(Default)]
pub struct TreeBuilder {
    scratch: onepass::Scratch,
}

impl core::fmt::Debug for TreeBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TreeBuilder").finish_non_exhaustive()
    }
}

impl TreeBuilder {
    /// A builder with empty buffers; they grow on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// [`Element::from_frame`], reusing the buffers.
    pub fn from_frame(&mut self, frame: &xmpp_stream::Frame) -> Result<Element, ParseError> {
        onepass::trusted(frame.xml(), frame.namespaces(), &mut self.scratch)
    }

    /// [`Element::from_bytes_with_limits`], reusing the buffers.
    pub fn from_bytes_with_limits(
        &mut self,
        bytes: &[u8],
        limits: &Limits,
    ) -> Result<Element, ParseError> {
        let s = standalone(bytes, limits)?;
        onepass::strict(s, limits, &mut self.scratch)
    }
}

/// Standalone bytes as a `str`, within the size limit, under limits that
/// [`Limits::validate`] accepts (their maxima bound the tree's depth, which
/// its recursive writing, comparison and `Drop` need).
fn standalone<'b>(bytes: &'b [u8], limits: &Limits) -> Result<&'b str, ParseError> {
    limits.validate().map_err(ParseError::InvalidLimits)?;
    if bytes.len() > limits.max_element_bytes {
        return Err(ParseError::LimitExceeded {
            offset: limits.max_element_bytes as u64,
            limit: Limit::ElementBytes,
            max: limits.max_element_bytes,
        });
    }
    let s = core::str::from_utf8(bytes).map_err(|e| ParseError::InvalidUtf8 {
        offset: e.valid_up_to() as u64,
    })?;
    // XML 1.0 §4.3.3, Appendix F: a byte order mark may begin the bytes
    // and is not content.
    Ok(s.strip_prefix('\u{FEFF}').unwrap_or(s))
}

impl FromStr for Element {
    type Err = ParseError;

    /// [`Element::from_bytes`] on the string's bytes.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::from_bytes(s.as_bytes())
    }
}

/// A qualified name (Namespaces in XML 1.0 §4): one or two NCNames, no
/// longer than the limit.
fn check_name(qname: &str, offset: u64, limits: &Limits) -> Result<(), ParseError> {
    if qname.len() > limits.max_name_bytes {
        // The first error in document order: a character no name holds,
        // at or before byte `max`, comes before the length (a name of
        // `max` bytes followed by anything else is broken, not too long;
        // where the colons stand is judged on the whole name).
        let head_ok = qname
            .char_indices()
            .take_while(|&(i, _)| i <= limits.max_name_bytes)
            .all(|(i, c)| {
                c == ':'
                    || if i == 0 {
                        xmpp_stream::is_ncname_start_char(c)
                    } else {
                        xmpp_stream::is_ncname_char(c)
                    }
            });
        if !head_ok {
            return Err(ParseError::InvalidName {
                offset,
                name: qname.into(),
            });
        }
        return Err(ParseError::LimitExceeded {
            offset,
            limit: Limit::NameBytes,
            max: limits.max_name_bytes,
        });
    }
    // Fast path, one pass: ASCII NCName characters with at most one colon,
    // each part starting with a name-start character.
    let mut at_start = true;
    let mut colons = 0u32;
    let mut ok = true;
    for &c in qname.as_bytes() {
        if c == b':' {
            colons += 1;
            ok &= !at_start;
            at_start = true;
        } else {
            let need = if at_start { NAME_START } else { NAME_CHAR };
            ok &= name_class(c) & need != 0;
            at_start = false;
        }
    }
    if ok && !at_start && colons <= 1 {
        return Ok(());
    }
    let (prefix, local) = split_qname(qname);
    let ok = prefix.is_none_or(is_ncname) && is_ncname(local);
    if ok {
        Ok(())
    } else {
        Err(ParseError::InvalidName {
            offset,
            name: qname.into(),
        })
    }
}

/// Splits `p:local` at its first colon (names are short: a byte loop beats
/// a searcher).
#[inline]
fn split_qname(qname: &str) -> (Option<&str>, &str) {
    match qname.bytes().position(|b| b == b':') {
        Some(i) => (qname.get(..i), qname.get(i + 1..).unwrap_or_default()),
        None => (None, qname),
    }
}

/// An NCName (Namespaces in XML 1.0 §3): a name without colons, checked
/// against XML 1.0 §2.3 exactly as the framer checks it.
pub(crate) fn is_ncname(s: &str) -> bool {
    // Fast path: the names of XMPP are ASCII, checked against a table.
    let b = s.as_bytes();
    if b.first().is_some_and(|&c| name_class(c) & NAME_START != 0)
        && b.iter().all(|&c| name_class(c) & NAME_CHAR != 0)
    {
        return true;
    }
    if s.is_ascii() {
        return false;
    }
    let mut chars = s.chars();
    chars.next().is_some_and(xmpp_stream::is_ncname_start_char)
        && chars.all(xmpp_stream::is_ncname_char)
}

/// [`name_class`] bit of the ASCII bytes that may start an NCName.
const NAME_START: u8 = 1;
/// [`name_class`] bit of the ASCII bytes that may continue an NCName.
const NAME_CHAR: u8 = 2;

/// XML 1.0 §2.3 for ASCII, minus the colon: letters and `_` start a name;
/// those, digits, `-` and `.` continue it. Other bytes are 0 (non-ASCII
/// names take the slow path).
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time over 0..128 < 256; never reached by input"
)]
const NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        if c.is_ascii_alphabetic() || c == b'_' {
            t[i] = NAME_START | NAME_CHAR;
        } else if c.is_ascii_digit() || c == b'-' || c == b'.' {
            t[i] = NAME_CHAR;
        }
        i += 1;
    }
    t
};

fn name_class(b: u8) -> u8 {
    NAME_CLASS.get(usize::from(b)).copied().unwrap_or(0)
}

/// [`byte_flags`]: a byte below 0x20.
const F_CONTROL: u8 = 1;
/// [`byte_flags`]: a control byte other than TAB, LF, CR (not an XML
/// `Char`, XML 1.0 §2.2).
const F_NOT_CHAR: u8 = 2;
/// [`byte_flags`]: `&`.
const F_AMP: u8 = 4;
/// [`byte_flags`]: `<`.
const F_LT: u8 = 8;
/// [`byte_flags`]: 0xEF, the lead byte of U+FFFE and U+FFFF (and of many
/// valid characters).
const F_EF: u8 = 16;

/// The `F_*` class of every byte (a table: a `match` in the loop does not
/// compile to one).
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time over constant indexes < 256; never reached by input"
)]
const BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = if i == 0x09 || i == 0x0A || i == 0x0D {
            F_CONTROL
        } else {
            F_CONTROL | F_NOT_CHAR
        };
        i += 1;
    }
    t[b'&' as usize] = F_AMP;
    t[b'<' as usize] = F_LT;
    t[0xEF] = F_EF;
    t
};

/// Which of the `F_*` classes of bytes `raw` holds, in one pass without
/// branches on the bytes.
fn byte_flags(raw: &str) -> u8 {
    raw.bytes().fold(0, |acc, b| {
        acc | BYTE_CLASS.get(usize::from(b)).copied().unwrap_or(0)
    })
}

/// Whether `raw` holds a byte that attribute-value normalization or
/// reference expansion changes (`&`, TAB, LF, CR; other control bytes,
/// which valid values never hold, only cost the slow path).
fn needs_unescape(raw: &str) -> bool {
    byte_flags(raw) & (F_CONTROL | F_AMP) != 0
}

/// The value of a namespace declaration, references expanded; borrowed
/// when there is nothing to expand (always, in practice).
/// Namespaces in XML 1.0 §3: `xmlns` cannot be declared, `xml` only to
/// its own namespace, no other prefix to either of those two or to the
/// empty name.
pub(super) fn is_reserved_binding(prefix: &str, value: &str) -> bool {
    match prefix {
        "xmlns" => true,
        "xml" => value != XML_NS,
        _ => value == XML_NS || value == XMLNS_NS || value.is_empty(),
    }
}

fn namespace_value(raw: &str) -> Cow<'_, str> {
    if needs_unescape(raw) {
        unescape_attribute(raw)
    } else {
        Cow::Borrowed(raw)
    }
}

/// Whether character data holds `]]>` (XML 1.0 §2.4), found from its rare
/// `>`s rather than by a substring search.
fn has_cdata_end(raw: &str) -> bool {
    let b = raw.as_bytes();
    memchr::memchr_iter(b'>', b).any(|i| i >= 2 && b.get(i - 2..i) == Some(b"]]".as_slice()))
}

/// XML 1.0 §2.2 `Char`.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Every character of `raw` is an XML `Char`.
fn check_chars(raw: &str, offset: u64) -> Result<(), ParseError> {
    // Fast path: only control bytes and the UTF-8 of U+FFFE/U+FFFF can
    // fail.
    if byte_flags(raw) & (F_NOT_CHAR | F_EF) == 0 {
        return Ok(());
    }
    match raw.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        Some((i, c)) => Err(ParseError::InvalidChar {
            offset: offset + i as u64,
            code_point: u32::from(c),
        }),
        None => Ok(()),
    }
}

/// An attribute value as written, given its [`byte_flags`] (which find
/// what needs a closer look): `Char`s, no `<`, references well formed and
/// predefined (RFC 6120 §11.1 forbids other entities).
fn check_value_with(raw: &str, flags: u8, offset: u64) -> Result<(), ParseError> {
    let amp = flags & F_AMP != 0;
    if flags & (F_NOT_CHAR | F_EF) != 0 {
        check_chars(raw, offset)?;
    }
    if flags & F_LT != 0 {
        return Err(ParseError::Xml {
            offset,
            detail: "'<' in an attribute value".into(),
        });
    }
    if !amp {
        return Ok(());
    }
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        let after = rest.get(amp + 1..).unwrap_or_default();
        let Some(semi) = after.find(';') else {
            return Err(ParseError::InvalidReference { offset });
        };
        let name = after.get(..semi).unwrap_or_default();
        let ok = match name {
            "lt" | "gt" | "amp" | "apos" | "quot" => true,
            _ => match name.strip_prefix('#') {
                Some(num) => {
                    // Any number of digits (XML 1.0 §4.1: leading zeros
                    // are allowed, as the framer allows them), the value
                    // held at 0x110000 once it is out of range.
                    let code = match num.strip_prefix('x') {
                        Some(hex) => reference_value(hex, 16),
                        None => reference_value(num, 10),
                    };
                    match code.and_then(char::from_u32) {
                        Some(c) if is_xml_char(c) => true,
                        Some(c) => {
                            return Err(ParseError::InvalidChar {
                                offset,
                                code_point: u32::from(c),
                            });
                        }
                        None => false,
                    }
                }
                None if !name.is_empty() && is_ncname(name) => {
                    return Err(ParseError::Restricted {
                        offset,
                        construct: Restricted::EntityReference,
                    });
                }
                None => false,
            },
        };
        if !ok {
            return Err(ParseError::InvalidReference { offset });
        }
        rest = after.get(semi + 1..).unwrap_or_default();
    }
    Ok(())
}

/// The code point a character reference's digits in `radix` name, held
/// at 0x110000 (past Unicode) once it is larger; `None` when there are no
/// digits or something else is among them.
fn reference_value(digits: &str, radix: u32) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits.chars().try_fold(0u32, |v, c| {
        c.to_digit(radix)
            .map(|d| v.saturating_mul(radix).saturating_add(d).min(0x11_0000))
    })
}

/// An attribute value as stored, given its [`byte_flags`]: what
/// [`unescape_attribute`] gives (references expanded, XML 1.0 §3.3.3 white
/// space normalized, malformed references kept as written), built straight
/// into its final string (inline when short, else one allocation of the
/// raw length, which the result never exceeds) and copying the runs between
/// special bytes whole rather than character by character.
fn attribute_value_with(raw: &str, flags: u8) -> CompactString {
    if flags & (F_CONTROL | F_AMP) == 0 {
        return CompactString::from(raw);
    }
    let special = |b: u8| matches!(b, b'&' | b'\r' | b'\t' | b'\n');
    let mut i = raw.bytes().position(special).unwrap_or(raw.len());
    let mut out = CompactString::with_capacity(raw.len());
    let mut rest = raw;
    loop {
        // `i` is the index of an ASCII byte or the end: a char boundary.
        out.push_str(rest.get(..i).unwrap_or_default());
        let tail = rest.get(i..).unwrap_or_default();
        let (c, take) = match tail.as_bytes().first() {
            None => break,
            Some(b'&') => xmpp_stream::decode_reference(tail).unwrap_or(('&', 1)),
            Some(b'\r') if tail.as_bytes().get(1) == Some(&b'\n') => (' ', 2),
            Some(_) => (' ', 1),
        };
        out.push(c);
        rest = tail.get(take..).unwrap_or_default();
        i = rest.bytes().position(special).unwrap_or(rest.len());
    }
    out
}

mod onepass;
mod reference;
#[cfg(test)]
mod tests;
