//! XEP-0030 service discovery (`disco#info`, `disco#items`) and XEP-0115
//! entity capabilities, with the verification string of XEP-0115 §5.1
//! over XEP-0128 extended information (XEP-0004 data forms).

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::Digest as _;
use xmpp_jid::Jid;

use crate::element::{Element, XML_NS};
use crate::error::PayloadError;
use crate::payload::{Payload, expect, jid_attr, required};

/// XEP-0030 `disco#info`.
pub const DISCO_INFO_NS: &str = "http://jabber.org/protocol/disco#info";
/// XEP-0030 `disco#items`.
pub const DISCO_ITEMS_NS: &str = "http://jabber.org/protocol/disco#items";
/// XEP-0115 entity capabilities.
pub const CAPS_NS: &str = "http://jabber.org/protocol/caps";
/// XEP-0004 data forms.
pub const DATA_FORMS_NS: &str = "jabber:x:data";

/// An `<identity/>` (XEP-0030 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    /// The category, e.g. `client`.
    pub category: String,
    /// The type, e.g. `pc`.
    pub type_: String,
    /// `xml:lang`, empty when absent.
    pub lang: String,
    /// The natural-language name, empty when absent.
    pub name: String,
}

/// One field of an XEP-0128 extended-information form: its `var` and values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    /// The field name.
    pub var: String,
    /// The field `type`, if given.
    pub type_: Option<String>,
    /// The values in order.
    pub values: Vec<String>,
}

/// An XEP-0004 `result` form attached to disco#info (XEP-0128).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataForm {
    /// The form `type` (`result` in disco#info).
    pub type_: String,
    /// The fields in order, `FORM_TYPE` included.
    pub fields: Vec<FormField>,
}

impl DataForm {
    /// The value of the hidden `FORM_TYPE` field, if exactly one.
    pub fn form_type(&self) -> Option<&str> {
        let f = self.fields.iter().find(|f| f.var == "FORM_TYPE")?;
        match f.values.as_slice() {
            [v] => Some(v),
            _ => None,
        }
    }

    fn from_element(e: &Element) -> Self {
        Self {
            type_: e.attr("type").unwrap_or_default().into(),
            fields: e
                .get_children("field", DATA_FORMS_NS)
                .map(|f| FormField {
                    var: f.attr("var").unwrap_or_default().into(),
                    type_: f.attr("type").map(String::from),
                    values: f
                        .get_children("value", DATA_FORMS_NS)
                        .map(|v| v.text().into_owned())
                        .collect(),
                })
                .collect(),
        }
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("x", DATA_FORMS_NS).with_attr("type", self.type_.as_str());
        for f in &self.fields {
            let mut fe = Element::new("field", DATA_FORMS_NS).with_attr("var", f.var.as_str());
            if let Some(t) = &f.type_ {
                fe.set_attr("type", t.as_str());
            }
            for v in &f.values {
                fe.push_child(Element::new("value", DATA_FORMS_NS).with_text(v));
            }
            e.push_child(fe);
        }
        e
    }
}

/// `<query xmlns='http://jabber.org/protocol/disco#info'/>` (XEP-0030 §3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DiscoInfo {
    /// The node queried (XEP-0030 §3.2), e.g. a caps node.
    pub node: Option<String>,
    /// Identities in order.
    pub identities: Vec<Identity>,
    /// Feature `var`s in order.
    pub features: Vec<String>,
    /// XEP-0128 extended information.
    pub forms: Vec<DataForm>,
}

impl Payload for DiscoInfo {
    const NAME: &'static str = "query";
    const NS: &'static str = DISCO_INFO_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        let mut info = Self {
            node: e.attr("node").map(String::from),
            ..Self::default()
        };
        for c in e.children() {
            match (c.ns(), c.name()) {
                (DISCO_INFO_NS, "identity") => info.identities.push(Identity {
                    category: required(c, "identity", "category")?.into(),
                    type_: required(c, "identity", "type")?.into(),
                    lang: c.lang().unwrap_or_default().into(),
                    name: c.attr("name").unwrap_or_default().into(),
                }),
                (DISCO_INFO_NS, "feature") => {
                    info.features.push(required(c, "feature", "var")?.into());
                }
                (DATA_FORMS_NS, "x") => info.forms.push(DataForm::from_element(c)),
                _ => {}
            }
        }
        Ok(info)
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("query", DISCO_INFO_NS);
        if let Some(n) = &self.node {
            e.set_attr("node", n.as_str());
        }
        for i in &self.identities {
            let mut ie = Element::new("identity", DISCO_INFO_NS)
                .with_attr("category", i.category.as_str())
                .with_attr("type", i.type_.as_str());
            if !i.lang.is_empty() {
                ie.set_attr_ns("lang", XML_NS, i.lang.as_str());
            }
            if !i.name.is_empty() {
                ie.set_attr("name", i.name.as_str());
            }
            e.push_child(ie);
        }
        for f in &self.features {
            e.push_child(Element::new("feature", DISCO_INFO_NS).with_attr("var", f.as_str()));
        }
        for f in &self.forms {
            e.push_child(f.to_element());
        }
        e
    }
}

/// Why a disco#info result has no XEP-0115 verification string (§5.4
/// rules a receiver must check before trusting a `ver`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CapsError {
    /// Two identities with the same category, type, lang and name.
    DuplicateIdentity,
    /// The same feature twice.
    DuplicateFeature,
    /// A form without exactly one `FORM_TYPE` value, or not hidden.
    BadFormType,
    /// Two forms with the same `FORM_TYPE`.
    DuplicateFormType,
}

impl core::fmt::Display for CapsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::DuplicateIdentity => "identity listed twice",
            Self::DuplicateFeature => "feature listed twice",
            Self::BadFormType => "extended form without a single FORM_TYPE value",
            Self::DuplicateFormType => "two extended forms with the same FORM_TYPE",
        })
    }
}

impl core::error::Error for CapsError {}

impl DiscoInfo {
    /// The XEP-0115 §5.1 verification string `S` (before hashing).
    pub fn caps_string(&self) -> Result<String, CapsError> {
        let mut ids: Vec<&Identity> = self.identities.iter().collect();
        ids.sort();
        if ids.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
            return Err(CapsError::DuplicateIdentity);
        }
        let mut features: Vec<&str> = self.features.iter().map(String::as_str).collect();
        features.sort_unstable();
        if features.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
            return Err(CapsError::DuplicateFeature);
        }
        let mut forms = Vec::with_capacity(self.forms.len());
        for f in &self.forms {
            forms.push((f.form_type().ok_or(CapsError::BadFormType)?, f));
        }
        forms.sort_by(|a, b| a.0.cmp(b.0));
        if forms.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
            return Err(CapsError::DuplicateFormType);
        }
        let mut s = String::new();
        for i in ids {
            for part in [&i.category, &i.type_, &i.lang] {
                s.push_str(part);
                s.push('/');
            }
            s.push_str(&i.name);
            s.push('<');
        }
        for f in features {
            s.push_str(f);
            s.push('<');
        }
        for (form_type, form) in forms {
            s.push_str(form_type);
            s.push('<');
            let mut fields: Vec<&FormField> = form
                .fields
                .iter()
                .filter(|f| f.var != "FORM_TYPE")
                .collect();
            fields.sort_by(|a, b| a.var.cmp(&b.var));
            for field in fields {
                s.push_str(&field.var);
                s.push('<');
                let mut values: Vec<&str> = field.values.iter().map(String::as_str).collect();
                values.sort_unstable();
                for v in values {
                    s.push_str(v);
                    s.push('<');
                }
            }
        }
        Ok(s)
    }

    /// The XEP-0115 `ver` with `sha-1` (§5.1 step 8), base64.
    pub fn caps_ver_sha1(&self) -> Result<String, CapsError> {
        let s = self.caps_string()?;
        Ok(STANDARD.encode(sha1::Sha1::digest(s.as_bytes())))
    }

    /// The `ver` for a hash name of the IANA registry this crate supports
    /// (`sha-1`, `sha-256`, `sha-512`); `None` for others.
    pub fn caps_ver(&self, hash: &str) -> Option<Result<String, CapsError>> {
        let s = match self.caps_string() {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        let b = s.as_bytes();
        Some(Ok(match hash {
            "sha-1" => STANDARD.encode(sha1::Sha1::digest(b)),
            "sha-256" => STANDARD.encode(sha2::Sha256::digest(b)),
            "sha-512" => STANDARD.encode(sha2::Sha512::digest(b)),
            _ => return None,
        }))
    }
}

/// `<c xmlns='http://jabber.org/protocol/caps'/>` (XEP-0115 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Caps {
    /// The hash function name, e.g. `sha-1`.
    pub hash: String,
    /// The software's URI.
    pub node: String,
    /// The verification string.
    pub ver: String,
    /// The legacy `ext` attribute, kept when present.
    pub ext: Option<String>,
}

impl Payload for Caps {
    const NAME: &'static str = "c";
    const NS: &'static str = CAPS_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        Ok(Self {
            hash: required(e, "c", "hash")?.into(),
            node: required(e, "c", "node")?.into(),
            ver: required(e, "c", "ver")?.into(),
            ext: e.attr("ext").map(String::from),
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("c", CAPS_NS)
            .with_attr("hash", self.hash.as_str())
            .with_attr("node", self.node.as_str())
            .with_attr("ver", self.ver.as_str());
        if let Some(x) = &self.ext {
            e.set_attr("ext", x.as_str());
        }
        e
    }
}

/// One `<item/>` of disco#items (XEP-0030 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoItem {
    /// The item's JID.
    pub jid: Jid,
    /// Its node.
    pub node: Option<String>,
    /// Its name.
    pub name: Option<String>,
}

/// `<query xmlns='http://jabber.org/protocol/disco#items'/>` (XEP-0030 §4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DiscoItems {
    /// The node queried.
    pub node: Option<String>,
    /// The items in order.
    pub items: Vec<DiscoItem>,
}

impl Payload for DiscoItems {
    const NAME: &'static str = "query";
    const NS: &'static str = DISCO_ITEMS_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        Ok(Self {
            node: e.attr("node").map(String::from),
            items: e
                .get_children("item", DISCO_ITEMS_NS)
                .map(|i| {
                    Ok(DiscoItem {
                        jid: jid_attr(i, "item", "jid")?.ok_or(PayloadError::MissingAttribute {
                            element: "item",
                            attribute: "jid",
                        })?,
                        node: i.attr("node").map(String::from),
                        name: i.attr("name").map(String::from),
                    })
                })
                .collect::<Result<_, PayloadError>>()?,
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("query", DISCO_ITEMS_NS);
        if let Some(n) = &self.node {
            e.set_attr("node", n.as_str());
        }
        for i in &self.items {
            let mut ie = Element::new("item", DISCO_ITEMS_NS).with_attr("jid", i.jid.as_str());
            if let Some(n) = &i.node {
                ie.set_attr("node", n.as_str());
            }
            if let Some(n) = &i.name {
                ie.set_attr("name", n.as_str());
            }
            e.push_child(ie);
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(xml: &str) -> DiscoInfo {
        DiscoInfo::from_element(&xml.parse().unwrap()).unwrap()
    }

    #[test]
    fn xep_0115_5_2_simple_generation_example() {
        let i = info(
            "<query xmlns='http://jabber.org/protocol/disco#info'>\
             <identity category='client' name='Exodus 0.9.1' type='pc'/>\
             <feature var='http://jabber.org/protocol/caps'/>\
             <feature var='http://jabber.org/protocol/disco#info'/>\
             <feature var='http://jabber.org/protocol/disco#items'/>\
             <feature var='http://jabber.org/protocol/muc'/></query>",
        );
        assert_eq!(
            i.caps_string().unwrap(),
            "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<\
             http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<"
        );
        assert_eq!(i.caps_ver_sha1().unwrap(), "QgayPKawpkPSDYmwT/WM94uAlu0=");
    }

    #[test]
    fn xep_0115_5_3_complex_generation_example() {
        let i = info(
            "<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>\
             <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>\
             <identity xml:lang='el' category='client' name='\u{3a8} 0.11' type='pc'/>\
             <feature var='http://jabber.org/protocol/caps'/>\
             <feature var='http://jabber.org/protocol/disco#info'/>\
             <feature var='http://jabber.org/protocol/disco#items'/>\
             <feature var='http://jabber.org/protocol/muc'/>\
             <x xmlns='jabber:x:data' type='result'>\
             <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>\
             <field var='ip_version'><value>ipv4</value><value>ipv6</value></field>\
             <field var='os'><value>Mac</value></field>\
             <field var='os_version'><value>10.5.1</value></field>\
             <field var='software'><value>Psi</value></field>\
             <field var='software_version'><value>0.11</value></field></x></query>",
        );
        assert_eq!(
            i.caps_string().unwrap(),
            "client/pc/el/\u{3a8} 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<\
             http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<\
             http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<ip_version<ipv4<ipv6<\
             os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<"
        );
        assert_eq!(i.caps_ver_sha1().unwrap(), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
        assert_eq!(DiscoInfo::from_element(&i.to_element()), Ok(i));
    }

    #[test]
    fn xep_0115_5_4_duplicates_have_no_ver() {
        let i = info(
            "<query xmlns='http://jabber.org/protocol/disco#info'>\
             <feature var='a'/><feature var='a'/></query>",
        );
        assert_eq!(i.caps_ver_sha1(), Err(CapsError::DuplicateFeature));
    }
}
