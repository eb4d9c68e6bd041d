//! The owned, namespace-resolved element tree (Namespaces in XML 1.0 §6:
//! every element name and attribute name is a pair of a namespace name and a
//! local name; prefixes are only spelling and are not kept).

use alloc::string::String;
use alloc::vec::Vec;

use compact_str::CompactString;

use crate::atom::Atom;

/// The namespace of the `xml` prefix (`xml:lang`), bound in every document.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    pub(crate) children: Vec<Node>,
}

impl Element {
    /// An empty element `name` in namespace `ns` (`""` for none).
    pub fn new(name: &str, ns: &str) -> Self {
        Self {
            name: Atom::new(name),
            ns: Atom::new(ns),
            attrs: Vec::new(),
            children: Vec::new(),
        }
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

    /// `xml:lang` on this element (RFC 6120 §8.1.5), not inherited.
    pub fn lang(&self) -> Option<&str> {
        self.attr_ns("lang", XML_NS)
    }

    /// Sets the attribute `name` (no namespace), replacing an earlier value
    /// in place so the order of attributes stays as it was.
    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        self.set_attr_ns(name, "", value);
    }

    /// Sets the attribute `name` in namespace `ns`.
    pub fn set_attr_ns(&mut self, name: &str, ns: &str, value: impl Into<String>) {
        // A `String` longer than the inline size keeps its buffer.
        let value = CompactString::from(value.into());
        match self
            .attrs
            .iter_mut()
            .find(|a| *a.name == *name && *a.ns == *ns)
        {
            Some(a) => a.value = value,
            None => self.attrs.push(Attribute {
                name: Atom::new(name),
                ns: Atom::new(ns),
                value,
            }),
        }
    }

    /// Removes the attribute `name` in namespace `ns`, returning its value.
    pub fn remove_attr_ns(&mut self, name: &str, ns: &str) -> Option<String> {
        let i = self
            .attrs
            .iter()
            .position(|a| *a.name == *name && *a.ns == *ns)?;
        Some(self.attrs.remove(i).value.into_string())
    }

    /// Builder form of [`set_attr`](Self::set_attr).
    #[must_use]
    pub fn with_attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder form of [`set_attr_ns`](Self::set_attr_ns).
    #[must_use]
    pub fn with_attr_ns(mut self, name: &str, ns: &str, value: impl Into<String>) -> Self {
        self.set_attr_ns(name, ns, value);
        self
    }

    /// The child nodes in document order.
    pub fn nodes(&self) -> &[Node] {
        &self.children
    }

    /// The child nodes, mutable. Keep text runs non-empty and never
    /// adjacent (or use [`push_text`](Self::push_text)) so that the tree
    /// round-trips through its serialization.
    pub fn nodes_mut(&mut self) -> &mut Vec<Node> {
        &mut self.children
    }

    /// Takes the child nodes.
    pub fn into_nodes(self) -> Vec<Node> {
        self.children
    }

    /// The child elements in document order.
    pub fn children(&self) -> impl DoubleEndedIterator<Item = &Self> + Clone {
        self.children.iter().filter_map(Node::as_element)
    }

    /// The child elements, mutable.
    pub fn children_mut(&mut self) -> impl Iterator<Item = &mut Self> {
        self.children.iter_mut().filter_map(|n| match n {
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
        let i = self
            .children
            .iter()
            .position(|n| n.as_element().is_some_and(|e| e.is(name, ns)))?;
        match self.children.remove(i) {
            Node::Element(e) => {
                self.merge_text_at(i);
                Some(e)
            }
            Node::Text(_) => None,
        }
    }

    /// After a removal at `i`, merges the text runs that became adjacent.
    fn merge_text_at(&mut self, i: usize) {
        if i == 0 || i >= self.children.len() {
            return;
        }
        if let (Some(Node::Text(_)), Some(Node::Text(_))) =
            (self.children.get(i - 1), self.children.get(i))
        {
            if let Node::Text(next) = self.children.remove(i) {
                if let Some(Node::Text(prev)) = self.children.get_mut(i - 1) {
                    prev.push_str(&next);
                }
            }
        }
    }

    /// Appends a child element.
    pub fn push_child(&mut self, child: Self) {
        self.children.push(Node::Element(child));
    }

    /// Appends text, merged into a preceding text run; empty text is ignored.
    pub fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.children.last_mut() {
            Some(Node::Text(t)) => t.push_str(text),
            _ => self.children.push(Node::Text(text.into())),
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
    pub fn text(&self) -> alloc::borrow::Cow<'_, str> {
        let mut runs = self.children.iter().filter_map(Node::as_text);
        let Some(first) = runs.next() else {
            return alloc::borrow::Cow::Borrowed("");
        };
        match runs.next() {
            None => alloc::borrow::Cow::Borrowed(first),
            Some(second) => {
                let mut s = String::from(first);
                s.push_str(second);
                runs.for_each(|r| s.push_str(r));
                alloc::borrow::Cow::Owned(s)
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
        assert_eq!(e.nodes(), &[Node::Text("xyz".into())]);
        assert_eq!(e.text(), "xyz");
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
