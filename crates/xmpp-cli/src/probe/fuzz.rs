//! `xmpp probe --fuzz`: structure-aware mutations of valid pre-login
//! sessions sent to the server for N seconds at a bounded rate. A finding
//! is a server that crashes (connections refused after), hangs (no answer
//! at all to a stream that was closed), or answers a stream error whose
//! condition is not a stream error condition of RFC 6120 §4.9.3; each is
//! saved under `probe-findings/` as the bytes to replay, shortened while it
//! still reproduces.

use std::time::Duration;

use serde_json::json;

use super::Target;
use super::raw::{Raw, header};
use crate::io::Exit;

/// Inputs per second at most.
const RATE: u64 = 20;

/// A small deterministic generator (xorshift64*), so a seed replays a run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// The valid sessions mutations start from.
fn seeds(domain: &str) -> Vec<Vec<u8>> {
    let h = header(domain);
    vec![
        format!("{h}</stream:stream>").into_bytes(),
        format!("{h}<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>").into_bytes(),
        format!(
            "{h}<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>\
             biwsbj1hbGljZSxyPWZ5a29lK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2o=</auth>"
        )
        .into_bytes(),
        format!(
            "{h}<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'>\
             <initial-response>AGFsaWNlAHdvbmRlcmxhbmQ=</initial-response></authenticate>"
        )
        .into_bytes(),
        format!("{h}<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
            .into_bytes(),
    ]
}

/// One structure-aware mutation.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    let at = rng.below(v.len() + 1);
    match rng.below(8) {
        // Truncation.
        0 => v.truncate(at),
        // A flipped byte.
        1 => {
            if let Some(b) = v.get_mut(at) {
                *b ^= 1 << rng.below(8);
            }
        }
        // A UTF-8 sequence split or broken.
        2 => v.splice(at..at, [0xe2, 0x82]).for_each(drop),
        // Deep nesting.
        3 => v.extend(b"<a>".repeat(1 + rng.below(50_000))),
        // A huge attribute.
        4 => v.extend(format!("<x a='{}'/>", "v".repeat(1 + rng.below(1 << 20))).into_bytes()),
        // Namespace games: an undeclared prefix, a redeclared stream prefix.
        5 => v
            .splice(
                at..at,
                match rng.below(3) {
                    0 => b"<p:x/>".to_vec(),
                    1 => b"<x xmlns:stream='urn:other'/>".to_vec(),
                    _ => b"<x xmlns:xml='urn:bad'/>".to_vec(),
                },
            )
            .for_each(drop),
        // A second header or the close in the middle.
        6 => v
            .splice(at..at, b"</stream:stream><stream:stream>".iter().copied())
            .for_each(drop),
        // Control characters.
        _ => v.splice(at..at, [0x00, 0x1b, 0x07]).for_each(drop),
    }
    v
}

/// What one input showed, if it is a finding.
async fn try_input(target: &Target, input: &[u8]) -> Option<String> {
    let Ok(mut raw) = Raw::open(&target.server).await else {
        // Refused: is the server gone?
        tokio::time::sleep(Duration::from_millis(500)).await;
        return Raw::open(&target.server)
            .await
            .is_err()
            .then(|| "the server refuses connections".to_owned());
    };
    raw.send(input).await;
    // End the stream so that a server waiting for more has an answer due.
    raw.send(b"</stream:stream>").await;
    let a = raw
        .read(Duration::from_secs(3), |a| a.stream_error.is_some())
        .await;
    // The bound passed, not the byte count, so that shrinking compares
    // like with like.
    if let Some(flood) = a.flood {
        return Some(format!("the server flooded the probe: {}", flood.bound()));
    }
    if let Some(c) = &a.stream_error {
        if xmpp_stanza::StreamCondition::from_name(c).is_none() && c != "unreadable" {
            return Some(format!("stream error <{c}/> is not an RFC 6120 condition"));
        }
        return None;
    }
    if a.silent && a.header.is_none() && !a.closed && !a.eof {
        return Some("no answer at all to a closed stream".into());
    }
    None
}

pub(crate) async fn run(target: &Target, seconds: u64, seed: u64, as_json: bool) -> Exit {
    let mut rng = Rng(seed.max(1));
    let seeds = seeds(&target.domain);
    let end = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let (mut sent, mut findings) = (0u64, 0u64);
    let dir = std::path::Path::new("probe-findings");
    while tokio::time::Instant::now() < end {
        let base = seeds
            .get(rng.below(seeds.len()))
            .cloned()
            .unwrap_or_default();
        let mut input = mutate(&mut rng, &base);
        if rng.below(3) == 0 {
            input = mutate(&mut rng, &input);
        }
        sent += 1;
        if let Some(what) = try_input(target, &input).await {
            // Shorten while the same finding reproduces (bounded tries).
            let mut small = input.clone();
            for _ in 0..8 {
                let half = small.len() / 2;
                if half == 0 {
                    break;
                }
                let shorter = small.get(..half).unwrap_or_default().to_vec();
                if try_input(target, &shorter).await.as_deref() == Some(what.as_str()) {
                    small = shorter;
                } else {
                    break;
                }
            }
            findings += 1;
            let _ = std::fs::create_dir_all(dir);
            let file = dir.join(format!("finding-{seed}-{sent}.bin"));
            let _ = std::fs::write(&file, &small);
            let line =
                json!({"finding": what, "file": file.display().to_string(), "bytes": small.len()});
            if as_json {
                println!("{line}");
            } else {
                println!(
                    "finding: {what} ({} bytes, {})",
                    small.len(),
                    file.display()
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(1000 / RATE)).await;
    }
    if as_json {
        println!(
            "{}",
            json!({"fuzz": "done", "inputs": sent, "findings": findings, "seed": seed})
        );
    } else {
        println!("{sent} inputs in {seconds} s (seed {seed}), {findings} finding(s)");
    }
    if findings == 0 {
        Exit::Ok
    } else {
        Exit::Invalid
    }
}
