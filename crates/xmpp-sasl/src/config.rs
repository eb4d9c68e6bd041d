//! What the caller decides: limits, nonces and the server secret.

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_core::CryptoRngCore;
use zeroize::{Zeroize, Zeroizing};

use crate::error::Error;
use crate::mechanism::Hash;
use crate::scram::SALT_LEN;

/// Bounds on what a peer may send or demand. The defaults are safe for a
/// public server or a client talking to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest message accepted, in bytes (default 4,096; a SCRAM
    /// message with a 1,023-byte username and a 64-byte proof fits).
    pub max_message_len: usize,
    /// The smallest iteration count a client accepts (default 4,096, the
    /// floor of RFC 7677 §4; RFC 5802 §5.1 says at least 4,096 too).
    pub min_iterations: u32,
    /// The largest iteration count a client accepts (default 100,000), so a
    /// hostile server cannot make it spin for minutes.
    pub max_iterations: u32,
    /// The shortest salt a client accepts, in bytes (default 8).
    pub min_salt_len: usize,
    /// The fewest nonce characters the peer must contribute (default 8):
    /// the client nonce for a server, the server's extension for a client.
    pub min_nonce_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_len: 4096,
            min_iterations: 4096,
            max_iterations: 100_000,
            min_salt_len: 8,
            min_nonce_len: 8,
        }
    }
}

impl Limits {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`Self::min_iterations`] and [`Self::max_iterations`].
    #[must_use]
    pub fn iterations(mut self, min: u32, max: u32) -> Self {
        self.min_iterations = min;
        self.max_iterations = max;
        self
    }

    /// Sets [`Self::min_salt_len`].
    #[must_use]
    pub fn min_salt_len(mut self, len: usize) -> Self {
        self.min_salt_len = len;
        self
    }

    /// Sets [`Self::min_nonce_len`].
    #[must_use]
    pub fn min_nonce_len(mut self, len: usize) -> Self {
        self.min_nonce_len = len;
        self
    }

    /// Sets [`Self::max_message_len`].
    #[must_use]
    pub fn max_message_len(mut self, len: usize) -> Self {
        self.max_message_len = len;
        self
    }
}

/// A nonce (RFC 5802 §5.1 `c-nonce` or `s-nonce`): printable ASCII without
/// `,`. Injected by the caller so tests are deterministic.
#[derive(Clone, PartialEq, Eq)]
pub struct Nonce(String);

/// Random bytes per generated nonce: 144 bits, 24 base64 characters.
const NONCE_BYTES: usize = 18;

impl Nonce {
    /// A caller-chosen nonce; refused unless non-empty `printable`.
    pub fn new(nonce: impl Into<String>) -> Result<Self, Error> {
        let nonce = nonce.into();
        if crate::scram::parse::is_printable(&nonce) {
            Ok(Self(nonce))
        } else {
            Err(Error::Malformed {
                message: crate::error::Message::ClientFirst,
                rule: "nonce",
                offset: 0,
            })
        }
    }

    /// A fresh nonce of 144 random bits from `rng`.
    pub fn random(rng: &mut impl CryptoRngCore) -> Result<Self, Error> {
        let mut bytes = [0u8; NONCE_BYTES];
        rng.try_fill_bytes(&mut bytes).map_err(|_| Error::Random)?;
        let nonce = STANDARD.encode(bytes);
        bytes.zeroize();
        Ok(Self(nonce))
    }

    /// A fresh nonce from the operating system's generator.
    #[cfg(feature = "getrandom")]
    pub fn from_os() -> Result<Self, Error> {
        Self::random(&mut rand_core::OsRng)
    }

    /// The nonce text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for Nonce {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Nonce").field(&self.0).finish()
    }
}

/// The server-wide secret behind the answer for users that do not exist
/// ([`Credentials::UnknownUser`](crate::Credentials::UnknownUser)), and the
/// parameters of the server's real accounts that the answer imitates.
///
/// RFC 5802 §9 warns that a server which refuses an unknown user at once
/// tells an attacker which accounts exist; RFC 5802 §5.1 has it run the
/// exchange with a made-up salt instead, so the failure comes as
/// `e=invalid-proof` after the client-final-message, as for a wrong
/// password. The made-up salt is HMAC(secret, username): stable for a
/// name, as a real account's is, so repeated attempts learn nothing. Keep
/// the secret in the server's configuration, the same across restarts (a
/// new one changes every unknown user's salt while real salts stay), and
/// at least [`Self::MIN_LEN`] random bytes, or an attacker who guesses it
/// can recompute the fake salts and tell them from real ones.
#[derive(Clone)]
pub struct ServerSecret {
    key: Zeroizing<Vec<u8>>,
    hash: Hash,
    salt_len: usize,
    iterations: u32,
}

impl ServerSecret {
    /// The shortest secret accepted, in bytes (128 bits).
    pub const MIN_LEN: usize = 16;

    /// The longest salt a made-up account can have, in bytes (one
    /// HMAC-SHA-512 output).
    pub const MAX_SALT_LEN: usize = 64;

    /// A secret from the server's configuration; refused when shorter than
    /// [`Self::MIN_LEN`] (an empty one most of all). The account parameters
    /// default to those of [`StoredCredentials::generate`](crate::StoredCredentials::generate)
    /// with 4,096 iterations (the RFC 7677 §4 floor): SHA-256 for PLAIN,
    /// [`SALT_LEN`] bytes of salt. Set the real ones with [`Self::accounts`].
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, Error> {
        let key = Zeroizing::new(secret.into());
        if key.len() < Self::MIN_LEN {
            return Err(Error::SecretTooShort {
                min: Self::MIN_LEN,
                len: key.len(),
            });
        }
        Ok(Self {
            key,
            hash: Hash::Sha256,
            salt_len: SALT_LEN,
            iterations: 4096,
        })
    }

    /// A fresh 256-bit secret from `rng`. Store it: a secret made at every
    /// start changes the unknown users' salts at every restart.
    pub fn random(rng: &mut impl CryptoRngCore) -> Result<Self, Error> {
        let mut key = Zeroizing::new(alloc::vec![0u8; 32]);
        rng.try_fill_bytes(&mut key).map_err(|_| Error::Random)?;
        Self::new(core::mem::take(&mut *key))
    }

    /// The parameters the server's real accounts use, so that a made-up
    /// account looks like them: the hash PLAIN derives with (the hash of
    /// the stored credentials a PLAIN lookup returns), the salt length in
    /// bytes and the iteration count. Refuses a count of 0 and salts of 0
    /// or more than [`Self::MAX_SALT_LEN`] bytes.
    pub fn accounts(mut self, hash: Hash, salt_len: usize, iterations: u32) -> Result<Self, Error> {
        if iterations == 0 {
            return Err(Error::IterationCount {
                count: 0,
                min: 1,
                max: u32::MAX,
            });
        }
        if salt_len == 0 {
            return Err(Error::SaltTooShort { min: 1, len: 0 });
        }
        if salt_len > Self::MAX_SALT_LEN {
            return Err(Error::SaltTooLong {
                max: Self::MAX_SALT_LEN,
                len: salt_len,
            });
        }
        self.hash = hash;
        self.salt_len = salt_len;
        self.iterations = iterations;
        Ok(self)
    }

    /// The hash PLAIN derives with for an unknown user.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// The salt length of a made-up account.
    pub fn salt_len(&self) -> usize {
        self.salt_len
    }

    /// The iteration count of a made-up account.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// HMAC-SHA-512(secret, label || hash name || NUL || username): the
    /// made-up salt, key or token of `username`, distinct per label and
    /// per mechanism hash (as [`StoredCredentials::generate`](crate::StoredCredentials::generate)
    /// salts each hash's credentials afresh).
    pub(crate) fn derive(
        &self,
        label: &[u8],
        hash: Hash,
        username: &str,
    ) -> crate::scram::keys::Output {
        Hash::Sha512.hmac(
            &self.key,
            &[label, hash.suffix().as_bytes(), b"\0", username.as_bytes()],
        )
    }
}

impl core::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerSecret")
            .field("hash", &self.hash)
            .field("salt_len", &self.salt_len)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_and_impossible_accounts_are_refused() {
        assert_eq!(
            ServerSecret::new(Vec::new()).err(),
            Some(Error::SecretTooShort { min: 16, len: 0 })
        );
        assert!(ServerSecret::new(*b"fifteen bytes..").is_err());
        let secret = ServerSecret::new(*b"sixteen bytes...").expect("long enough");
        assert!(secret.clone().accounts(Hash::Sha1, 16, 0).is_err());
        assert!(secret.clone().accounts(Hash::Sha1, 0, 4096).is_err());
        assert!(secret.clone().accounts(Hash::Sha1, 65, 4096).is_err());
        let s = secret.accounts(Hash::Sha1, 20, 10_000).expect("valid");
        assert_eq!(
            (s.hash(), s.salt_len(), s.iterations()),
            (Hash::Sha1, 20, 10_000)
        );
    }
}
