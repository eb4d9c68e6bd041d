//! `Jid` (RFC 7622 §3, or RFC 6122 with `legacy=True`), `JidError`, and the
//! XEP-0106 `escape_localpart` / `unescape_localpart` functions.

use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::errors::{JidError, with_attrs};

/// The `JidError` of an [`xmpp_jid::Error`]: `condition` is the kind that
/// `xmpp jid` prints (the same [`xmpp_jid::Error::kind`]), `part` the part,
/// `stanza_condition` the RFC 6120 §8.3.3 condition (`jid-malformed`).
pub(crate) fn jid_error(py: Python<'_>, e: &xmpp_jid::Error) -> PyErr {
    with_attrs::<JidError>(
        py,
        e.to_string(),
        &[
            ("condition", PyString::new(py, e.kind()).into_any()),
            ("part", PyString::new(py, e.part().as_str()).into_any()),
            (
                "stanza_condition",
                PyString::new(py, e.condition()).into_any(),
            ),
        ],
    )
}

/// An XMPP address, parsed and enforced (RFC 7622 §3: localpart
/// UsernameCaseMapped, domainpart IDNA2008, resourcepart OpaqueString), or
/// with `legacy=True` by RFC 6122's stringprep profiles.
///
/// Stored as the enforced string and the positions of its separators, so
/// the parts and the bare JID are slices of it. Two JIDs are equal when
/// their enforced forms are, and a JID equals the `str` of its enforced
/// form and hashes like it, so either can key a dict.
#[pyclass(module = "xmpp_primitives", frozen)]
pub(crate) struct Jid {
    /// The enforced form, `[local@]domain[/resource]`.
    text: String,
    /// The byte index of the `@` that ends the localpart, if there is one.
    at: Option<usize>,
    /// The byte index of the `/` that starts the resourcepart, if there is one.
    slash: Option<usize>,
    /// Parsed by RFC 6122 rules.
    legacy: bool,
}

impl Jid {
    fn from_parts(
        text: String,
        local: Option<usize>,
        domain: usize,
        resource: bool,
        legacy: bool,
    ) -> Self {
        let at = local;
        let domain_end = local.map_or(0, |l| l + 1) + domain;
        Self {
            text,
            at,
            slash: resource.then_some(domain_end),
            legacy,
        }
    }

    /// Parses `s`; the error is the crate's.
    pub(crate) fn parse(s: &str, legacy: bool) -> Result<Self, xmpp_jid::Error> {
        if legacy {
            let j = xmpp_jid::LegacyJid::new(s)?;
            let (l, d, r) = (
                j.localpart().map(str::len),
                j.domainpart().len(),
                j.resourcepart().is_some(),
            );
            Ok(Self::from_parts(j.into_string(), l, d, r, true))
        } else {
            let j = xmpp_jid::Jid::new(s)?;
            let (l, d, r) = (
                j.localpart().map(str::len),
                j.domainpart().len(),
                j.resourcepart().is_some(),
            );
            Ok(Self::from_parts(j.into_string(), l, d, r, false))
        }
    }

    fn domain_start(&self) -> usize {
        self.at.map_or(0, |a| a + 1)
    }

    fn bare_str(&self) -> &str {
        match self.slash {
            Some(s) => self.text.get(..s).unwrap_or(&self.text),
            None => &self.text,
        }
    }
}

#[pymethods]
impl Jid {
    /// Parses and enforces `s`; raises `JidError`.
    #[new]
    #[pyo3(signature = (s, *, legacy = false))]
    fn new(py: Python<'_>, s: &str, legacy: bool) -> PyResult<Self> {
        Self::parse(s, legacy).map_err(|e| jid_error(py, &e))
    }

    /// Parses `s` by RFC 6122 (Nodeprep, Nameprep, Resourceprep), as
    /// `Jid(s, legacy=True)`.
    #[staticmethod]
    #[pyo3(name = "legacy")]
    fn legacy_(py: Python<'_>, s: &str) -> PyResult<Self> {
        Self::new(py, s, true)
    }

    /// The localpart, or `None`.
    #[getter]
    fn localpart(&self) -> Option<&str> {
        self.at.and_then(|a| self.text.get(..a))
    }

    /// The domainpart.
    #[getter]
    fn domainpart(&self) -> &str {
        let end = self.slash.unwrap_or(self.text.len());
        self.text.get(self.domain_start()..end).unwrap_or_default()
    }

    /// The resourcepart, or `None`.
    #[getter]
    fn resourcepart(&self) -> Option<&str> {
        self.slash.and_then(|s| self.text.get(s + 1..))
    }

    /// The bare JID (`local@domain`), itself when it has no resource.
    #[getter]
    fn bare(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        let this = slf.get();
        if this.slash.is_none() {
            return Ok(slf.clone().unbind());
        }
        Py::new(
            slf.py(),
            Self {
                text: this.bare_str().to_owned(),
                at: this.at,
                slash: None,
                legacy: this.legacy,
            },
        )
    }

    /// Whether the JID has no resourcepart.
    #[getter]
    fn is_bare(&self) -> bool {
        self.slash.is_none()
    }

    /// Whether the JID has a resourcepart.
    #[getter]
    fn is_full(&self) -> bool {
        self.slash.is_some()
    }

    /// Whether the JID was parsed by RFC 6122 rules.
    #[getter]
    fn is_legacy(&self) -> bool {
        self.legacy
    }

    fn __str__(&self) -> &str {
        &self.text
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let text = PyString::new(py, &self.text).repr()?;
        Ok(if self.legacy {
            format!("Jid({text}, legacy=True)")
        } else {
            format!("Jid({text})")
        })
    }

    /// The hash of the enforced form as a `str`, so that `jid == str(jid)`
    /// keeps its promise in dicts and sets.
    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        PyString::new(py, &self.text).hash()
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let other_text = if let Ok(j) = other.cast::<Self>() {
            j.get().text.clone()
        } else if let Ok(s) = other.cast::<PyString>() {
            s.to_cow()?.into_owned()
        } else {
            return Ok(py.NotImplemented());
        };
        let result = match op {
            CompareOp::Eq => self.text == other_text,
            CompareOp::Ne => self.text != other_text,
            _ => return Ok(py.NotImplemented()),
        };
        Ok(pyo3::types::PyBool::new(py, result)
            .to_owned()
            .into_any()
            .unbind())
    }

    /// Pickling: parsed again from the enforced form (enforcement is
    /// idempotent, RFC 8264 §7).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let this = slf.get();
        let ctor = if this.legacy {
            py.get_type::<Self>().getattr("legacy")?
        } else {
            py.get_type::<Self>().into_any()
        };
        PyTuple::new(
            py,
            [
                ctor,
                PyTuple::new(py, [PyString::new(py, &this.text)])?.into_any(),
            ],
        )
    }
}

/// Escapes a user name for use as a localpart (XEP-0106 §4.2); raises
/// `JidError` for what escaping cannot express.
#[pyfunction]
fn escape_localpart(py: Python<'_>, name: &str) -> PyResult<String> {
    xmpp_jid::escape::escape(name)
        .map(|c| c.into_owned())
        .map_err(|e| jid_error(py, &e))
}

/// Unescapes a localpart for display (XEP-0106 §4.3): exactly the ten
/// escape sequences are replaced.
#[pyfunction]
fn unescape_localpart(localpart: &str) -> String {
    xmpp_jid::escape::unescape(localpart).into_owned()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Jid>()?;
    m.add_function(wrap_pyfunction!(escape_localpart, m)?)?;
    m.add_function(wrap_pyfunction!(unescape_localpart, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Jid;

    /// The separator positions give back the parts the crate reports, for
    /// every shape of address and both rule sets.
    #[test]
    fn parts_are_slices_of_the_enforced_form() {
        for (input, legacy, local, domain, resource) in [
            (
                "Juliet@Example.COM/Balcony",
                false,
                Some("juliet"),
                "example.com",
                Some("Balcony"),
            ),
            ("example.com", false, None, "example.com", None),
            (
                "example.com/a@b/c",
                false,
                None,
                "example.com",
                Some("a@b/c"),
            ),
            ("romeo@[::1]", false, Some("romeo"), "[::1]", None),
            ("Stra\u{DF}e@x/r", true, Some("strasse"), "x", Some("r")),
            ("b\u{FC}cher.example/", true, None, "", None),
        ] {
            let Ok(j) = Jid::parse(input, legacy) else {
                assert_eq!(domain, "", "{input}: refused");
                continue;
            };
            assert_eq!(j.localpart(), local, "{input}");
            assert_eq!(j.domainpart(), domain, "{input}");
            assert_eq!(j.resourcepart(), resource, "{input}");
            assert_eq!(j.is_full(), resource.is_some(), "{input}");
            let want_bare = match local {
                Some(l) => format!("{l}@{domain}"),
                None => domain.to_owned(),
            };
            assert_eq!(j.bare_str(), want_bare, "{input}");
        }
    }

    #[test]
    fn errors_carry_the_cli_kind() {
        let e = Jid::parse("@example.com", false).err();
        assert_eq!(e.map(|e| e.kind()), Some("empty-localpart"));
    }
}
