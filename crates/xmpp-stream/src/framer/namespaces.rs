//! Namespace scoping (Namespaces in XML 1.0 §5-§6) and attribute
//! uniqueness (XML 1.0 §3.1 and Namespaces §6.3) once a start tag is
//! complete.
//!
//! Namespace lookups walk a stack of the declarations in scope, which the
//! limits bound, so resolution is linear in the input at any depth.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::Framer;
use super::scan::same;
use super::state::{ATTR_MAYBE_DECL, ATTR_PREFIXED, ATTR_SIG_CLASH, Decl};
use crate::error::{FramingError, Limit};
use crate::escape::unescape_attribute;
use crate::event::{Span, XML_NS};

pub(super) const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Where a prefix was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hit {
    /// In `decls` at this index.
    Decl(usize),
    /// In the inherited context's prefixes at this index (`None`: its default).
    Ctx(Option<usize>),
    /// The built-in `xml` prefix.
    Xml,
    /// The default namespace is undeclared (`xmlns=''` or never declared).
    Nothing,
}

impl Framer {
    pub(super) fn rel(&self, (a, b): Span) -> &[u8] {
        self.buf.get(self.tok + a..self.tok + b).unwrap_or_default()
    }

    pub(super) fn rel_str(&self, s: Span) -> String {
        String::from_utf8_lossy(self.rel(s)).into_owned()
    }

    pub(super) fn bad_prefix(&self, prefix: &[u8], rule: &'static str) -> FramingError {
        FramingError::BadPrefix {
            offset: self.offset(self.tok + self.tag.start),
            prefix: String::from_utf8_lossy(prefix).into_owned(),
            rule,
        }
    }

    /// Looks `prefix` up (empty: the default namespace), innermost first.
    pub(super) fn lookup(&self, prefix: &[u8]) -> Option<Hit> {
        for (i, d) in self.decls.iter().enumerate().rev() {
            if same(self.rel(d.prefix), prefix) {
                let undeclared = prefix.is_empty() && d.value.0 == d.value.1;
                return Some(if undeclared {
                    Hit::Nothing
                } else {
                    Hit::Decl(i)
                });
            }
        }
        if prefix.is_empty() {
            return Some(if self.ctx.default.is_some() {
                Hit::Ctx(None)
            } else {
                Hit::Nothing
            });
        }
        if let Some(i) = self
            .ctx
            .prefixes
            .iter()
            .rposition(|(p, _)| p.as_bytes() == prefix)
        {
            return Some(Hit::Ctx(Some(i)));
        }
        (prefix == b"xml").then_some(Hit::Xml)
    }

    /// The namespace name a lookup found.
    pub(super) fn uri(&self, hit: Hit) -> &[u8] {
        match hit {
            Hit::Decl(i) => match self.decls.get(i) {
                Some(Decl { owned: Some(o), .. }) => o.as_bytes(),
                Some(d) => self.rel(d.value),
                None => b"",
            },
            Hit::Ctx(None) => self.ctx.default.as_deref().unwrap_or_default().as_bytes(),
            Hit::Ctx(Some(i)) => self
                .ctx
                .prefixes
                .get(i)
                .map(|(_, n)| n.as_bytes())
                .unwrap_or_default(),
            Hit::Xml => XML_NS.as_bytes(),
            Hit::Nothing => b"",
        }
    }

    /// Pushes the namespace declarations among the tag's attributes.
    pub(super) fn push_decls(&mut self) -> Result<(), FramingError> {
        // Every declaration's name starts with `xmlns`.
        if self.tag.attr_flags & ATTR_MAYBE_DECL == 0 {
            return Ok(());
        }
        for i in 0..self.attrs.len() {
            let Some(a) = self.attrs.get(i).copied() else {
                continue;
            };
            let name = self.rel(a.name);
            let prefix = match a.colon {
                None if name == b"xmlns" => (a.name.1, a.name.1),
                Some(c) if self.rel((a.name.0, c)) == b"xmlns" => (c + 1, a.name.1),
                _ => continue,
            };
            // XML 1.0 §3.3.3: the namespace name is the normalized value,
            // references expanded and TAB, LF, CR (CR LF) made spaces, as
            // for any attribute; the scanner only marked references, so
            // the white space is looked for here, where declarations are
            // rare, rather than in the value loop.
            let needs_normalizing = a.escaped
                || self
                    .rel(a.value)
                    .iter()
                    .any(|&b| matches!(b, b'\t' | b'\n' | b'\r'));
            let owned =
                needs_normalizing.then(|| Box::from(unescape_attribute(&self.rel_str(a.value))));
            let value = owned.as_deref().map_or(self.rel(a.value), str::as_bytes);
            let p = self.rel(prefix);
            if p == b"xmlns" || value == XMLNS_NS.as_bytes() {
                return Err(self.bad_prefix(p, "is reserved and cannot be declared"));
            }
            if (p == b"xml") != (value == XML_NS.as_bytes()) {
                return Err(self.bad_prefix(p, "and the XML namespace belong only to each other"));
            }
            if !p.is_empty() && value.is_empty() {
                return Err(self.bad_prefix(p, "cannot be undeclared"));
            }
            if self.decls.len() + self.ctx.len() >= self.limits.max_namespace_declarations {
                return Err(self.limit_exceeded(self.tok + a.name.0, Limit::NamespaceDeclarations));
            }
            self.decls.push(Decl {
                prefix,
                value: a.value,
                owned,
            });
        }
        Ok(())
    }

    /// Resolves the tag's element name. An unprefixed element below the
    /// top level needs no lookup: nothing reads its namespace, and every
    /// default namespace is valid.
    #[inline]
    pub(super) fn resolve_element(&self) -> Result<Hit, FramingError> {
        let prefix = match self.tag.colon {
            Some(c) => self.rel((self.tag.name.0, c)),
            None if !self.open.is_empty() => return Ok(Hit::Nothing),
            // The common stanza: no prefix and no declaration of its own,
            // in the stream's default namespace, without the lookup.
            None if self.decls.is_empty() => {
                return Ok(if self.ctx.default.is_some() {
                    Hit::Ctx(None)
                } else {
                    Hit::Nothing
                });
            }
            None => b"",
        };
        if prefix == b"xmlns" {
            return Err(self.bad_prefix(prefix, "is reserved for declarations"));
        }
        self.lookup(prefix)
            .ok_or_else(|| self.bad_prefix(prefix, "is not declared"))
    }

    /// Resolves prefixed attributes and refuses duplicates.
    pub(super) fn check_attrs(&mut self) -> Result<(), FramingError> {
        let n = self.attrs.len();
        // Without prefixes only the qualified names can clash, and distinct
        // signature bits prove that they do not.
        if self.tag.attr_flags & (ATTR_PREFIXED | ATTR_SIG_CLASH) == 0 {
            return Ok(());
        }
        // Expanded names of the prefixed attributes other than declarations.
        let mut expanded: Vec<(usize, Hit)> = Vec::new();
        for (i, a) in self.attrs.iter().enumerate() {
            let Some(c) = a.colon else { continue };
            let prefix = self.rel((a.name.0, c));
            if prefix == b"xmlns" {
                continue;
            }
            let hit = self
                .lookup(prefix)
                .ok_or_else(|| self.bad_prefix(prefix, "is not declared"))?;
            expanded.push((i, hit));
        }
        if self.tag.attr_flags & ATTR_SIG_CLASH != 0 {
            let mut scratch = core::mem::take(&mut self.scratch);
            let qname = |i: usize| {
                let a = self.attrs.get(i).map_or((0, 0), |a| a.name);
                (self.rel(a), &b""[..])
            };
            let dup = find_duplicate(n, qname, &mut scratch);
            self.scratch = scratch;
            if let Some(i) = dup {
                return Err(self.duplicate(i));
            }
        }
        if expanded.len() > 1 {
            let mut scratch = core::mem::take(&mut self.scratch);
            let key = |k: usize| {
                let Some(&(i, hit)) = expanded.get(k) else {
                    return (&b""[..], &b""[..]);
                };
                let a = self
                    .attrs
                    .get(i)
                    .map_or((0, 0, None), |a| (a.name.0, a.name.1, a.colon));
                (self.uri(hit), self.rel((a.2.map_or(a.0, |c| c + 1), a.1)))
            };
            let dup = find_duplicate(expanded.len(), key, &mut scratch);
            self.scratch = scratch;
            if let Some(k) = dup {
                let i = expanded.get(k).map_or(0, |e| e.0);
                return Err(self.duplicate(i));
            }
        }
        Ok(())
    }

    pub(super) fn duplicate(&self, i: usize) -> FramingError {
        let name = self.attrs.get(i).map_or((0, 0), |a| a.name);
        FramingError::DuplicateAttribute {
            offset: self.offset(self.tok + self.tag.start),
            name: self.rel_str(name),
        }
    }
}

/// The index of an entry whose key equals an earlier one's. Short lists are
/// compared pairwise; longer ones by sorting hashes, so the cost stays
/// `O(n log n)` whatever the attribute limit.
pub(super) fn find_duplicate<'k>(
    n: usize,
    key: impl Fn(usize) -> (&'k [u8], &'k [u8]),
    scratch: &mut Vec<(u64, usize)>,
) -> Option<usize> {
    if n <= 12 {
        for j in 1..n {
            for i in 0..j {
                let (a, b) = (key(i), key(j));
                if same(a.0, b.0) && same(a.1, b.1) {
                    return Some(j);
                }
            }
        }
        return None;
    }
    find_duplicate_sorted(n, key, scratch, fnv1a)
}

/// FNV-1a over both parts of a key, told apart by a byte no name has.
pub(super) fn fnv1a(a: &[u8], b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in a.iter().chain(&[0xFF]).chain(b) {
        h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// [`find_duplicate`] for long lists: sorted by hash, then by the key
/// itself and the index, so that equal keys are neighbours whatever
/// collides (a peer can find FNV collisions; with the hash alone, `a`,
/// a colliding name, `a` again sorted as three neighbours of one hash and
/// the duplicate went unseen), and the first repeat is the one reported.
pub(super) fn find_duplicate_sorted<'k>(
    n: usize,
    key: impl Fn(usize) -> (&'k [u8], &'k [u8]),
    scratch: &mut Vec<(u64, usize)>,
    hash: impl Fn(&[u8], &[u8]) -> u64,
) -> Option<usize> {
    scratch.clear();
    for i in 0..n {
        let (a, b) = key(i);
        scratch.push((hash(a, b), i));
    }
    scratch.sort_unstable_by(|&(h1, i), &(h2, j)| {
        h1.cmp(&h2)
            .then_with(|| key(i).cmp(&key(j)))
            .then(i.cmp(&j))
    });
    let mut found: Option<usize> = None;
    for w in scratch.windows(2) {
        if let [(h1, i), (h2, j)] = *w {
            if h1 == h2 && key(i) == key(j) {
                // `i < j`: the sort puts equal keys in index order.
                found = Some(found.map_or(j, |f| f.min(j)));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::{find_duplicate, find_duplicate_sorted};

    /// Under a hash where everything collides, the sorted search still
    /// finds every duplicate and reports its first repeat.
    #[test]
    pub(super) fn duplicates_are_found_through_hash_collisions() {
        let names: [&[u8]; 16] = [
            b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"i", b"j", b"k", b"l", b"m", b"n",
            b"o", b"p",
        ];
        let run = |list: &[&'static [u8]]| {
            let mut scratch = Vec::new();
            let key = |i: usize| (list[i], &b""[..]);
            let colliding = find_duplicate_sorted(list.len(), key, &mut scratch, |_, _| 7);
            let real = find_duplicate(list.len(), key, &mut scratch);
            assert_eq!(colliding, real);
            real
        };
        assert_eq!(run(&names), None);
        // `a`, another name, `a` again: the case a bare hash sort missed.
        let mut with = names.to_vec();
        with[2] = b"a";
        assert_eq!(run(&with), Some(2));
        with[15] = b"b";
        with[9] = b"b";
        assert_eq!(run(&with), Some(2));
        let mut late = names.to_vec();
        late[15] = b"c";
        late[12] = b"c";
        assert_eq!(run(&late), Some(12));
        // The pairwise path for short lists agrees.
        assert_eq!(run(&[b"x", b"y", b"x"]), Some(2));
    }
}
