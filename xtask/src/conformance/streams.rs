//! `cargo xtask conformance streams`: every golden stream of
//! `testdata/streams/` against an independent reference framer.
//!
//! The goldens are written by the framer they test (`cargo xtask golden`),
//! so `golden --check` only proves that the framer still agrees with
//! itself. Here each `<name>.jsonl` is compared with what Python's expat
//! (the standard library's `xml.parsers.expat`, namespace-aware; no PyPI)
//! makes of `<name>.xml`, under a thin layer of the XMPP rules XML alone
//! does not give: RFC 6120 §11 restricted XML and UTF-8, the stream and
//! content namespaces, restarts, WebSocket messages and BOSH bodies
//! (`streams_oracle.py` lists them). Both must agree on the element
//! boundaries (the exact bytes), names, namespaces, namespace declarations
//! and attributes (expanded names, normalized values) of every event, and
//! on accepting or refusing the stream (not on the condition, which expat
//! does not know). A stream on which they differ fails the run unless
//! `testdata/streams/expat-differences.tsv` has its row: the stream, what
//! each side does at the first difference, and why ours is right.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::oracle;
use crate::golden::render::transport_of;
use crate::util::{Result, root};

/// One event in the form both sides are compared in.
#[derive(Debug, PartialEq)]
enum Ev {
    Open(Named),
    Element(Named, String),
    Whitespace,
    Close,
    /// Refused; the text is for the report only.
    Error(String),
}

/// A start tag with its namespaces resolved: attributes keyed by expanded
/// name (`{ns}local`, or `local` in no namespace) and declarations by prefix
/// (`""` the default namespace).
#[derive(Debug, PartialEq)]
struct Named {
    name: String,
    ns: String,
    decls: BTreeMap<String, String>,
    attrs: BTreeMap<String, String>,
}

impl Ev {
    /// What the difference TSV says of an event: its kind, and an error's
    /// condition.
    fn summary(&self) -> String {
        match self {
            Self::Open(_) => "stream-open".to_owned(),
            Self::Element(..) => "element".to_owned(),
            Self::Whitespace => "whitespace".to_owned(),
            Self::Close => "stream-close".to_owned(),
            Self::Error(e) => format!("error {}", e.split(':').next().unwrap_or_default()),
        }
    }
}

pub(crate) fn run(_args: &[String]) -> Result {
    let dir = root().join("testdata").join("streams");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    let requests: Vec<Value> = names
        .iter()
        .map(|name| {
            let transport = match transport_of(name) {
                xmpp_stream::Transport::WebSocket => "websocket",
                xmpp_stream::Transport::Bosh => "bosh",
                xmpp_stream::Transport::BoshRequests => "bosh-requests",
                _ => "tcp",
            };
            json!({
                "name": name,
                "path": dir.join(format!("{name}.xml")),
                "transport": transport,
            })
        })
        .collect();
    let script = root()
        .join("xtask")
        .join("src")
        .join("conformance")
        .join("streams_oracle.py");
    let answers = oracle::ask(std::path::Path::new("python3"), &script, "frame", &requests)?;
    let known = known_differences()?;
    let mut seen = Vec::new();
    let mut unexplained = Vec::new();
    for (name, answer) in names.iter().zip(answers) {
        let theirs = answer.map_err(|e| format!("{name}: the oracle failed: {e}"))?;
        let theirs: Vec<Value> =
            serde_json::from_str(&theirs).map_err(|e| format!("{name}: oracle events: {e}"))?;
        let theirs: Vec<Ev> = theirs.iter().map(from_oracle).collect::<Result<_>>()?;
        let golden = dir.join(format!("{name}.jsonl"));
        let text =
            std::fs::read_to_string(&golden).map_err(|e| format!("{}: {e}", golden.display()))?;
        let ours = from_golden(&text).map_err(|e| format!("{name}.jsonl: {e}"))?;
        let Some((at, a, b)) = first_difference(&ours, &theirs) else {
            continue;
        };
        let row = (a.clone(), b.clone());
        match known.get(name.as_str()) {
            Some(known) if *known == row => seen.push(name.clone()),
            _ => {
                let detail = |e: Option<&Ev>| {
                    let text = match e {
                        Some(Ev::Error(m)) => format!("error ({m})"),
                        Some(e) => format!("{e:?}"),
                        None => "nothing".to_owned(),
                    };
                    // Adversarial streams have megabyte elements.
                    text.chars().take(300).collect::<String>()
                };
                unexplained.push(format!(
                    "{name}\t{a}\t{b}\n    event {at}: ours {}\n    event {at}: expat {}",
                    detail(ours.get(at)),
                    detail(theirs.get(at)),
                ));
            }
        }
    }
    let stale: Vec<&String> = known.keys().filter(|k| !seen.contains(k)).collect();
    eprintln!(
        "streams: {} golden streams, {} agree with expat, {} documented differences, {} \
         unexplained, {} stale rows",
        names.len(),
        names.len() - seen.len() - unexplained.len(),
        seen.len(),
        unexplained.len(),
        stale.len()
    );
    for u in &unexplained {
        eprintln!("  {u}");
    }
    if unexplained.is_empty() && stale.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} streams differ from expat without a row in testdata/streams/expat-differences.tsv, \
         {} rows there no longer match ({})",
        unexplained.len(),
        stale.len(),
        stale
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The first event where the two differ, as `(index, ours, theirs)`
/// summaries (`end` when a side has no more events).
fn first_difference(ours: &[Ev], theirs: &[Ev]) -> Option<(usize, String, String)> {
    let end = || "end".to_owned();
    for i in 0..ours.len().max(theirs.len()) {
        let (a, b) = (ours.get(i), theirs.get(i));
        let same = match (a, b) {
            (Some(Ev::Error(_)), Some(Ev::Error(_))) => true,
            (a, b) => a == b,
        };
        if !same {
            let a = a.map_or_else(end, Ev::summary);
            let b = b.map_or_else(end, Ev::summary);
            return Some((i, a, b));
        }
    }
    None
}

/// `expat-differences.tsv`: stream name to (ours, expat) at the first
/// difference; each row also gives the reason.
fn known_differences() -> Result<HashMap<String, (String, String)>> {
    let path = root()
        .join("testdata")
        .join("streams")
        .join("expat-differences.tsv");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut known = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        match line.split('\t').collect::<Vec<_>>()[..] {
            [name, ours, expat, reason] if !reason.trim().is_empty() => {
                known.insert(name.to_owned(), (ours.to_owned(), expat.to_owned()));
            }
            _ => return Err(format!("bad line in {}: {line}", path.display())),
        }
    }
    Ok(known)
}

fn string(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn from_oracle(v: &Value) -> Result<Ev> {
    let named = || Named {
        name: string(v, "name"),
        ns: string(v, "ns"),
        decls: string_map(&v["decls"]),
        attrs: string_map(&v["attrs"]),
    };
    Ok(match v["event"].as_str() {
        Some("stream-open") => Ev::Open(named()),
        Some("element") => Ev::Element(named(), string(v, "xml")),
        Some("whitespace") => Ev::Whitespace,
        Some("stream-close") => Ev::Close,
        Some("error") => Ev::Error(format!("refused: {}", string(v, "message"))),
        _ => return Err(format!("unknown oracle event {v}")),
    })
}

/// The golden events, their `attrs` (qualified names as written) split into
/// declarations and attributes with expanded names: a prefix resolves
/// against the tag's own declarations, then those of the stream header.
fn from_golden(text: &str) -> Result<Vec<Ev>> {
    let mut header: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let named = |inherited: &BTreeMap<String, String>| {
            let written = v["attrs"].as_object().cloned().unwrap_or_default();
            let value = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let mut decls = BTreeMap::new();
            for (k, v) in &written {
                if k == "xmlns" {
                    decls.insert(String::new(), value(v));
                } else if let Some(p) = k.strip_prefix("xmlns:") {
                    decls.insert(p.to_owned(), value(v));
                }
            }
            let mut attrs = BTreeMap::new();
            for (k, v) in &written {
                if k == "xmlns" || k.starts_with("xmlns:") {
                    continue;
                }
                let key = match k.split_once(':') {
                    None => k.clone(),
                    Some(("xml", local)) => format!("{{{}}}{local}", xmpp_stream::XML_NS),
                    Some((p, local)) => match decls.get(p).or_else(|| inherited.get(p)) {
                        Some(ns) => format!("{{{ns}}}{local}"),
                        None => format!("{{?{p}}}{local}"),
                    },
                };
                attrs.insert(key, value(v));
            }
            Named {
                name: string(&v, "name"),
                ns: string(&v, "ns"),
                decls,
                attrs,
            }
        };
        out.push(match v["event"].as_str() {
            Some("stream-open") => {
                let n = named(&BTreeMap::new());
                header = n.decls.clone();
                Ev::Open(n)
            }
            Some("element") => Ev::Element(named(&header), string(&v, "xml")),
            Some("whitespace") => Ev::Whitespace,
            Some("stream-close") => Ev::Close,
            Some("error") => Ev::Error(format!(
                "{}: {}",
                string(&v, "condition"),
                string(&v, "message")
            )),
            _ => return Err(format!("unknown event: {line}")),
        });
    }
    Ok(out)
}
