//! The sasl suite's hostile checks: SASL (RFC 6120 §6) on a raw stream
//! the probe drives itself after STARTTLS or direct TLS ([`stream`]), so
//! that it can abort, send what no client machine would (a bad gs2 flag,
//! bad base64, someone else's authzid, gs2 flag `y` against `-PLUS`) and
//! read the server's SCRAM messages as they are (XEP-0474). The SCRAM
//! arithmetic is xmpp-sasl's client.

pub(super) mod stream;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use xmpp_sasl::{CbindFlag, Choice, Mechanism, Nonce, Ssdp, SsdpForm};
use xmpp_stanza::{SASL_NS, Sasl, StreamFeatures};

use super::raw::Raw;
use super::{Outcome, Report, Target, report, truncate};
use stream::{Reply, SaslStream, open, open_cleartext, pick_scram, stream_features};

pub(crate) async fn run(t: &Target, out: &mut Vec<Report>) {
    plain_cleartext(t, out).await;
    encryption_required(t, out).await;
    too_weak(t, out).await;
    abort(t, out).await;
    malformed(t, out, Garbage::Gs2Flag).await;
    malformed(t, out, Garbage::Base64).await;
    authzid_other(t, out).await;
    authzid_self(t, out).await;
    plus_downgrade(t, out).await;
    saslprep(t, out).await;
    ssdp(t, out).await;
}

/// RFC 6120 §13.8.3: "A server MUST NOT offer SASL PLAIN if the
/// confidentiality and integrity of the stream are not protected via TLS
/// or an equivalent security layer" (and §6.3.4: a mechanism that needs
/// TLS is not offered before it).
async fn plain_cleartext(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-plain-cleartext";
    const SECTION: &str = "RFC 6120 §13.8.3";
    if t.tls == "direct" {
        out.push(report(
            ID,
            SECTION,
            "MUST",
            (
                Outcome::Skip,
                "direct TLS: nothing is offered in the clear".into(),
            ),
        ));
        return;
    }
    let result = async {
        let mut raw = Raw::open(&t.server)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let features = stream_features(&mut raw, &t.domain).await?;
        StreamFeatures::from_element(&features).map_err(|e| e.to_string())
    }
    .await;
    out.push(report(
        ID,
        SECTION,
        "MUST",
        match result {
            Ok(f) => cleartext_outcome(&f),
            Err(e) => (Outcome::Fail, e),
        },
    ));
}

fn cleartext_outcome(f: &StreamFeatures) -> (Outcome, String) {
    match &f.mechanisms {
        Some(m) if m.iter().any(|m| m == "PLAIN") => (
            Outcome::Fail,
            format!("PLAIN offered before TLS ({})", m.join(" ")),
        ),
        Some(m) => (
            Outcome::Pass,
            format!("before TLS: {} (no PLAIN)", m.join(" ")),
        ),
        None => (Outcome::Pass, "no mechanisms before TLS".into()),
    }
}

/// The password the policy checks send with PLAIN: never the account's
/// own, since they send it where the server did not offer PLAIN.
const NOT_THE_PASSWORD: &str = "probe: not the password";

/// PLAIN with the first account's name and [`NOT_THE_PASSWORD`].
fn plain_wrong(t: &Target) -> String {
    let name = t.users.first().map_or("probe", |(n, _)| n.as_str());
    format!("\0{name}\0{NOT_THE_PASSWORD}")
}

/// RFC 6120 §6.5.3: PLAIN sent before TLS to a server that offers it only
/// after TLS is refused with `<encryption-required/>` (or, §6.5.9's own
/// example, `<mechanism-too-weak/>`), before the credentials are read. A
/// wrong password is sent, so that nothing real crosses in the clear.
async fn encryption_required(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-encryption-required";
    const SECTION: &str = "RFC 6120 §6.5.3";
    if t.tls == "direct" {
        out.push(report(
            ID,
            SECTION,
            "SHOULD",
            (
                Outcome::Skip,
                "direct TLS: nothing is offered in the clear".into(),
            ),
        ));
        return;
    }
    let result = async {
        let mut s = open_cleartext(t).await?;
        if s.mechanisms.iter().any(|m| m == "PLAIN") {
            return Ok(Err(
                "PLAIN is offered before TLS (see sasl-plain-cleartext)",
            ));
        }
        if !s.starttls {
            return Ok(Err(
                "no STARTTLS offered: there is no encryption to require",
            ));
        }
        s.auth("PLAIN", plain_wrong(t).as_bytes()).await;
        Ok::<_, String>(Ok(s.reply().await))
    }
    .await;
    out.push(report(
        ID,
        SECTION,
        "SHOULD",
        match result {
            Ok(Ok(reply)) => encryption_required_outcome(&reply),
            Ok(Err(why)) => (Outcome::Skip, why.into()),
            Err(e) => (Outcome::Fail, e),
        },
    ));
}

fn encryption_required_outcome(reply: &Reply) -> (Outcome, String) {
    let said = reply.describe();
    match reply {
        Reply::Failure(c) if c == "encryption-required" || c == "mechanism-too-weak" => {
            (Outcome::Pass, format!("PLAIN before TLS: {said}"))
        }
        Reply::Success(_) => (
            Outcome::Fail,
            format!("PLAIN before TLS with a wrong password: {said}"),
        ),
        Reply::Failure(c) if c == "not-authorized" => (
            Outcome::Warn,
            format!("PLAIN before TLS: {said}, so the credentials were checked in the clear"),
        ),
        _ => (
            Outcome::Warn,
            format!("PLAIN before TLS: {said}; §6.5.3 names <encryption-required/>"),
        ),
    }
}

/// RFC 6120 §6.5.9: after TLS, a password mechanism the server leaves out
/// of its list and that is weaker than every one it offers (PLAIN, else
/// SCRAM-SHA-1 when only stronger SCRAM hashes are offered) is refused,
/// as `<mechanism-too-weak/>` or as `<invalid-mechanism/>` (§6.5.5, a
/// mechanism it does not have), not run. Skipped when the server offers
/// both, so no policy leaves one out.
async fn too_weak(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-mechanism-too-weak";
    const SECTION: &str = "RFC 6120 §6.5.9";
    let result = async {
        let mut s = open(t).await?;
        let Some(name) = weaker_left_out(&s.mechanisms) else {
            return Ok(Err(format!(
                "no weaker password mechanism is left out: {}",
                s.mechanisms.join(" ")
            )));
        };
        let initial = if name == "PLAIN" {
            plain_wrong(t)
        } else {
            scram_first(t)
        };
        s.auth(name, initial.as_bytes()).await;
        Ok::<_, String>(Ok((name, s.reply().await)))
    }
    .await;
    out.push(report(
        ID,
        SECTION,
        "SHOULD",
        match result {
            Ok(Ok((name, reply))) => too_weak_outcome(name, &reply),
            Ok(Err(why)) => (Outcome::Skip, why),
            Err(e) => (Outcome::Fail, e),
        },
    ));
}

/// The password mechanism [`too_weak`] tries among `offered`: PLAIN when
/// it is left out and a SCRAM is offered, else SCRAM-SHA-1 when it is left
/// out and a stronger SCRAM is offered.
fn weaker_left_out(offered: &[String]) -> Option<&'static str> {
    let has = |name: &str| offered.iter().any(|m| m == name);
    let stronger_scram = has("SCRAM-SHA-256")
        || has("SCRAM-SHA-512")
        || offered
            .iter()
            .any(|m| m.starts_with("SCRAM-") && m.ends_with("-PLUS"));
    if !has("PLAIN") && (stronger_scram || has("SCRAM-SHA-1")) {
        Some("PLAIN")
    } else if !has("SCRAM-SHA-1") && stronger_scram {
        Some("SCRAM-SHA-1")
    } else {
        None
    }
}

fn too_weak_outcome(name: &str, reply: &Reply) -> (Outcome, String) {
    let said = reply.describe();
    match reply {
        Reply::Failure(c) if c == "mechanism-too-weak" => {
            (Outcome::Pass, format!("{name}, not offered: {said}"))
        }
        Reply::Failure(c) if c == "invalid-mechanism" => (
            Outcome::Pass,
            format!("{name}, not offered: {said} (not supported; §6.5.9 would name the policy)"),
        ),
        Reply::Success(_) => (
            Outcome::Fail,
            format!("{name}, not offered, with a wrong password: {said}"),
        ),
        _ => (
            Outcome::Warn,
            format!(
                "{name}, not offered: {said}, so the server ran a mechanism its policy left out"
            ),
        ),
    }
}

/// A raw stream after TLS and a SCRAM mechanism it offers, or the MUST
/// check `id` reported as failed (no stream) or skipped (no SCRAM).
async fn open_scram(
    t: &Target,
    id: &'static str,
    section: &'static str,
    out: &mut Vec<Report>,
) -> Option<(SaslStream, Mechanism)> {
    let s = match open(t).await {
        Ok(s) => s,
        Err(e) => {
            out.push(report(id, section, "MUST", (Outcome::Fail, e)));
            return None;
        }
    };
    let Some(mechanism) = pick_scram(&s.mechanisms) else {
        out.push(report(
            id,
            section,
            "MUST",
            (Outcome::Skip, "no SCRAM offered".into()),
        ));
        return None;
    };
    Some((s, mechanism))
}

/// RFC 6120 §6.4.4: `<abort/>` is answered with `<failure><aborted/>`;
/// then (§6.4.5, retries SHOULD be allowed) a new handshake on the same
/// stream.
async fn abort(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-abort";
    const SECTION: &str = "RFC 6120 §6.4.4";
    const RETRY: &str = "sasl-abort-retry";
    const RETRY_SECTION: &str = "RFC 6120 §6.4.5";
    let Some((mut s, mechanism)) = open_scram(t, ID, SECTION, out).await else {
        return;
    };
    let first = scram_first(t);
    s.auth(mechanism.name(), first.as_bytes()).await;
    let challenge = s.reply().await;
    if !matches!(challenge, Reply::Challenge(_)) {
        out.push(report(
            ID,
            SECTION,
            "MUST",
            (
                Outcome::Fail,
                format!("{mechanism} answered with {}", challenge.describe()),
            ),
        ));
        return;
    }
    s.send(&Sasl::Abort.to_element()).await;
    let reply = s.reply().await;
    let aborted = matches!(&reply, Reply::Failure(_));
    out.push(report(ID, SECTION, "MUST", abort_outcome(&reply)));
    if !aborted {
        out.push(report(
            RETRY,
            RETRY_SECTION,
            "SHOULD",
            (Outcome::Skip, "no <failure/> to <abort/>".into()),
        ));
        return;
    }
    out.push(report(
        RETRY,
        RETRY_SECTION,
        "SHOULD",
        retry_outcome(s.login(t, 0).await),
    ));
}

fn abort_outcome(reply: &Reply) -> (Outcome, String) {
    match reply {
        Reply::Failure(c) if c == "aborted" => {
            (Outcome::Pass, "<failure><aborted/></failure>".into())
        }
        other => (
            Outcome::Fail,
            format!(
                "{} instead of <failure><aborted/></failure>",
                other.describe()
            ),
        ),
    }
}

/// A login on a stream that already saw a failure: pass when it succeeds.
fn retry_outcome(result: Result<Reply, String>) -> (Outcome, String) {
    match result {
        Ok(Reply::Success(_)) => (
            Outcome::Pass,
            "a new handshake on the same stream succeeded".into(),
        ),
        Ok(other) => (
            Outcome::Warn,
            format!(
                "a new handshake on the same stream got {}",
                other.describe()
            ),
        ),
        Err(e) => (
            Outcome::Warn,
            format!("a new handshake on the same stream: {e}"),
        ),
    }
}

/// A client-first-message for account 0 with gs2 flag `n`.
fn scram_first(t: &Target) -> String {
    let name = t.users.first().map_or("probe", |(n, _)| n.as_str());
    format!("n,,n={},r=probe{}", escape_saslname(name), nonce_suffix())
}

fn nonce_suffix() -> String {
    Nonce::from_os().map_or_else(|_| "0123456789abcdef".into(), |n| n.as_str().to_owned())
}

/// RFC 5802 §5.1: ',' and '=' in a saslname are written `=2C` and `=3D`.
fn escape_saslname(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

/// What a malformed initial response is made of.
#[derive(Debug, Clone, Copy)]
enum Garbage {
    /// A client-first-message whose gs2-cbind-flag is `x` (RFC 5802 §7
    /// allows `n`, `y` and `p=`): a syntax violation, §6.5.8.
    Gs2Flag,
    /// Text that is not base64 at all: §6.5.5.
    Base64,
}

impl Garbage {
    fn ids(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Self::Gs2Flag => (
                "sasl-malformed",
                "sasl-malformed-condition",
                "RFC 6120 §6.5.8",
                "malformed-request",
            ),
            Self::Base64 => (
                "sasl-bad-base64",
                "sasl-bad-base64-condition",
                "RFC 6120 §6.5.5",
                "incorrect-encoding",
            ),
        }
    }
}

/// RFC 6120 §6.4.5: a failed handshake is reported with `<failure/>` and
/// its condition (the MUST), the one §6.5 names for the cause (checked
/// as a SHOULD: §6.5 leaves "appropriate" to judgement), and the stream
/// stays for a retry (SHOULD).
async fn malformed(t: &Target, out: &mut Vec<Report>, garbage: Garbage) {
    const SECTION: &str = "RFC 6120 §6.4.5";
    let (id, condition_id, condition_section, expected) = garbage.ids();
    let Some((mut s, mechanism)) = open_scram(t, id, SECTION, out).await else {
        return;
    };
    let sent = match garbage {
        Garbage::Gs2Flag => {
            let first = scram_first(t);
            let bad = format!("x{}", first.get(1..).unwrap_or_default());
            let text = STANDARD.encode(bad.as_bytes());
            format!("<auth xmlns='{SASL_NS}' mechanism='{mechanism}'>{text}</auth>")
        }
        Garbage::Base64 => {
            format!("<auth xmlns='{SASL_NS}' mechanism='{mechanism}'>@@not*base64@@</auth>")
        }
    };
    s.raw.send(sent.as_bytes()).await;
    let reply = s.reply().await;
    let received = truncate(&s.raw.answer().received);
    let Reply::Failure(condition) = &reply else {
        let mut r = report(
            id,
            SECTION,
            "MUST",
            (
                Outcome::Fail,
                format!("{} instead of a <failure/>", reply.describe()),
            ),
        );
        r.sent = sent;
        r.received = received;
        out.push(r);
        out.push(report(
            condition_id,
            condition_section,
            "SHOULD",
            (Outcome::Skip, "no <failure/>".into()),
        ));
        return;
    };
    let condition = condition.clone();
    let (outcome, detail) = retry_outcome(s.login(t, 0).await);
    let mut r = report(
        id,
        SECTION,
        "MUST",
        (
            outcome,
            format!("<failure><{condition}/></failure>; {detail}"),
        ),
    );
    r.sent = sent;
    r.received = received;
    out.push(r);
    out.push(report(
        condition_id,
        condition_section,
        "SHOULD",
        condition_outcome(&condition, expected),
    ));
}

fn condition_outcome(got: &str, expected: &str) -> (Outcome, String) {
    if got == expected {
        (Outcome::Pass, format!("<{got}/>"))
    } else {
        (
            Outcome::Warn,
            format!("<{got}/>, RFC 6120 names <{expected}/>"),
        )
    }
}

/// RFC 6120 §6.3.8: an authzid the authenticated entity may not assume
/// "MUST return an `<invalid-authzid/>` SASL error" (§6.5.6); above all,
/// the login must not become the other account.
async fn authzid_other(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-authzid-other";
    const CONDITION: &str = "sasl-authzid-other-condition";
    const SECTION: &str = "RFC 6120 §6.3.8";
    let Some((other, _)) = t.users.get(1) else {
        return;
    };
    let other = format!("{other}@{}", t.domain);
    let result = async {
        let mut s = open(t).await?;
        let mechanism = pick_scram(&s.mechanisms)
            .or_else(|| {
                s.mechanisms
                    .iter()
                    .any(|m| m == "PLAIN")
                    .then_some(Mechanism::Plain)
            })
            .ok_or("neither SCRAM nor PLAIN offered")?;
        let reply = s
            .exchange(t, 0, Choice::unbound(mechanism), Some(other.clone()))
            .await?;
        let bound = match reply {
            Reply::Success(_) => Some(s.bound_jid().await.unwrap_or_else(|e| e)),
            _ => None,
        };
        Ok::<_, String>((mechanism, reply, bound))
    }
    .await;
    let (mechanism, reply, bound) = match result {
        Ok(r) => r,
        Err(e) => {
            out.push(report(ID, SECTION, "MUST", (Outcome::Fail, e)));
            out.push(report(
                CONDITION,
                "RFC 6120 §6.5.6",
                "MUST",
                (Outcome::Skip, "no answer".into()),
            ));
            return;
        }
    };
    let (refused, condition) = authzid_outcomes(&reply, bound.as_deref(), &other);
    out.push(report(
        ID,
        SECTION,
        "MUST",
        (
            refused.0,
            format!("{mechanism} with authzid {other}: {}", refused.1),
        ),
    ));
    out.push(report(CONDITION, "RFC 6120 §6.5.6", "MUST", condition));
}

/// The two outcomes of `sasl-authzid-other`: refused at all, and with
/// which condition.
fn authzid_outcomes(
    reply: &Reply,
    bound: Option<&str>,
    other: &str,
) -> ((Outcome, String), (Outcome, String)) {
    match reply {
        Reply::Failure(c) => (
            (Outcome::Pass, format!("refused with <{c}/>")),
            if c == "invalid-authzid" {
                (Outcome::Pass, "<invalid-authzid/>".into())
            } else {
                (
                    Outcome::Fail,
                    format!("<{c}/> instead of <invalid-authzid/>"),
                )
            },
        ),
        Reply::Success(_) => {
            let bound = bound.unwrap_or_default();
            let as_other = bound.split('/').next() == Some(other);
            (
                (
                    Outcome::Fail,
                    if as_other {
                        format!("accepted: logged in as the other account ({bound})")
                    } else {
                        format!("accepted, the authzid ignored (bound {bound})")
                    },
                ),
                (Outcome::Skip, "accepted".into()),
            )
        }
        other_reply => (
            (Outcome::Fail, other_reply.describe()),
            (Outcome::Skip, "no <failure/>".into()),
        ),
    }
}

/// RFC 6120 §6.3.8: an authzid equal to the account's own bare JID. A
/// client "MUST NOT provide" one when not acting for another entity, so a
/// server may accept it or refuse it: accepted passes, refused is noted.
async fn authzid_self(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-authzid-self";
    const SECTION: &str = "RFC 6120 §6.3.8";
    let Some((me, _)) = t.users.first() else {
        return;
    };
    let me = format!("{me}@{}", t.domain);
    let result = async {
        let mut s = open(t).await?;
        let mechanism = pick_scram(&s.mechanisms).ok_or("no SCRAM offered")?;
        s.exchange(t, 0, Choice::unbound(mechanism), Some(me.clone()))
            .await
    }
    .await;
    out.push(report(
        ID,
        SECTION,
        "MAY",
        match result {
            Ok(Reply::Success(_)) => (Outcome::Pass, format!("authzid {me} accepted")),
            Ok(Reply::Failure(c)) => (
                Outcome::Skip,
                format!(
                    "authzid {me} refused with <{c}/> (allowed: clients send none for themselves)"
                ),
            ),
            Ok(other) => (Outcome::Fail, other.describe()),
            Err(e) => (Outcome::Fail, e),
        },
    ));
}

/// RFC 4616 §2 and RFC 8265 §4.2: the server prepares a PLAIN password
/// with the OpaqueString profile, which maps every non-ASCII space to
/// U+0020; the third account's password, when it holds a space, is sent
/// with U+00A0 in its place and must log in.
async fn saslprep(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-saslprep";
    const SECTION: &str = "RFC 8265 §4.2";
    let Some((user, password)) = t.users.get(2).filter(|(_, p)| p.contains(' ')) else {
        out.push(report(
            ID,
            SECTION,
            "SHOULD",
            (
                Outcome::Skip,
                "needs a third --user whose password holds a space".into(),
            ),
        ));
        return;
    };
    let result = async {
        let mut s = open(t).await?;
        if !s.mechanisms.iter().any(|m| m == "PLAIN") {
            return Ok(None);
        }
        let variant = password.replace(' ', "\u{a0}");
        s.auth("PLAIN", format!("\0{user}\0{variant}").as_bytes())
            .await;
        Ok::<_, String>(Some(s.reply().await))
    }
    .await;
    out.push(report(
        ID,
        SECTION,
        "SHOULD",
        match result {
            Ok(None) => (Outcome::Skip, "PLAIN not offered after TLS".into()),
            Ok(Some(reply)) => saslprep_outcome(&reply),
            Err(e) => (Outcome::Fail, e),
        },
    ));
}

fn saslprep_outcome(reply: &Reply) -> (Outcome, String) {
    match reply {
        Reply::Success(_) => (
            Outcome::Pass,
            "PLAIN with U+00A0 for the password's space logged in".into(),
        ),
        Reply::Failure(c) => (
            Outcome::Warn,
            format!(
                "PLAIN with U+00A0 for the password's space refused with <{c}/>: \
                 the password was not prepared (OpaqueString maps it to U+0020)"
            ),
        ),
        other => (Outcome::Fail, other.describe()),
    }
}

/// RFC 5802 §6: a client that could bind but saw no `-PLUS` sends gs2
/// flag `y`; "If the flag is set to "y" and the server supports channel
/// binding, the server MUST fail authentication" (a stripped `-PLUS` is
/// a downgrade).
async fn plus_downgrade(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-plus-downgrade";
    const SECTION: &str = "RFC 5802 §6";
    let result = async {
        let mut s = open(t).await?;
        let plus: Vec<String> = s
            .mechanisms
            .iter()
            .filter(|m| m.ends_with("-PLUS"))
            .cloned()
            .collect();
        if plus.is_empty() {
            return Ok(None);
        }
        let mechanism = pick_scram(&s.mechanisms).ok_or("-PLUS offered but no SCRAM without it")?;
        let choice = Choice {
            mechanism,
            cbind: CbindFlag::NotOffered,
        };
        let reply = s.exchange(t, 0, choice, None).await?;
        Ok::<_, String>(Some((plus, mechanism, reply)))
    }
    .await;
    out.push(report(
        ID,
        SECTION,
        "MUST",
        match result {
            Ok(None) => (Outcome::Skip, "no -PLUS mechanism offered".into()),
            Ok(Some((plus, mechanism, reply))) => downgrade_outcome(&plus, mechanism, &reply),
            Err(e) => (Outcome::Fail, e),
        },
    ));
}

fn downgrade_outcome(plus: &[String], mechanism: Mechanism, reply: &Reply) -> (Outcome, String) {
    let offered = plus.join(" ");
    match reply {
        Reply::Failure(c) => (
            Outcome::Pass,
            format!("{mechanism} with gs2 flag y refused with <{c}/> (offers {offered})"),
        ),
        Reply::Success(_) => (
            Outcome::Fail,
            format!("{mechanism} with gs2 flag y accepted although it offers {offered}"),
        ),
        other => (Outcome::Fail, other.describe()),
    }
}

/// XEP-0474 §6.1: a server that sends the downgrade-protection hash
/// (attribute `h`, or `d` before version 0.4) sends the hash of exactly
/// the lists it advertised; a client MUST fail on a mismatch (§6.2), so a
/// wrong hash breaks every login of a client that checks it.
async fn ssdp(t: &Target, out: &mut Vec<Report>) {
    const ID: &str = "sasl-ssdp";
    const SECTION: &str = "XEP-0474 §6.1";
    let result = async {
        let mut s = open(t).await?;
        let mechanism = pick_scram(&s.mechanisms).ok_or("no SCRAM offered")?;
        let first = scram_first(t);
        s.auth(mechanism.name(), first.as_bytes()).await;
        let reply = s.reply().await;
        s.send(&Sasl::Abort.to_element()).await;
        match reply {
            Reply::Challenge(server_first) => {
                Ok((s.mechanisms, s.bindings, mechanism, server_first))
            }
            other => Err(format!("{mechanism} answered with {}", other.describe())),
        }
    }
    .await;
    out.push(report(
        ID,
        SECTION,
        "MUST",
        match result {
            Ok((mechanisms, bindings, mechanism, server_first)) => {
                ssdp_outcome(&mechanisms, bindings.as_deref(), mechanism, &server_first)
            }
            Err(e) => (Outcome::Fail, e),
        },
    ));
}

fn ssdp_outcome(
    mechanisms: &[String],
    bindings: Option<&[String]>,
    mechanism: Mechanism,
    server_first: &[u8],
) -> (Outcome, String) {
    let Some(hash) = mechanism.scram_hash() else {
        return (Outcome::Skip, format!("{mechanism} is not SCRAM"));
    };
    let ssdp = Ssdp::new(mechanisms.iter().cloned(), bindings.map(<[String]>::to_vec));
    for form in [SsdpForm::Current, SsdpForm::Legacy] {
        let name = Ssdp::attribute(form);
        if let Some(got) = scram_attribute(server_first, name) {
            let want = ssdp.value(hash, form);
            return if got == want {
                (
                    Outcome::Pass,
                    format!("{name}= matches the advertised lists ({mechanism})"),
                )
            } else {
                (
                    Outcome::Fail,
                    format!(
                        "{name}={got}, but the advertised lists hash to {want} ({:?})",
                        ssdp.input(form)
                    ),
                )
            };
        }
    }
    (
        Outcome::Skip,
        "no h= (or legacy d=) in the server-first-message: XEP-0474 not implemented".into(),
    )
}

/// The value of attribute `name` in a SCRAM message (RFC 5802 §5.1:
/// `name=value` pairs separated by `,`; values hold no `,`).
fn scram_attribute(message: &[u8], name: char) -> Option<String> {
    let text = std::str::from_utf8(message).ok()?;
    text.split(',').find_map(|pair| {
        let mut chars = pair.chars();
        (chars.next() == Some(name) && chars.next() == Some('='))
            .then(|| pair.get(2..).unwrap_or_default().to_owned())
    })
}

#[cfg(test)]
mod tests;
