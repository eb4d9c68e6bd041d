//! The stream header (RFC 6120 §4.7-§4.8) and the BOSH `<body>` wrapper
//! (XEP-0124 §7, XEP-0206 §5): the root start tag made into a
//! `StreamOpen` event, with the checks of each transport.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::namespaces::Hit;
use super::state::{Level, Step};
use super::{Framer, Transport};
use crate::error::FramingError;
use crate::escape::{HTTPBIND_NS, STREAM_NS, unescape_attribute};
use crate::event::{Event, Namespaces, StreamHeader};

pub(super) const CONTENT_NAMESPACES: &str =
    "jabber:client, jabber:server, jabber:component:accept or jabber:component:connect";

impl Framer {
    /// The root start tag (TCP stream header or BOSH body) is complete.
    pub(super) fn open_root(&mut self, hit: Hit, empty: bool) -> Result<Step, FramingError> {
        let mut ns = Namespaces::default();
        for d in &self.decls {
            let value: Box<str> = match &d.owned {
                Some(o) => o.clone(),
                None => Box::from(&*String::from_utf8_lossy(self.rel(d.value))),
            };
            if d.prefix.0 == d.prefix.1 {
                ns.default = (!value.is_empty()).then_some(value);
            } else {
                ns.prefixes.push((
                    Box::from(&*String::from_utf8_lossy(self.rel(d.prefix))),
                    value,
                ));
            }
        }
        let element_ns = String::from_utf8_lossy(self.uri(hit)).into_owned();
        let qname = self.rel_str(self.tag.name);
        let local = self
            .tag
            .colon
            .map_or(self.tag.name, |c| (c + 1, self.tag.name.1));
        let local_is = |want: &[u8]| self.rel(local) == want;
        match self.transport {
            Transport::Tcp => {
                if element_ns != STREAM_NS {
                    return Err(FramingError::InvalidNamespace {
                        found: element_ns,
                        expected: STREAM_NS,
                    });
                }
                if !local_is(b"stream") {
                    return Err(FramingError::UnexpectedElement {
                        offset: self.offset(self.tok),
                        name: qname,
                    });
                }
                // RFC 6120 §4.8.2: the content namespace, when the header
                // declares one as its default namespace, is one this
                // crate frames: jabber:client or jabber:server (§4.8.3;
                // a server-to-server stream may also declare the dialback
                // prefix, `xmlns:db='jabber:server:dialback'`, XEP-0220
                // §2.1, which its `<db:result/>` and `<db:verify/>`
                // inherit like any prefix), or XEP-0114's component
                // namespaces, jabber:component:accept (a component
                // connecting to a server) and jabber:component:connect
                // (a server connecting to a component). A header may
                // also declare none and let every top-level element
                // declare its own (§4.8.2, prefix-free canonicalization);
                // a top-level element in no namespace is then refused
                // (see `finish_start_general`). That the two directions
                // of a session use the same content namespace is the
                // session's to check.
                if let Some(content) = ns.default.as_deref() {
                    if !matches!(
                        content,
                        "jabber:client"
                            | "jabber:server"
                            | "jabber:component:accept"
                            | "jabber:component:connect"
                    ) {
                        return Err(FramingError::InvalidNamespace {
                            found: content.to_string(),
                            expected: CONTENT_NAMESPACES,
                        });
                    }
                }
            }
            Transport::Bosh | Transport::BoshRequests | Transport::WebSocket => {
                if element_ns != HTTPBIND_NS || !local_is(b"body") {
                    return Err(FramingError::InvalidNamespace {
                        found: element_ns,
                        expected: HTTPBIND_NS,
                    });
                }
            }
        }
        let attrs: Vec<(String, String)> = self
            .attrs
            .iter()
            .map(|a| {
                (
                    self.rel_str(a.name),
                    unescape_attribute(&self.rel_str(a.value)).into_owned(),
                )
            })
            .collect();
        let header = StreamHeader {
            colon: self.tag.colon.map(|c| c - self.tag.name.0),
            qname: qname.clone(),
            ns: element_ns,
            attrs,
            namespaces: Arc::new(ns),
        };
        if self.transport == Transport::Tcp {
            check_version(header.version())?;
        }
        if self.transport.is_bosh() {
            let request = self.transport == Transport::BoshRequests;
            crate::bosh::check_body(&header.attrs, self.offset(self.tok), request)?;
        }
        self.ctx = header.namespaces.clone();
        self.root = qname;
        self.decls.clear();
        self.tok = self.pos;
        self.enter_level(Level::Stream);
        if empty {
            self.close_pending = true;
            self.end_stream();
        }
        Ok(self.emit(Event::StreamOpen(Box::new(header))))
    }
}

/// RFC 6120 §4.7.5: a version is `<major>.<minor>`, two integers. Which
/// versions a party speaks is the session's decision, not the framer's: a
/// receiving entity answers a higher version with its own (1.0) and goes on,
/// and only an initiating entity whose peer answers below what it needs
/// closes with `unsupported-version`. The framer refuses only a version that
/// is not a version at all.
pub(super) fn check_version(v: Option<&str>) -> Result<(), FramingError> {
    let Some(v) = v else { return Ok(()) };
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if v.split_once('.')
        .is_some_and(|(major, minor)| number(major) && number(minor))
    {
        Ok(())
    } else {
        Err(FramingError::UnsupportedVersion {
            version: v.to_string(),
        })
    }
}
