//! The `xmpp` command: every crate of the workspace behind one JSON-lines
//! interface (the contract is in ARCHITECTURE.md).
//!
//! Each subcommand reads its inputs from arguments or, with none, one per line
//! from stdin, and prints one JSON object per input on stdout. Exit status: 0
//! when every input was valid, 1 when some input was invalid (reported in its
//! JSON line), 2 on a usage error.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "a std-only command-line program"
)]

mod connect;
mod demo;
mod frame;
mod io;
mod jid;
mod precis;
mod probe;
mod sasl;
mod secrets;
mod serve;
mod stanza;

use std::process::ExitCode;

use io::Exit;

const USAGE: &str = "usage: xmpp <command> [options] [inputs...]

commands:
  jid [--legacy] [JID...]
      RFC 7622 addresses (PRECIS, IDNA2008); --legacy: RFC 6122 (stringprep)
  precis PROFILE [--compare A B] [STRING...]
      PROFILE: username-case-mapped | username-case-preserved | opaque-string | nickname
  frame [--chunk N] [--transport tcp|websocket|bosh|bosh-requests] [--max-stanza BYTES] [FILE|-]
      frames ONE whole XML stream; one JSON object per event
  sasl (client|server) --mechanism M [--username U] [--password P] [--authzid Z]
       [--salt-b64 S] [--iterations N] [--nonce N] [--cb-type T --cb-data-b64 D]
      one SASL exchange: stdin lines are base64 messages from the peer, stdout
      lines are JSON: a send line per message, then the outcome
  stanza [--chunk N] [--transport tcp|websocket|bosh|bosh-requests] [--max-stanza BYTES] [FILE|-]
      frames ONE whole XML stream; one JSON object per top-level element:
      {\"event\":\"stanza\",\"kind\":\"message|presence|iq\",\"stanza\":{...}},
      {\"event\":\"nonza\",\"kind\":...,\"name\":...,\"ns\":...,\"element\":{...}} or
      {\"event\":\"error\",\"condition\":...,\"message\":...[,\"kind\":...,\"reply\":...]}

  serve [--listen ADDR] [--direct-tls-listen ADDR] [--ws-listen ADDR] [--domain D]
        [--user NAME:PASSWORD]... [--tls required|optional|off] [--tls-cert PEM --tls-key PEM]
        [--allow-plain] [--trace] [--max-resources N] [--max-connections N]
        [--max-connections-per-address N]
      an XMPP server on loopback: JSON lines for listening, bound and closed
      (--max-resources: resources bound per account at once, default 10, a
      hibernating one giving way at the cap;
      --max-connections: per listener, default 10000; per address: no bound
      unless given)

  connect --jid USER@DOMAIN --password P [--server HOST:PORT] [--tls starttls|direct|off]
          [--ca PEM | --insecure] [--mechanism M] [--resource R] [--send TO:TEXT]...
          [--wait-ms N] [--trace]
      logs in, sends, prints received stanzas as `stanza` does, closes
  demo
      a server and two clients in one process, with an annotated transcript
  probe --server HOST:PORT --domain D --user NAME:PASSWORD --user NAME2:PASSWORD2
        [--tls starttls|direct|off] [--insecure] [--suite LIST] [--json] [--fuzz --seconds N [--seed S]]
      conformance and hostile-input checks of another server (RFC 6120, RFC 6121, XEP-0198)

With no inputs, each line of standard input is one input. One JSON object is
printed per input. Exit status: 0 all valid, 1 some invalid, 2 usage error.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exit = match args.first().map(String::as_str) {
        Some("jid") => jid::run(&args[1..]),
        Some("precis") => precis::run(&args[1..]),
        Some("frame") => frame::run(&args[1..]),
        Some("sasl") => sasl::run(&args[1..]),
        Some("stanza") => stanza::run(&args[1..]),
        Some("serve") => serve::run(&args[1..]),
        Some("connect") => connect::run(&args[1..]),
        Some("demo") => demo::run(&args[1..]),
        Some("probe") => probe::run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Exit::Ok
        }
        _ => io::usage(USAGE),
    };
    exit.into()
}
