//! The owned, namespace-resolved element tree (Namespaces in XML 1.0 §6:
//! every element name and attribute name is a pair of a namespace name and a
//! local name; prefixes are only spelling and are not kept).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::hash::{Hash, Hasher};

use compact_str::CompactString;

use crate::atom::Atom;

/// The namespace of the `xml` prefix (`xml:lang`), bound in every
/// document: the framer's own constant, so there is one.
pub use xmpp_stream::XML_NS;

/// The namespace reserved for namespace declarations (Namespaces in XML
/// 1.0 §3), which no element or attribute may be in.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// A name or namespace that no XML document could carry, refused by the
/// element tree's constructors ([`Element::try_new`],
/// [`Element::try_set_attr_ns`]; the infallible ones panic) so that the
/// writer never emits what a parser refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidName {
    /// The name or namespace given.
    pub name: String,
    /// The rule it breaks.
    pub rule: &'static str,
}

impl core::fmt::Display for InvalidName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?} {}", self.name, self.rule)
    }
}

impl core::error::Error for InvalidName {}

fn invalid(name: &str, rule: &'static str) -> InvalidName {
    InvalidName {
        name: name.into(),
        rule,
    }
}

/// A local name: an NCName (Namespaces in XML 1.0 §3, XML 1.0 §2.3). The
/// well-known names of XMPP are known to be, except the empty string.
fn check_local(name: &Atom) -> Result<(), InvalidName> {
    let known = matches!(name, Atom::Static(_)) && !name.is_empty();
    if known || crate::parse::is_ncname(name) {
        Ok(())
    } else {
        Err(invalid(name, "is not an XML name without a colon (NCName)"))
    }
}

/// A namespace name an element or attribute can be in: written as an
/// attribute value, so every character must be an XML `Char` (XML 1.0
/// §2.2); the `xmlns` namespace is for declarations only (Namespaces in
/// XML 1.0 §3).
fn check_namespace(ns: &Atom) -> Result<(), InvalidName> {
    if matches!(ns, Atom::Static(_)) {
        return Ok(());
    }
    if **ns == *XMLNS_NS {
        return Err(invalid(ns, "is reserved for namespace declarations"));
    }
    if !ns.chars().all(crate::parse::is_xml_char) {
        return Err(invalid(ns, "holds a character XML 1.0 does not allow"));
    }
    Ok(())
}

/// Panics with `e`: the infallible constructors' answer to a name the
/// program chose and no XML can carry (the `try_` ones return it).
#[allow(
    clippy::panic,
    reason = "documented under # Panics; the try_ constructors return the error"
)]
#[cold]
#[track_caller]
fn refuse(e: &InvalidName) -> ! {
    panic!("invalid element tree name: {e}")
}

/// One attribute: a local name, a namespace (`""` for the usual unprefixed
/// attribute) and an unescaped value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    pub(crate) name: Atom,
    pub(crate) ns: Atom,
    /// Stored inline up to 24 bytes (types, languages, short ids,
    /// booleans: most attribute values of XMPP), so those cost no
    /// allocation.
    pub(crate) value: CompactString,
}

impl Attribute {
    /// The local name, e.g. `lang` for `xml:lang`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace name, `""` when the attribute has none.
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// The value, references expanded.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// A child of an element: an element or a run of character data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data, references expanded, CDATA sections merged in.
    /// Adjacent runs are merged and a run is never empty, so that a tree and
    /// its serialization parse back to the same value. Stored inline up to
    /// 24 bytes (show, priority, thread ids, roster groups: most text
    /// outside bodies), so those cost no allocation.
    Text(CompactString),
}

impl Node {
    /// The element, if this node is one.
    pub fn as_element(&self) -> Option<&Element> {
        match self {
            Self::Element(e) => Some(e),
            Self::Text(_) => None,
        }
    }

    /// The text, if this node is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Element(_) => None,
            Self::Text(t) => Some(t),
        }
    }
}

impl Hash for Node {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Self::Element(e) => {
                state.write_u8(0);
                e.hash(state);
            }
            Self::Text(t) => hash_text(t, state),
        }
    }
}

/// Hashes the text node `t`, stored in a vector or alone, the same way.
fn hash_text<H: Hasher>(t: &str, state: &mut H) {
    state.write_u8(1);
    t.hash(state);
}

/// The child nodes of an element. An element whose only child is a text
/// run (`<body>hi</body>`, `<show>away</show>`, `<group>Friends</group>`:
/// most leaves of XMPP) keeps it without a vector, which saves one
/// allocation per such element. Compared and hashed as the node sequence
/// it stands for, whichever form holds it.
#[derive(Debug, Clone)]
pub(crate) enum Children {
    /// Any sequence of nodes (also a lone text after `nodes_mut`).
    Nodes(Vec<Node>),
    /// Exactly one text run, never empty.
    Text(CompactString),
}

impl Default for Children {
    fn default() -> Self {
        Self::Nodes(Vec::new())
    }
}

impl Children {
    /// `nodes` in the compact form when it is one text run.
    pub(crate) fn from_nodes(mut nodes: Vec<Node>) -> Self {
        if let [Node::Text(_)] = nodes.as_slice() {
            if let Some(Node::Text(t)) = nodes.pop() {
                return Self::Text(t);
            }
        }
        Self::Nodes(nodes)
    }

    /// The nodes held in a vector: every node but a lone text.
    pub(crate) fn vec_slice(&self) -> &[Node] {
        match self {
            Self::Nodes(v) => v,
            Self::Text(_) => &[],
        }
    }

    /// Whether there are no children.
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Self::Nodes(v) => v.is_empty(),
            Self::Text(_) => false,
        }
    }

    /// The children as a vector, converting a lone text.
    fn make_vec(&mut self) -> &mut Vec<Node> {
        match self {
            Self::Nodes(v) => v,
            Self::Text(t) => {
                let t = core::mem::take(t);
                *self = Self::Nodes(alloc::vec![Node::Text(t)]);
                // Now the first arm.
                self.make_vec()
            }
        }
    }

    fn into_vec(self) -> Vec<Node> {
        match self {
            Self::Nodes(v) => v,
            Self::Text(t) => alloc::vec![Node::Text(t)],
        }
    }
}

impl PartialEq for Children {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Nodes(a), Self::Nodes(b)) => a == b,
            (Self::Text(a), Self::Text(b)) => a == b,
            (Self::Text(t), Self::Nodes(v)) | (Self::Nodes(v), Self::Text(t)) => {
                matches!(v.as_slice(), [Node::Text(u)] if u == t)
            }
        }
    }
}

impl Eq for Children {}

impl Hash for Children {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Self::Nodes(v) => v.hash(state),
            Self::Text(t) => {
                // What `[Node]` hashes first: its length.
                state.write_usize(1);
                hash_text(t, state);
            }
        }
    }
}

/// An XML element: a name in a namespace, attributes in document order and
/// child nodes in document order. Nothing of a parsed element is dropped:
/// unknown attributes, children and text (white space included) stay.
///
/// Names and namespaces are cheap shared strings: the well-known ones of
/// XMPP cost no allocation, and children that inherit their parent's
/// namespace share it.
///
/// Attribute names `xmlns` and `xmlns:*` are namespace declarations, not
/// attributes: the parser never stores them and the serializer writes the
/// declarations it needs itself. A local name must not contain `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Element {
    pub(crate) name: Atom,
    pub(crate) ns: Atom,
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) children: Children,
}

impl Element {
    /// An empty element `name` in namespace `ns` (`""` for none).
    ///
    /// # Panics
    ///
    /// When [`try_new`](Self::try_new) refuses `name` or `ns`; names from a
    /// parsed element never are.
    #[track_caller]
    pub fn new(name: &str, ns: &str) -> Self {
        Self::try_new(name, ns).unwrap_or_else(|e| refuse(&e))
    }

    /// An empty element `name` in namespace `ns` (`""` for none), unless no
    /// XML could carry it: `name` must be an NCName (XML 1.0 §2.3 without
    /// a colon: the prefix is the writer's business), `ns` neither the
    /// `xml` namespace (no element can be in it as a default namespace,
    /// Namespaces in XML 1.0 §3) nor the `xmlns` one, and made of XML
    /// `Char`s.
    ///
    /// ```
    /// use xmpp_stanza::Element;
    /// assert!(Element::try_new("message", "jabber:client").is_ok());
    /// assert!(Element::try_new("a b", "").is_err());
    /// assert!(Element::try_new("p:a", "").is_err());
    /// ```
    pub fn try_new(name: &str, ns: &str) -> Result<Self, InvalidName> {
        let (name, ns) = (Atom::new(name), Atom::new(ns));
        check_local(&name)?;
        check_namespace(&ns)?;
        if *ns == *XML_NS {
            return Err(invalid(&ns, "cannot be an element's default namespace"));
        }
        Ok(Self {
            name,
            ns,
            attrs: Vec::new(),
            children: Children::default(),
        })
    }

    /// The local name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace name (`""` when the element is in no namespace).
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// Whether the element is `name` in namespace `ns`.
    pub fn is(&self, name: &str, ns: &str) -> bool {
        *self.name == *name && *self.ns == *ns
    }

    /// Every attribute, in document order.
    pub fn attrs(&self) -> &[Attribute] {
        &self.attrs
    }

    /// The value of the attribute `name` in no namespace.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attr_ns(name, "")
    }

    /// The value of the attribute `name` in namespace `ns`.
    pub fn attr_ns(&self, name: &str, ns: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| *a.name == *name && *a.ns == *ns)
            .map(|a| a.value.as_str())
    }

    /// What the stream does after this element, as a top-level element
    /// over `transport`, whichever party sends it: a server writing
    /// `<proceed/>` or `<success/>` follows the rule a client reading them
    /// follows (RFC 6120 §4.3.3, §5.4.3.3, §6.4.6; see
    /// [`xmpp_stream::restart_after`]).
    pub fn restart_after(&self, transport: xmpp_stream::Transport) -> xmpp_stream::Restart {
        xmpp_stream::restart_after(transport, &self.name, &self.ns)
    }

    /// `xml:lang` on this element (RFC 6120 §8.1.5), not inherited.
    pub fn lang(&self) -> Option<&str> {
        self.attr_ns("lang", XML_NS)
    }

    /// Sets the attribute `name` (no namespace), replacing an earlier value
    /// in place so the order of attributes stays as it was.
    ///
    /// # Panics
    ///
    /// When [`try_set_attr_ns`](Self::try_set_attr_ns) refuses the name.
    #[track_caller]
    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        self.set_attr_ns(name, "", value);
    }

    /// Sets the attribute `name` in namespace `ns`.
    ///
    /// # Panics
    ///
    /// When [`try_set_attr_ns`](Self::try_set_attr_ns) refuses the name.
    #[track_caller]
    pub fn set_attr_ns(&mut self, name: &str, ns: &str, value: impl Into<String>) {
        if let Err(e) = self.try_set_attr_ns(name, ns, value) {
            refuse(&e);
        }
    }

    /// Sets the attribute `name` in namespace `ns` (`""`: none), unless no
    /// XML could carry it: `name` must be an NCName, and not `xmlns` in no
    /// namespace (that is a namespace declaration, which the writer makes
    /// itself: Namespaces in XML 1.0 §3); `ns` must not be the `xmlns`
    /// namespace and must be made of XML `Char`s. A value's characters
    /// that XML cannot carry are written as U+FFFD (see
    /// [`write_xml_in`](Self::write_xml_in)).
    ///
    /// ```
    /// use xmpp_stanza::Element;
    /// let mut e = Element::new("m", "");
    /// assert!(e.try_set_attr_ns("a='1' b", "", "2").is_err());
    /// assert!(e.try_set_attr_ns("xmlns", "", "urn:x").is_err());
    /// assert!(e.try_set_attr_ns("lang", xmpp_stanza::XML_NS, "en").is_ok());
    /// assert_eq!(e.to_xml(), "<m xml:lang='en'/>");
    /// ```
    pub fn try_set_attr_ns(
        &mut self,
        name: &str,
        ns: &str,
        value: impl Into<String>,
    ) -> Result<(), InvalidName> {
        // A `String` longer than the inline size keeps its buffer.
        let value = CompactString::from(value.into());
        if let Some(a) = self
            .attrs
            .iter_mut()
            .find(|a| *a.name == *name && *a.ns == *ns)
        {
            a.value = value;
            return Ok(());
        }
        let (name, ns) = (Atom::new(name), Atom::new(ns));
        check_local(&name)?;
        check_namespace(&ns)?;
        if ns.is_empty() && *name == *"xmlns" {
            return Err(invalid(
                &name,
                "is a namespace declaration, not an attribute",
            ));
        }
        self.attrs.push(Attribute { name, ns, value });
        Ok(())
    }

    /// Removes the attribute `name` in namespace `ns`, returning its value.
    pub fn remove_attr_ns(&mut self, name: &str, ns: &str) -> Option<String> {
        let i = self
            .attrs
            .iter()
            .position(|a| *a.name == *name && *a.ns == *ns)?;
        Some(self.attrs.remove(i).value.into_string())
    }

    /// Builder form of [`set_attr`](Self::set_attr) (which see for panics).
    #[must_use]
    #[track_caller]
    pub fn with_attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder form of [`set_attr_ns`](Self::set_attr_ns) (which see for
    /// panics).
    #[must_use]
    #[track_caller]
    pub fn with_attr_ns(mut self, name: &str, ns: &str, value: impl Into<String>) -> Self {
        self.set_attr_ns(name, ns, value);
        self
    }

    /// The child nodes in document order. Borrowed, except for an element
    /// whose only child is a text run: that one is kept without a vector
    /// (see [`text`](Self::text) to read it without allocating) and this
    /// makes a one-node vector of it.
    pub fn nodes(&self) -> Cow<'_, [Node]> {
        match &self.children {
            Children::Nodes(v) => Cow::Borrowed(v),
            Children::Text(t) => Cow::Owned(alloc::vec![Node::Text(t.clone())]),
        }
    }

    /// The number of child nodes, text runs included.
    pub fn node_count(&self) -> usize {
        match &self.children {
            Children::Nodes(v) => v.len(),
            Children::Text(_) => 1,
        }
    }

    /// The child nodes, mutable. Keep text runs non-empty and never
    /// adjacent (or use [`push_text`](Self::push_text)) so that the tree
    /// round-trips through its serialization.
    pub fn nodes_mut(&mut self) -> &mut Vec<Node> {
        self.children.make_vec()
    }

    /// Takes the child nodes.
    pub fn into_nodes(self) -> Vec<Node> {
        self.children.into_vec()
    }

    /// The child elements in document order.
    pub fn children(&self) -> impl DoubleEndedIterator<Item = &Self> + Clone {
        self.children
            .vec_slice()
            .iter()
            .filter_map(Node::as_element)
    }

    /// The child elements, mutable.
    pub fn children_mut(&mut self) -> impl Iterator<Item = &mut Self> {
        let nodes: &mut [Node] = match &mut self.children {
            Children::Nodes(v) => v,
            Children::Text(_) => &mut [],
        };
        nodes.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element `name` in namespace `ns`.
    pub fn get_child(&self, name: &str, ns: &str) -> Option<&Self> {
        self.children().find(|c| c.is(name, ns))
    }

    /// The first child element `name` in namespace `ns`, mutable.
    pub fn get_child_mut(&mut self, name: &str, ns: &str) -> Option<&mut Self> {
        self.children_mut().find(|c| c.is(name, ns))
    }

    /// Every child element `name` in namespace `ns`.
    pub fn get_children<'a>(
        &'a self,
        name: &'a str,
        ns: &'a str,
    ) -> impl Iterator<Item = &'a Self> + 'a {
        self.children().filter(move |c| c.is(name, ns))
    }

    /// Whether a child element `name` in namespace `ns` exists.
    pub fn has_child(&self, name: &str, ns: &str) -> bool {
        self.get_child(name, ns).is_some()
    }

    /// Removes and returns the first child element `name` in namespace `ns`.
    pub fn remove_child(&mut self, name: &str, ns: &str) -> Option<Self> {
        let Children::Nodes(nodes) = &mut self.children else {
            return None;
        };
        let i = nodes
            .iter()
            .position(|n| n.as_element().is_some_and(|e| e.is(name, ns)))?;
        match nodes.remove(i) {
            Node::Element(e) => {
                merge_text_at(nodes, i);
                Some(e)
            }
            Node::Text(_) => None,
        }
    }

    /// Appends a child element.
    pub fn push_child(&mut self, child: Self) {
        self.children.make_vec().push(Node::Element(child));
    }

    /// Appends text, merged into a preceding text run; empty text is ignored.
    pub fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match &mut self.children {
            Children::Text(t) => t.push_str(text),
            Children::Nodes(v) if v.is_empty() => self.children = Children::Text(text.into()),
            Children::Nodes(v) => match v.last_mut() {
                Some(Node::Text(t)) => t.push_str(text),
                _ => v.push(Node::Text(text.into())),
            },
        }
    }

    /// Builder form of [`push_child`](Self::push_child).
    #[must_use]
    pub fn with_child(mut self, child: Self) -> Self {
        self.push_child(child);
        self
    }

    /// Builder form of [`push_text`](Self::push_text).
    #[must_use]
    pub fn with_text(mut self, text: &str) -> Self {
        self.push_text(text);
        self
    }

    /// The character data directly inside this element, runs concatenated
    /// (child elements' text not included). Borrowed when there is one run.
    pub fn text(&self) -> Cow<'_, str> {
        let nodes = match &self.children {
            Children::Text(t) => return Cow::Borrowed(t),
            Children::Nodes(v) => v,
        };
        let mut runs = nodes.iter().filter_map(Node::as_text);
        let Some(first) = runs.next() else {
            return Cow::Borrowed("");
        };
        match runs.next() {
            None => Cow::Borrowed(first),
            Some(second) => {
                let mut s = String::from(first);
                s.push_str(second);
                runs.for_each(|r| s.push_str(r));
                Cow::Owned(s)
            }
        }
    }
}

/// After a removal at `i`, merges the text runs that became adjacent.
fn merge_text_at(nodes: &mut Vec<Node>, i: usize) {
    if i == 0 || i >= nodes.len() {
        return;
    }
    if let (Some(Node::Text(_)), Some(Node::Text(_))) = (nodes.get(i - 1), nodes.get(i)) {
        if let Node::Text(next) = nodes.remove(i) {
            if let Some(Node::Text(prev)) = nodes.get_mut(i - 1) {
                prev.push_str(&next);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_by_name_and_namespace() {
        let e = Element::new("message", "jabber:client")
            .with_attr("to", "juliet@example.com")
            .with_attr_ns("lang", XML_NS, "en")
            .with_child(Element::new("body", "jabber:client").with_text("hi"))
            .with_child(Element::new("body", "urn:other"))
            .with_text(" ");
        assert_eq!(e.attr("to"), Some("juliet@example.com"));
        assert_eq!(e.lang(), Some("en"));
        assert_eq!(e.attr("lang"), None);
        assert_eq!(
            e.get_child("body", "jabber:client").map(|b| b.text()),
            Some("hi".into())
        );
        assert_eq!(e.get_children("body", "urn:other").count(), 1);
        assert!(!e.has_child("subject", "jabber:client"));
    }

    /// A server decides on the elements it writes by the rule a client
    /// applies to those it reads.
    #[test]
    fn restarts_follow_one_rule_for_written_elements() {
        use xmpp_stream::{Restart, Transport};
        let tls = "urn:ietf:params:xml:ns:xmpp-tls";
        let sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
        let t = Transport::Tcp;
        assert_eq!(Element::new("starttls", tls).restart_after(t), Restart::No);
        assert_eq!(
            Element::new("proceed", tls).restart_after(t),
            Restart::AfterTls
        );
        assert_eq!(Element::new("success", sasl).restart_after(t), Restart::Now);
        assert_eq!(
            Element::new("success", sasl).restart_after(Transport::Bosh),
            Restart::No
        );
    }

    #[test]
    fn text_runs_stay_merged() {
        let mut e = Element::new("a", "")
            .with_text("x")
            .with_child(Element::new("b", ""))
            .with_text("y");
        e.push_text("");
        e.push_text("z");
        assert_eq!(e.nodes().len(), 3);
        assert!(e.remove_child("b", "").is_some());
        assert_eq!(*e.nodes(), [Node::Text("xyz".into())]);
        assert_eq!(e.text(), "xyz");
    }

    #[test]
    fn a_lone_text_equals_and_hashes_as_its_node_vector() {
        use core::hash::BuildHasher;
        let compact = Element::new("a", "").with_text("hi");
        assert!(matches!(compact.children, Children::Text(_)));
        let mut spread = compact.clone();
        assert_eq!(spread.nodes_mut().len(), 1);
        assert!(matches!(spread.children, Children::Nodes(_)));
        assert_eq!(compact, spread);
        let h = std::hash::RandomState::new();
        assert_eq!(h.hash_one(&compact), h.hash_one(&spread));
        assert_eq!(compact.text(), "hi");
        assert_eq!(compact.node_count(), 1);
        assert_eq!(compact.children().count(), 0);
        let with_child = compact.with_child(Element::new("b", ""));
        assert_eq!(with_child.node_count(), 2);
        assert_eq!(with_child.nodes().first(), Some(&Node::Text("hi".into())));
    }

    #[test]
    fn set_attr_replaces_in_place() {
        let mut e = Element::new("a", "")
            .with_attr("x", "1")
            .with_attr("y", "2");
        e.set_attr("x", "3");
        let names: Vec<_> = e.attrs().iter().map(|a| (a.name(), a.value())).collect();
        assert_eq!(names, [("x", "3"), ("y", "2")]);
        assert_eq!(e.remove_attr_ns("x", ""), Some("3".into()));
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// The builder moves every element and attribute at least twice
    /// (into its scratch, then into the parent's vector): these sizes are
    /// what each move copies.
    #[test]
    fn node_sizes() {
        assert_eq!(size_of::<Atom>(), 16);
        assert_eq!(size_of::<Attribute>(), 56);
        assert_eq!(size_of::<Element>(), 88);
        assert_eq!(size_of::<Node>(), 88);
    }
}
