//! `xmpp demo`: the README's main job. One process starts `xmpp serve` on
//! a free loopback port, logs in two clients (SCRAM-SHA-256 over
//! STARTTLS), has them subscribe to each other's presence and talk, cuts
//! one connection and resumes its session (XEP-0198), and prints an
//! annotated transcript of what happened.

use std::time::Duration;

use xmpp_jid::{BareJid, FullJid, Jid};
use xmpp_sasl::{Hash, Mechanism};
use xmpp_session::{ClientConfig, ClientEvent, ResumptionState, TlsPolicy};
use xmpp_stanza::{Message, Presence, PresenceType, Stanza, StanzaNs};
use xmpp_tokio::{ClientSession, ClientSessionEvent, ConnectOptions, Trust};

use crate::io::Exit;
use crate::serve::{Options, Running, start};

/// How long a step may take before the demo gives up.
const STEP: Duration = Duration::from_secs(10);

pub(crate) fn run(args: &[String]) -> Exit {
    if !args.is_empty() {
        return crate::io::usage("usage: xmpp demo");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xmpp demo: {e}");
            return Exit::Invalid;
        }
    };
    match runtime.block_on(demo()) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            println!("\nFAILED: {e}");
            Exit::Invalid
        }
    }
}

fn say(who: &str, what: impl std::fmt::Display) {
    println!("{who:>7} | {what}");
}

fn xml(stanza: &Stanza) -> String {
    stanza.to_element().to_xml()
}

/// A logged-in client of the demo.
struct Peer {
    name: &'static str,
    session: ClientSession,
    jid: FullJid,
}

async fn demo() -> Result<(), String> {
    println!("xmpp demo: an XMPP server and two clients in one process, on 127.0.0.1.");
    println!("Everything below is built from this workspace's crates: the sans-I/O");
    println!("session machines (xmpp-session) driven by tokio and rustls (xmpp-tokio).\n");

    let server = start(Options {
        listen: ([127, 0, 0, 1], 0).into(),
        direct_tls: None,
        ws: None,
        domain: "localhost".into(),
        users: vec![
            ("alice".into(), "wonderland".into()),
            ("bob".into(), "builder".into()),
        ],
        tls: TlsPolicy::Required,
        cert: None,
        allow_plain: false,
        trace: false,
        max_resources: crate::serve::MAX_RESOURCES,
        max_connections: (Some(crate::serve::MAX_CONNECTIONS), None),
        quiet: true,
    })
    .await?;
    say(
        "server",
        format!(
            "listening on {} for domain 'localhost'; STARTTLS required, with a self-signed \
             certificate made at start; accounts alice and bob are kept as SCRAM keys \
             (SHA-1, SHA-256, SHA-512), never as passwords",
            server.c2s
        ),
    );
    let pinned = server
        .tls
        .as_ref()
        .map(|t| t.certificate().to_vec())
        .ok_or("the server has no certificate")?;

    println!(
        "\n1. Log in: STARTTLS (RFC 6120 §5), SASL SCRAM-SHA-256 (RFC 7677), resource binding"
    );
    let mut alice = login(&server, &pinned, "alice", "wonderland", None).await?;
    let mut bob = login(&server, &pinned, "bob", "builder", None).await?;

    println!("\n2. Presence: each asks to see the other's presence and approves (RFC 6121 §3)");
    for peer in [&alice, &bob] {
        let p = Presence::new(StanzaNs::Client, PresenceType::Available);
        say(
            peer.name,
            format!(
                "sends initial presence {}",
                xml(&Stanza::Presence(p.clone()))
            ),
        );
        peer.session.send(Stanza::Presence(p)).await;
    }
    subscribe(&mut alice, &mut bob).await?;
    subscribe(&mut bob, &mut alice).await?;

    println!("\n3. Messages between full JIDs (RFC 6121 §5), each acknowledged (XEP-0198)");
    chat(&alice, &mut bob, "Hello Bob, can you build it?").await?;
    chat(&bob, &mut alice, "Yes we can!").await?;

    println!("\n4. Bob's connection is cut; his session waits on the server (XEP-0198 §5)");
    bob.session.abort().await;
    let state = resumption_state(&mut bob).await?;
    say(
        "bob",
        format!("lost the connection; keeps SM-ID {} to resume", state.id()),
    );
    let m = Message::chat(
        StanzaNs::Client,
        bob.jid.clone().into(),
        "Are you still there?",
    );
    say(
        "alice",
        format!(
            "sends while Bob is away {}",
            xml(&Stanza::Message(m.clone()))
        ),
    );
    alice.session.send(Stanza::Message(m)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut bob = login(&server, &pinned, "bob", "builder", Some(state)).await?;
    let got = expect(&mut bob, |e| match e {
        ClientEvent::Stanza(s @ Stanza::Message(_)) => Some(s),
        _ => None,
    })
    .await?;
    say(
        "bob",
        format!("receives what arrived while he was away {}", xml(&got)),
    );

    println!("\n5. Both close their streams; the server shuts down");
    for peer in [&alice, &bob] {
        peer.session.close().await;
    }
    for peer in [&mut alice, &mut bob] {
        expect(peer, |e| {
            matches!(e, ClientEvent::Closed { .. }).then_some(())
        })
        .await?;
        say(
            peer.name,
            "stream closed (</stream:stream> both ways, TLS close_notify)",
        );
    }
    server.shutdown().await;
    println!("\ndemo complete.");
    Ok(())
}

/// Logs in `user`, or resumes `resume`, and reports each step.
async fn login(
    server: &Running,
    pinned: &[u8],
    user: &'static str,
    password: &str,
    resume: Option<ResumptionState>,
) -> Result<Peer, String> {
    let jid = BareJid::new(&format!("{user}@localhost")).map_err(|e| e.to_string())?;
    let mut config = ClientConfig::new(jid, password)
        .mechanisms([Mechanism::Scram {
            hash: Hash::Sha256,
            plus: false,
        }])
        .resource(format!("{user}-laptop"))
        .request_fast_token(false);
    let resuming = resume.is_some();
    if let Some(state) = resume {
        config = config.resume(state);
    }
    let options = ConnectOptions::new(
        config,
        server.c2s.to_string(),
        Trust::Pinned(pinned.to_vec()),
    );
    let mut session = xmpp_tokio::connect(options)
        .await
        .map_err(|e| e.to_string())?;
    let jid = tokio::time::timeout(STEP, async {
        while let Some(event) = session.next_event().await {
            match event {
                ClientSessionEvent::TlsEstablished {
                    version,
                    channel_bindings,
                } => say(
                    user,
                    format!(
                        "TLS up ({}), the server's certificate pinned; channel bindings: {}",
                        version.name(),
                        channel_bindings
                            .iter()
                            .map(|b| b.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                ClientSessionEvent::Session(ClientEvent::Authenticated { mechanism, .. }) => {
                    say(
                        user,
                        format!(
                            "authenticated with {mechanism} (XEP-0388 SASL2, no stream restart)"
                        ),
                    );
                }
                ClientSessionEvent::Session(ClientEvent::Bound { jid }) => {
                    say(
                        user,
                        format!("bound {} inline with Bind2 (XEP-0386)", jid.as_str()),
                    );
                    if !resuming {
                        return Ok(jid);
                    }
                }
                ClientSessionEvent::Session(ClientEvent::SmEnabled { resumable }) => {
                    say(
                        user,
                        format!("stream management on (XEP-0198), resumable: {resumable}"),
                    );
                }
                ClientSessionEvent::Session(ClientEvent::Resumed { jid, resent }) => {
                    say(
                        user,
                        format!(
                            "resumed the session of {} the server kept; {resent} unacknowledged \
                             stanza(s) of his sent again",
                            jid.as_str()
                        ),
                    );
                    return Ok(jid);
                }
                ClientSessionEvent::Failed(e) => return Err(format!("{user}: {e}")),
                _ => {}
            }
        }
        Err(format!("{user}: the connection closed before binding"))
    })
    .await
    .map_err(|_| format!("{user}: login timed out"))??;
    Ok(Peer {
        name: user,
        session,
        jid,
    })
}

/// The next client event `pick` accepts, within [`STEP`].
async fn expect<T>(
    peer: &mut Peer,
    mut pick: impl FnMut(ClientEvent) -> Option<T>,
) -> Result<T, String> {
    let name = peer.name;
    tokio::time::timeout(STEP, async {
        while let Some(event) = peer.session.next_event().await {
            if let ClientSessionEvent::Session(e) = event {
                if let Some(t) = pick(e) {
                    return Ok(t);
                }
            }
        }
        Err(format!("{name}: the connection closed"))
    })
    .await
    .map_err(|_| format!("{name}: nothing came in time"))?
}

/// `from` asks to see `to`'s presence, `to` approves, and `from` sees it.
async fn subscribe(from: &mut Peer, to: &mut Peer) -> Result<(), String> {
    let to_bare: Jid = to.jid.as_jid().to_bare().into();
    let ask = Presence::new(StanzaNs::Client, PresenceType::Subscribe).with_to(to_bare);
    say(
        from.name,
        format!("asks {}", xml(&Stanza::Presence(ask.clone()))),
    );
    from.session.send(Stanza::Presence(ask)).await;
    let request = expect(to, |e| match e {
        ClientEvent::Stanza(Stanza::Presence(p)) if p.type_ == PresenceType::Subscribe => Some(p),
        _ => None,
    })
    .await?;
    let asker = request
        .header
        .from
        .clone()
        .ok_or("a subscription request without from")?;
    say(
        to.name,
        format!("is asked by {} and approves", asker.as_str()),
    );
    let yes = Presence::new(StanzaNs::Client, PresenceType::Subscribed).with_to(asker);
    to.session.send(Stanza::Presence(yes)).await;
    let seen = expect(from, |e| match e {
        ClientEvent::Stanza(Stanza::Presence(p)) if p.type_ == PresenceType::Available => Some(p),
        _ => None,
    })
    .await?;
    let who = seen
        .header
        .from
        .map(|j| j.as_str().to_owned())
        .unwrap_or_default();
    say(from.name, format!("now sees {who} available"));
    Ok(())
}

/// `from` sends a chat message to `to`'s full JID and `to` reads it; the
/// server's acknowledgement comes back to `from`.
async fn chat(from: &Peer, to: &mut Peer, text: &str) -> Result<(), String> {
    let m = Message::chat(StanzaNs::Client, to.jid.clone().into(), text);
    say(
        from.name,
        format!("sends {}", xml(&Stanza::Message(m.clone()))),
    );
    from.session.send(Stanza::Message(m)).await;
    from.session.request_ack().await;
    let got = expect(to, |e| match e {
        ClientEvent::Stanza(Stanza::Message(m)) => Some(m),
        _ => None,
    })
    .await?;
    say(
        to.name,
        format!(
            "receives from {}: \"{}\" (the server stamped 'from', RFC 6120 §8.1.2.1)",
            got.header
                .from
                .as_ref()
                .map(Jid::as_str)
                .unwrap_or_default(),
            got.body(None).unwrap_or_default()
        ),
    );
    Ok(())
}

/// The state of a session whose connection was cut.
async fn resumption_state(peer: &mut Peer) -> Result<ResumptionState, String> {
    let name = peer.name;
    tokio::time::timeout(STEP, async {
        while let Some(event) = peer.session.next_event().await {
            if let ClientSessionEvent::Resumable(state) = event {
                return Ok(state);
            }
        }
        Err(format!(
            "{name}: the session ended without a resumption state"
        ))
    })
    .await
    .map_err(|_| format!("{name}: no resumption state in time"))?
}
