//! `xmpp_primitives.precis`: enforcement and comparison (RFC 8264 §3, §7)
//! under the profiles `xmpp precis` names.

use pyo3::prelude::*;
use pyo3::types::PyString;
use xmpp_precis::{Nickname, Profile, ProfileName};

use crate::errors::{PrecisError, with_attrs};

/// The `PrecisError` of an [`xmpp_precis::Error`]: `condition` is its kind
/// (as `xmpp precis` prints it); `code_point` and `offset` locate the
/// refused character when there is one.
fn precis_error(py: Python<'_>, e: &xmpp_precis::Error) -> PyErr {
    let (code_point, offset) = match e.position() {
        Some((c, o)) => (
            PyString::new(py, c.encode_utf8(&mut [0; 4])).into_any(),
            o.into_pyobject(py)
                .map(Bound::into_any)
                .unwrap_or_else(|_| py.None().into_bound(py)),
        ),
        None => (py.None().into_bound(py), py.None().into_bound(py)),
    };
    with_attrs::<PrecisError>(
        py,
        e.to_string(),
        &[
            ("condition", PyString::new(py, e.kind()).into_any()),
            ("code_point", code_point),
            ("offset", offset),
        ],
    )
}

/// The profile named `name` (the kebab-case names of `xmpp precis`, or the
/// RFC names, in any case); `ValueError` for any other name.
fn profile(name: &str) -> PyResult<ProfileName> {
    name.parse::<ProfileName>()
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// Enforces `s` under `profile` (`username-case-mapped`,
/// `username-case-preserved`, `opaque-string`, `nickname`); raises
/// `PrecisError`.
#[pyfunction]
fn enforce(py: Python<'_>, profile: &str, s: &str) -> PyResult<String> {
    let p = self::profile(profile)?;
    p.enforce(s)
        .map(|c| c.into_owned())
        .map_err(|e| precis_error(py, &e))
}

/// Whether `a` and `b` are equivalent under `profile` (RFC 8264 §7;
/// Nickname maps case for comparison only, RFC 8266 §2.4); raises
/// `PrecisError` when either is refused.
#[pyfunction]
fn compare(py: Python<'_>, profile: &str, a: &str, b: &str) -> PyResult<bool> {
    let p = self::profile(profile)?;
    p.compare(a, b).map_err(|e| precis_error(py, &e))
}

/// The form `compare` compares: the enforced form, and for Nickname the
/// case-mapped one (RFC 8266 §2.4).
#[pyfunction]
fn comparison_form(py: Python<'_>, profile: &str, s: &str) -> PyResult<String> {
    let p = self::profile(profile)?;
    let result = if p == ProfileName::Nickname {
        Nickname.comparison_form(s)
    } else {
        p.enforce(s)
    };
    result
        .map(|c| c.into_owned())
        .map_err(|e| precis_error(py, &e))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(enforce, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(comparison_form, m)?)?;
    m.add("PrecisError", py.get_type::<PrecisError>())?;
    let names: Vec<&str> = ProfileName::ALL.iter().map(|p| p.kebab_name()).collect();
    m.add("PROFILES", names)?;
    Ok(())
}
