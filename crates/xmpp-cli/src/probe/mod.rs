//! `xmpp probe`: a conformance and hostile-input tester for other XMPP
//! servers. Each check has an id, the section it tests and its level
//! (MUST, SHOULD, MAY); raw checks send exact bytes on a plain connection
//! and read the answer through the framer, logged-in checks drive the
//! session machine over xmpp-tokio. The report is a table, or one JSON
//! object per check with `--json`; the exit status is 0 when every MUST
//! passed.

mod checks;
mod fuzz;
mod phases;
mod raw;
mod sasl;
mod tls;

use serde_json::json;
use xmpp_jid::BareJid;
use xmpp_sasl::{Hash, Mechanism};
use xmpp_session::{ClientConfig, SmConfig, TlsMode, TlsPolicy};
use xmpp_tokio::Trust;

use crate::io::{Exit, usage};

pub(crate) const USAGE: &str =
    "usage: xmpp probe --server HOST:PORT --domain D --user NAME:PASSWORD --user NAME2:PASSWORD2
                  [--tls starttls|direct|off] [--insecure] [--suite LIST] [--json]
                  [--fuzz --seconds N [--seed S]]
      --users-file PATH: the accounts as NAME:PASSWORD lines, instead of --user
      (which other local users can read in ps)
      suites: stream, sasl, bind, stanza, im, sm (default: all)
      a third --user, whose name holds ',' or '=', runs the SCRAM escaping check,
      and when its password holds a space, the SASLprep check (PLAIN with U+00A0)";

/// The suites, in the order they run.
pub(crate) const SUITES: [&str; 6] = ["stream", "sasl", "bind", "stanza", "im", "sm"];

/// What the checks need to know.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) server: String,
    pub(crate) domain: String,
    /// Two accounts, and optionally a third whose name SCRAM escapes.
    pub(crate) users: Vec<(String, String)>,
    pub(crate) tls: &'static str,
    pub(crate) insecure: bool,
    /// The mechanisms every login may use (`None`: the client's own
    /// choice). [`checks::run_all`] sets the mechanisms without `-PLUS`
    /// when the client's choice cannot log in and they can: a server that
    /// offers `-PLUS` but refuses every binding type the client has
    /// (ejabberd 23.01 takes `tls-unique` only, which TLS 1.3 lacks) would
    /// otherwise fail every logged-in check for a reason the sasl suite
    /// already reports.
    pub(crate) mechanisms: Option<Vec<Mechanism>>,
}

impl Target {
    /// A client configuration for account `n` (0, 1, or 2 when given) on
    /// this target.
    pub(crate) fn config(&self, n: usize) -> Result<ClientConfig, String> {
        let (name, password) = self.users.get(n).ok_or("no such account")?;
        let jid = BareJid::new(&format!("{name}@{}", self.domain)).map_err(|e| e.to_string())?;
        let mut config = ClientConfig::new(jid, password.clone())
            .sm(SmConfig::off())
            .request_fast_token(false);
        if let Some(m) = &self.mechanisms {
            config = config.mechanisms(m.iter().copied());
        }
        Ok(match self.tls {
            "direct" => config.tls_mode(TlsMode::Direct),
            "off" => config.tls(TlsPolicy::Off).allow_plain_unencrypted(true),
            _ => config,
        })
    }

    pub(crate) fn trust(&self) -> Trust {
        if self.insecure {
            Trust::Insecure
        } else {
            Trust::Roots(Vec::new())
        }
    }
}

/// The mechanisms a client that does not bind to the channel may use, in
/// its order of preference: its policy then excludes `-PLUS`, and SCRAM
/// sends gs2 flag `n` (RFC 5802 §6: the client shares no binding type with
/// the server).
pub(crate) fn unbound_mechanisms() -> Vec<Mechanism> {
    let scram = |hash| Mechanism::Scram { hash, plus: false };
    vec![
        scram(Hash::Sha512),
        scram(Hash::Sha256),
        scram(Hash::Sha1),
        Mechanism::Plain,
    ]
}

/// A check's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pass,
    Fail,
    Warn,
    Skip,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Warn => "warn",
            Self::Skip => "skip",
        }
    }
}

/// One check's report.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) id: &'static str,
    pub(crate) section: &'static str,
    pub(crate) level: &'static str,
    pub(crate) outcome: Outcome,
    pub(crate) detail: String,
    pub(crate) sent: String,
    pub(crate) received: String,
}

/// A report of a check that records nothing sent or received; the
/// outcome and detail as the checks' `*_outcome` functions give them.
pub(crate) fn report(
    id: &'static str,
    section: &'static str,
    level: &'static str,
    (outcome, detail): (Outcome, String),
) -> Report {
    Report {
        id,
        section,
        level,
        outcome,
        detail,
        sent: String::new(),
        received: String::new(),
    }
}

/// `s` cut to its first 600 bytes for a report, with its length when cut
/// (a hostile server's answer can be as long as the probe keeps).
pub(crate) fn truncate(s: &str) -> String {
    const MAX: usize = 600;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", s.get(..end).unwrap_or_default(), s.len())
}

struct Options {
    target: Target,
    suites: Vec<String>,
    json: bool,
    fuzz: Option<(u64, u64)>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let (mut server, mut domain, mut users) = (None, None, Vec::new());
    let mut tls = "starttls";
    let mut insecure = false;
    let mut suites: Vec<String> = SUITES.iter().map(|s| (*s).to_owned()).collect();
    let (mut json, mut fuzz, mut seconds, mut seed) = (false, false, None, 1u64);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--server" => server = Some(value()?),
            "--domain" => domain = Some(value()?),
            "--user" => {
                let v = value()?;
                let (n, p) = v.split_once(':').ok_or("--user takes NAME:PASSWORD")?;
                users.push((n.to_owned(), p.to_owned()));
            }
            "--users-file" => users.extend(crate::secrets::users_file(&value()?)?),
            "--tls" => {
                tls = match value()?.as_str() {
                    "starttls" => "starttls",
                    "direct" => "direct",
                    "off" => "off",
                    other => return Err(format!("--tls {other}: starttls, direct or off")),
                }
            }
            "--insecure" => insecure = true,
            "--suite" => {
                suites = value()?.split(',').map(str::to_owned).collect();
                if let Some(bad) = suites.iter().find(|s| !SUITES.contains(&s.as_str())) {
                    return Err(format!("unknown suite {bad}"));
                }
            }
            "--json" => json = true,
            "--fuzz" => fuzz = true,
            "--seconds" => {
                seconds = Some(
                    value()?
                        .parse::<u64>()
                        .map_err(|e| format!("--seconds: {e}"))?,
                );
            }
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !(2..=3).contains(&users.len()) {
        return Err("two --user accounts are needed (and a third may follow)".into());
    }
    let fuzz = match (fuzz, seconds) {
        (true, Some(s)) => Some((s, seed)),
        (true, None) => return Err("--fuzz needs --seconds N".into()),
        (false, _) => None,
    };
    Ok(Options {
        target: Target {
            server: server.ok_or("--server is required")?,
            domain: domain.ok_or("--domain is required")?,
            users,
            tls,
            insecure,
            mechanisms: None,
        },
        suites,
        json,
        fuzz,
    })
}

pub(crate) fn run(args: &[String]) -> Exit {
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) => return usage(&format!("xmpp probe: {e}\n{USAGE}")),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xmpp probe: {e}");
            return Exit::Invalid;
        }
    };
    if let Some((seconds, seed)) = o.fuzz {
        return runtime.block_on(fuzz::run(&o.target, seconds, seed, o.json));
    }
    let reports = runtime.block_on(checks::run_all(&o.target, &o.suites));
    print(&reports, o.json);
    let must_failed = reports
        .iter()
        .any(|r| r.level == "MUST" && r.outcome == Outcome::Fail);
    if must_failed { Exit::Invalid } else { Exit::Ok }
}

fn print(reports: &[Report], as_json: bool) {
    write_reports(&mut std::io::stdout().lock(), reports, as_json);
}

/// The reports as JSON lines, or as a table a person reads.
fn write_reports(out: &mut impl std::io::Write, reports: &[Report], as_json: bool) {
    if as_json {
        for r in reports {
            let line = json!({
                "id": r.id,
                "section": r.section,
                "level": r.level,
                "outcome": r.outcome.name(),
                "detail": r.detail,
                "sent": r.sent,
                "received": r.received,
            });
            let _ = writeln!(out, "{line}");
        }
        return;
    }
    // The columns as wide as their longest entry, so that they line up.
    let id = reports.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let section = reports
        .iter()
        .map(|r| r.section.chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "{:<id$} {:<section$} {:<6} {:<5} detail",
        "check", "section", "level", ""
    );
    for r in reports {
        let _ = writeln!(
            out,
            "{:<id$} {:<section$} {:<6} {:<5} {}",
            r.id,
            r.section,
            r.level,
            r.outcome.name(),
            r.detail
        );
    }
    let count = |o| reports.iter().filter(|r| r.outcome == o).count();
    let _ = writeln!(out, "{} warned (a SHOULD not met)", count(Outcome::Warn));
    let _ = writeln!(
        out,
        "{} passed, {} failed, {} skipped",
        count(Outcome::Pass),
        count(Outcome::Fail),
        count(Outcome::Skip)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(mechanisms: Option<Vec<Mechanism>>) -> Target {
        Target {
            server: "127.0.0.1:5222".into(),
            domain: "example.test".into(),
            users: vec![("alice".into(), "a".into()), ("bob".into(), "b".into())],
            tls: "starttls",
            insecure: true,
            mechanisms,
        }
    }

    #[test]
    fn accounts_come_from_users_or_a_users_file() {
        let path = std::env::temp_dir().join(format!("xmpp-probe-users-{}", std::process::id()));
        std::fs::write(&path, "alice:a\nbob:b:c\n").unwrap();
        let args = |extra: &[&str]| -> Vec<String> {
            ["--server", "127.0.0.1:5222", "--domain", "example.test"]
                .iter()
                .chain(extra)
                .map(|s| (*s).to_owned())
                .collect()
        };
        let file = path.to_string_lossy().into_owned();
        let o = parse(&args(&["--users-file", &file])).unwrap();
        assert_eq!(
            o.target.users,
            [("alice".into(), "a".into()), ("bob".into(), "b:c".into())]
        );
        // A third from --user, after the file's two.
        let o = parse(&args(&["--users-file", &file, "--user", "a,b:c d"])).unwrap();
        assert_eq!(o.target.users.len(), 3);
        assert!(parse(&args(&["--users-file", "/nonexistent/users"])).is_err());
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn the_table_columns_line_up_whatever_the_id_length() {
        let report = |id, section| Report {
            id,
            section,
            level: "MUST",
            outcome: Outcome::Pass,
            detail: "fine".into(),
            sent: String::new(),
            received: String::new(),
        };
        let reports = [
            report("host-unknown", "RFC 6120 §4.9.3.6"),
            report("sasl-unknown-user-indistinguishable", "RFC 5802 §5.1"),
        ];
        let mut out = Vec::new();
        write_reports(&mut out, &reports, false);
        let out = String::from_utf8(out).unwrap();
        // Where the section and level columns start, in characters.
        let at = |l: &str, word: &str| l.find(word).map(|i| l[..i].chars().count());
        let starts: Vec<_> = out
            .lines()
            .take(3)
            .map(|l| {
                (
                    at(l, "RFC").or(at(l, "section")),
                    at(l, " MUST ").or(at(l, " level ")),
                )
            })
            .collect();
        assert!(starts[0].0.is_some() && starts[0].1.is_some(), "{out}");
        assert!(starts.windows(2).all(|w| w[0] == w[1]), "{out}");
    }

    #[test]
    fn the_unbound_fallback_never_binds() {
        let unbound = unbound_mechanisms();
        assert!(
            unbound
                .iter()
                .all(|m| !matches!(m, Mechanism::Scram { plus: true, .. })),
            "{unbound:?}"
        );
        assert!(unbound.contains(&Mechanism::Plain));
    }

    #[test]
    fn every_login_uses_the_targets_mechanisms() {
        let config = target(Some(unbound_mechanisms())).config(1).unwrap();
        assert_eq!(config.mechanisms, unbound_mechanisms());
        assert!(target(None).config(0).unwrap().mechanisms.is_empty());
    }
}
