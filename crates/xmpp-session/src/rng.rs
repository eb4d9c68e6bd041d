//! Randomness as an argument: the machines draw stream ids, SCRAM nonces,
//! stream-management ids and resourceparts from a deterministic generator
//! seeded by the caller (as quinn-proto takes `rng_seed`), so that the same
//! seed and the same input give the same bytes out, and tests can replay a
//! session exactly.
//!
//! The generator is HMAC-SHA-256 in counter mode over the 32-byte seed
//! (the construction of NIST SP 800-108's counter-mode KDF): each block is
//! `HMAC(seed, counter)`. With a seed from a CSPRNG its output is as
//! unpredictable as the seed.

use alloc::string::String;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// The caller's randomness: 32 bytes from a cryptographically secure
/// generator (for example `getrandom` or `rand::rngs::OsRng`). Wiped on
/// drop; never printed.
#[derive(Clone)]
pub struct Seed(Zeroizing<[u8; 32]>);

impl Seed {
    /// Wraps 32 bytes drawn by the caller from a secure generator.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }
}

impl core::fmt::Debug for Seed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Seed(..)")
    }
}

/// The deterministic generator the machines draw from.
pub(crate) struct Drbg {
    key: Seed,
    counter: u64,
}

impl Drbg {
    pub(crate) fn new(seed: Seed) -> Self {
        Self {
            key: seed,
            counter: 0,
        }
    }

    /// The next 32 bytes.
    fn block(&mut self) -> Zeroizing<[u8; 32]> {
        // HMAC accepts keys of any length: `new_from_slice` cannot fail.
        let mut out = Zeroizing::new([0u8; 32]);
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.key.0.as_slice()) {
            mac.update(&self.counter.to_be_bytes());
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        self.counter = self.counter.wrapping_add(1);
        out
    }

    /// A token of `bytes` random bytes (at most 32) as unpadded base64url:
    /// printable ASCII without `,`, so it serves as a SCRAM nonce, a stream
    /// id, an SM-ID or a resourcepart.
    pub(crate) fn token(&mut self, bytes: usize) -> String {
        let block = self.block();
        let n = bytes.min(block.len());
        let token = URL_SAFE_NO_PAD.encode(block.get(..n).unwrap_or_default());
        let mut block = block;
        block.zeroize();
        token
    }
}

impl core::fmt::Debug for Drbg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Drbg").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_tokens_and_tokens_differ() {
        let mut a = Drbg::new(Seed::new([7; 32]));
        let mut b = Drbg::new(Seed::new([7; 32]));
        let ta = a.token(18);
        assert_eq!(ta, b.token(18));
        assert_eq!(ta.len(), 24);
        assert_ne!(ta, a.token(18));
        assert!(
            ta.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        let mut c = Drbg::new(Seed::new([8; 32]));
        assert_ne!(ta, c.token(18));
    }

    #[test]
    fn seed_is_redacted() {
        assert_eq!(format!("{:?}", Seed::new([1; 32])), "Seed(..)");
    }
}
