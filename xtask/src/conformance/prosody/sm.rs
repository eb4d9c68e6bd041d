//! XEP-0198 stream management against Prosody's mod_smacks: enabling it
//! with resumption (§3), the handled counts Prosody acknowledges (§4), and
//! resuming a session whose TCP connection was cut (§5), with stanzas lost
//! in flight both ways arriving exactly once.

use xmpp_jid::{FullJid, Jid};
use xmpp_sasl::Mechanism;
use xmpp_session::{ClientConfig, ClientEvent, SmConfig};
use xmpp_stanza::{Message, Stanza, StanzaNs};

use super::app::{authenticated, bind, features, jid};
use super::client::{Report, SCRAM_SHA_1, config};
use super::session::Session;
use super::{HOST, USERS};
use crate::util::Result;
use xmpp_stanza::{Iq, Payload, Ping};

/// Runs the XEP-0198 checks; the sessions, for the tap's final checks.
pub(super) fn run(port: u16, report: &mut Report) -> Result<Vec<Session>> {
    let [(alice, alice_pw), (bob, bob_pw), _] = USERS;
    let alice_config = |resource: &str| -> Result<ClientConfig> {
        Ok(config(alice, HOST, alice_pw, SCRAM_SHA_1)?
            .resource(resource)
            .sm(sm_config()))
    };
    let mut a = Session::connect(
        port,
        &format!("{alice}@{HOST} sm"),
        9,
        alice_config("sm-a")?,
        None,
    )?;
    authenticated(&mut a, SCRAM_SHA_1)?;
    let a_jid = bind(&mut a, "sm-a")?;
    let resumable = a.wait_event(|e| match e {
        ClientEvent::SmEnabled { resumable } => Some(*resumable),
        _ => None,
    })?;
    let offered = features(&a, 1)?;
    let versions: Vec<&str> = a.tap.features[1]
        .children()
        .filter(|c| c.name() == "sm")
        .map(|c| c.ns())
        .collect();
    if !offered.sm || !resumable {
        return Err(a.fail(format!(
            "sm:3 offered {}, resumable {resumable}",
            offered.sm
        )));
    }
    report.ok(
        "sm-enable",
        format!("offered {}; enabled with resume", versions.join(", ")),
    );

    let (acks, counted) = ack_counting(&mut a, &a_jid)?;
    report.ok("sm-acks", acks);

    let mut b = Session::connect(
        port,
        &format!("{bob}@{HOST} sm"),
        13,
        config(bob, HOST, bob_pw, Mechanism::Plain)?.resource("sm-b"),
        None,
    )?;
    bind(&mut b, "sm-b")?;
    let (a2, resumed) = resumption(a, &mut b, counted, alice_config("sm-a")?, port)?;
    report.ok("sm-resume", resumed);
    let (a, mut a2) = a2;
    a2.close()?;
    b.close()?;
    Ok(vec![a, a2, b])
}

/// Stream management with resumption, and no ack requests of the
/// machine's own: the checks ask when they want one.
fn sm_config() -> SmConfig {
    let mut sm = SmConfig::default();
    sm.ack_every = 0;
    sm.ack_after = None;
    sm
}

/// The `id` of a stanza.
fn id_of(s: &Stanza) -> Option<&str> {
    s.header().id.as_deref()
}

/// A chat message with `id` and `body` to `to`.
fn chat(to: Jid, id: &str, body: &str) -> Stanza {
    Stanza::Message(Message::chat(StanzaNs::Client, to, body).with_id(id.to_owned()))
}

/// XEP-0198 §4: alice sends messages to herself and asks for acks; the
/// `h` Prosody answers counts exactly her stanzas, and the machine hands
/// back each acknowledged stanza once.
fn ack_counting(a: &mut Session, me: &FullJid) -> Result<(String, u32)> {
    let mut answers = Vec::new();
    let mut acked = 0;
    let mut sent = 0;
    let mut ids = Vec::new();
    for batch in [3, 4] {
        for _ in 0..batch {
            let id = a.id();
            a.send(chat(me.clone().into(), &id, "counted"))?;
            ids.push(id);
            sent += 1;
        }
        let before = a.tap.acks.len();
        a.client().request_ack();
        a.flush()?;
        a.wait_until(|a| a.tap.acks.len() > before)?;
        let h = a.tap.acks.last().copied().unwrap_or_default();
        if h != sent {
            return Err(a.fail(format!("<a h='{h}'/> after {sent} stanzas")));
        }
        answers.push(h.to_string());
        while acked < sent as usize {
            acked += a.wait_event(|e| match e {
                ClientEvent::Acked(stanzas) => Some(stanzas.len()),
                _ => None,
            })?;
        }
        if acked != sent as usize {
            return Err(a.fail(format!("{acked} stanzas handed back as acked, {sent} sent")));
        }
    }
    // The messages to herself came back, each counted on her side.
    for id in ids {
        a.wait_for(|s| (id_of(s) == Some(id.as_str())).then_some(()))?;
    }
    let summary = format!(
        "{sent} messages to herself: <r/> answered h={}; each acked once, each received",
        answers.join(", then h=")
    );
    Ok((summary, sent))
}

/// XEP-0198 §5: alice's connection is cut with two stanzas Prosody
/// handled (unacknowledged) and two lost in flight, and bob writes to her
/// meanwhile. A new connection resumes with the taken state: Prosody's
/// `h` covers the first two, the machine resends the other two, Prosody
/// resends bob's message; everything arrives exactly once.
#[allow(
    clippy::type_complexity,
    reason = "both sessions go back to the caller"
)]
fn resumption(
    mut a: Session,
    b: &mut Session,
    counted: u32,
    config: ClientConfig,
    port: u16,
) -> Result<((Session, Session), String)> {
    let a_jid = a.client().jid().cloned().ok_or("alice is not bound")?;
    let b_jid = b.client().jid().cloned().ok_or("bob is not bound")?;
    let to_b: Jid = b_jid.into();
    for n in 1..=2 {
        a.send(chat(to_b.clone(), &format!("r{n}"), "before the cut"))?;
    }
    for n in 1..=2 {
        b.wait_for(|s| (id_of(s) == Some(format!("r{n}").as_str())).then_some(()))?;
    }
    for n in 3..=4 {
        if let Err(e) = a
            .client()
            .send(chat(to_b.clone(), &format!("r{n}"), "lost"))
        {
            return Err(a.fail(format!("send: {e}")));
        }
    }
    a.lose_transmits();
    a.cut();
    let resumable = a.wait_event(|e| match e {
        ClientEvent::Closed { resumable } => Some(*resumable),
        _ => None,
    })?;
    let state = a.client().take_resumption_state();
    let Some(state) = state.filter(|_| resumable) else {
        return Err(a.fail("the cut session is not resumable"));
    };
    let unacked = state.unacked_stanzas().len();
    b.send(chat(a_jid.clone().into(), "away", "while you were away"))?;

    let mut a2 = Session::connect(
        port,
        &format!("{} resumed", a_jid.to_bare()),
        9,
        config.resume(state),
        None,
    )?;
    let (resumed_jid, resent) = a2.wait_event(|e| match e {
        ClientEvent::Resumed { jid, resent } => Some((jid.clone(), *resent)),
        _ => None,
    })?;
    if resumed_jid != a_jid || resent != 2 || unacked != 4 {
        return Err(a2.fail(format!(
            "resumed {resumed_jid}, resent {resent} of {unacked} unacked; expected {a_jid}, 2 of 4"
        )));
    }
    a2.wait_for(|s| (id_of(s) == Some("away")).then_some(()))?;
    a2.send(chat(to_b, "r5", "after the resumption"))?;
    for n in 3..=5 {
        let id = format!("r{n}");
        b.wait_for(|s| (id_of(s) == Some(id.as_str())).then_some(()))?;
    }
    // Anything sent twice would have come before r5 (and, to alice,
    // before the answer to her ping).
    let server = jid(&a2, HOST)?;
    let ping = Iq::get(StanzaNs::Client, "", Ping.to_element());
    a2.iq(ping.with_to(server))?;
    let twice = |s: &Session, ids: &[&str]| {
        s.unclaimed_stanzas()
            .filter(|st| id_of(st).is_some_and(|id| ids.contains(&id)))
            .count()
    };
    let dup = twice(b, &["r1", "r2", "r3", "r4", "r5"]) + twice(&a2, &["away"]);
    if dup > 0 {
        return Err(b.fail(format!("{dup} stanzas arrived twice")));
    }
    let before = a2.tap.acks.len();
    a2.client().request_ack();
    a2.flush()?;
    a2.wait_until(|a| a.tap.acks.len() > before)?;
    let h = a2.tap.acks.last().copied().unwrap_or_default();
    // r1..r5 and the ping: the count goes on across the resumption.
    if h != counted + 6 {
        let want = counted + 6;
        return Err(a2.fail(format!(
            "<a h='{h}'/> after the resumption, {want} expected"
        )));
    }
    Ok((
        (a, a2),
        format!(
            "TCP cut with 2 stanzas handled and 2 lost in flight; resumed {resumed_jid} on a new \
             connection, 2 resent; bob got r1..r5 once each, alice got bob's message sent \
             meanwhile once; h={h} counts on across the resumption"
        ),
    ))
}
