//! The client side of SCRAM (RFC 5802 §3, §5) for SHA-1 and SHA-256
//! (RFC 7677), written here on the RustCrypto primitives so that the load
//! generator shares no code with the servers it measures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The hash of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Hash {
    Sha1,
    Sha256,
}

impl Hash {
    /// The hash of a mechanism name (`SCRAM-SHA-1`, `SCRAM-SHA-256`).
    pub(crate) fn of(mechanism: &str) -> Option<Self> {
        match mechanism {
            "SCRAM-SHA-1" => Some(Self::Sha1),
            "SCRAM-SHA-256" => Some(Self::Sha256),
            _ => None,
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => {
                let mut m = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap_or_else(|_| {
                    unreachable!("HMAC takes keys of any length");
                });
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            Self::Sha256 => {
                let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| {
                    unreachable!("HMAC takes keys of any length");
                });
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    fn salted(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            Self::Sha1 => {
                let mut out = [0; 20];
                pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut out);
                out.to_vec()
            }
            Self::Sha256 => {
                let mut out = [0; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
                out.to_vec()
            }
        }
    }
}

/// The iteration counts the generator accepts (RFC 5802 §5.1 lets a
/// client refuse an unreasonable one): the bounds of xmpp-sasl's own
/// client. PBKDF2 runs on the generator's one thread, where no step
/// timeout can interrupt it, so a server naming `i=4294967295` would
/// otherwise hold the whole run for tens of minutes.
const ITERATIONS: core::ops::RangeInclusive<u32> = 4096..=100_000;
/// The shortest salt accepted, as xmpp-sasl's client.
const MIN_SALT: usize = 8;
/// The longest salt accepted (real ones are 12 to 32 bytes), so that
/// the cache holds [`MAX_CACHED`] small entries, not 65,536 salts of
/// most of a megabyte.
const MAX_SALT: usize = 256;
/// The most salts remembered: one per account of an idle run, and a
/// server that gives a fresh salt at every login cannot grow it further.
const MAX_CACHED: usize = 1 << 16;

/// SaltedPassword by (hash, salt, iteration count): every login of a run
/// uses the same password, so the generator pays PBKDF2 once per account
/// and the run measures the servers, not its own key stretching. At most
/// [`MAX_CACHED`] entries are kept; past that, keys are derived each time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cache(Arc<Mutex<HashMap<SaltKey, Vec<u8>>>>);

/// A SaltedPassword's inputs but the password: hash, salt, iterations.
type SaltKey = (Hash, Vec<u8>, u32);

impl Cache {
    fn salted(&self, hash: Hash, password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
        let key = (hash, salt.to_vec(), iterations);
        if let Some(v) = self.0.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return v;
        }
        let v = hash.salted(password.as_bytes(), salt, iterations);
        self.remember(key, &v);
        v
    }

    /// Keeps `salted` for `key` while there is room.
    fn remember(&self, key: SaltKey, salted: &[u8]) {
        if let Ok(mut m) = self.0.lock() {
            if m.len() < MAX_CACHED {
                m.insert(key, salted.to_vec());
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().map(|m| m.len()).unwrap_or_default()
    }
}

/// One exchange in progress: what the client sent first.
pub(crate) struct Exchange {
    hash: Hash,
    first_bare: String,
    nonce: String,
}

/// What the client proves and expects, once the server-first-message came.
pub(crate) struct Final {
    /// The client-final-message, to be base64-encoded into `<response/>`.
    pub(crate) message: String,
    /// The `v=` the server-final-message must carry.
    pub(crate) server_signature: Vec<u8>,
}

/// The username as RFC 5802 §5.1 writes it (`,` and `=` escaped).
fn saslname(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

impl Exchange {
    /// Starts an exchange with a fresh nonce; returns it with the
    /// client-first-message (gs2 header `n,,`: no channel binding).
    pub(crate) fn start(hash: Hash, user: &str, nonce: String) -> (Self, String) {
        let first_bare = format!("n={},r={nonce}", saslname(user));
        let first = format!("n,,{first_bare}");
        (
            Self {
                hash,
                first_bare,
                nonce,
            },
            first,
        )
    }

    /// Answers the server-first-message (RFC 5802 §3): checks that the
    /// nonce extends ours, derives the keys and the proof.
    pub(crate) fn answer(
        &self,
        server_first: &str,
        password: &str,
        cache: &Cache,
    ) -> Result<Final, String> {
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for attr in server_first.split(',') {
            match attr.split_once('=') {
                Some(("r", v)) => nonce = Some(v),
                Some(("s", v)) => salt = Some(B64.decode(v).map_err(|e| format!("salt: {e}"))?),
                Some(("i", v)) => {
                    iterations = Some(v.parse::<u32>().map_err(|e| format!("i: {e}"))?);
                }
                _ => {}
            }
        }
        let (Some(nonce), Some(salt), Some(iterations)) = (nonce, salt, iterations) else {
            return Err(format!("incomplete server-first-message {server_first:?}"));
        };
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err(format!("server nonce {nonce:?} does not extend ours"));
        }
        if !ITERATIONS.contains(&iterations) {
            return Err(format!(
                "iteration count {iterations} outside {}..={}",
                ITERATIONS.start(),
                ITERATIONS.end()
            ));
        }
        if !(MIN_SALT..=MAX_SALT).contains(&salt.len()) {
            return Err(format!(
                "a salt of {} bytes (not {MIN_SALT} to {MAX_SALT})",
                salt.len()
            ));
        }
        let h = self.hash;
        let salted = cache.salted(h, password, &salt, iterations);
        let client_key = h.hmac(&salted, b"Client Key");
        let stored_key = h.digest(&client_key);
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.first_bare);
        let signature = h.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = h.hmac(&salted, b"Server Key");
        Ok(Final {
            message: format!("{without_proof},p={}", B64.encode(proof)),
            server_signature: h.hmac(&server_key, auth_message.as_bytes()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5802 §5's example (SCRAM-SHA-1, user `user`, password `pencil`).
    #[test]
    fn rfc5802_example() {
        let (ex, first) = Exchange::start(Hash::Sha1, "user", "fyko+d2lbbFgONRv9qkxdawL".into());
        assert_eq!(first, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
        let fin = ex
            .answer(
                "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                "pencil",
                &Cache::default(),
            )
            .unwrap();
        assert_eq!(
            fin.message,
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
        );
        assert_eq!(
            B64.encode(fin.server_signature),
            "rmF9pqV8S7suAoZWja4dJRkFsKQ="
        );
    }

    /// RFC 7677 §3's example (SCRAM-SHA-256).
    #[test]
    fn rfc7677_example() {
        let (ex, _) = Exchange::start(Hash::Sha256, "user", "rOprNGfwEbeRWgbNEkqO".into());
        let fin = ex
            .answer(
                "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                "pencil",
                &Cache::default(),
            )
            .unwrap();
        assert_eq!(
            fin.message,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert_eq!(
            B64.encode(fin.server_signature),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }

    #[test]
    fn a_nonce_that_does_not_extend_ours_is_refused() {
        let (ex, _) = Exchange::start(Hash::Sha1, "user", "abc".into());
        assert!(
            ex.answer("r=xyz1,s=QSXCR+Q6sek8bf92,i=4096", "p", &Cache::default())
                .is_err()
        );
        assert!(
            ex.answer("r=abc,s=QSXCR+Q6sek8bf92,i=4096", "p", &Cache::default())
                .is_err()
        );
    }

    #[test]
    fn an_unreasonable_iteration_count_or_salt_is_refused_before_any_work() {
        let (ex, _) = Exchange::start(Hash::Sha256, "user", "abc".into());
        let cache = Cache::default();
        // 2^32 - 1 rounds would take tens of minutes: refused at once.
        let e = ex
            .answer("r=abcd,s=QSXCR+Q6sek8bf92,i=4294967295", "p", &cache)
            .err()
            .unwrap();
        assert!(e.contains("iteration count 4294967295"), "{e}");
        assert!(
            ex.answer("r=abcd,s=QSXCR+Q6sek8bf92,i=100001", "p", &cache)
                .is_err()
        );
        assert!(
            ex.answer("r=abcd,s=QSXCR+Q6sek8bf92,i=4095", "p", &cache)
                .is_err()
        );
        assert!(
            ex.answer("r=abcd,s=QSXCR+Q6sek8bf92,i=0", "p", &cache)
                .is_err()
        );
        // Seven bytes of salt.
        let e = ex
            .answer("r=abcd,s=QSXCR+Q6sg==,i=4096", "p", &cache)
            .err()
            .unwrap();
        assert!(e.contains("salt of 7 bytes"), "{e}");
        let long = B64.encode([7u8; 257]);
        let e = ex
            .answer(&format!("r=abcd,s={long},i=4096"), "p", &cache)
            .err()
            .unwrap();
        assert!(e.contains("salt of 257 bytes"), "{e}");
        assert_eq!(cache.len(), 0);
        assert!(
            ex.answer("r=abcd,s=QSXCR+Q6sek8bf92,i=4096", "p", &cache)
                .is_ok()
        );
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_cache_stops_growing_at_its_bound() {
        let cache = Cache::default();
        for i in 0..MAX_CACHED as u32 + 10 {
            cache.remember((Hash::Sha1, i.to_be_bytes().to_vec(), 4096), &[0; 20]);
        }
        assert_eq!(cache.len(), MAX_CACHED);
    }

    #[test]
    fn names_are_escaped() {
        assert_eq!(saslname("jo,n=e"), "jo=2Cn=3De");
    }
}
