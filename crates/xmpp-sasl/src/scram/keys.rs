//! The SCRAM key schedule (RFC 5802 §3): Hi (PBKDF2), the client and server
//! keys, and the credentials a server stores.

use alloc::vec::Vec;
use core::fmt;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::config::ServerSecret;
use crate::error::{Error, Field};
use crate::mechanism::Hash;
use crate::prep::Prep;

/// The salt length [`StoredCredentials::generate`] uses: 128 bits, the
/// minimum NIST SP 800-132 §5.1 asks for.
pub const SALT_LEN: usize = 16;

/// The largest hash output (SHA-512).
const MAX_LEN: usize = 64;

/// One hash or HMAC output, zeroized on drop. Holds keys and signatures.
#[derive(Clone)]
pub(crate) struct Output {
    // Invariant: `len <= MAX_LEN`; bytes past `len` are zero.
    buf: [u8; MAX_LEN],
    len: usize,
}

impl Drop for Output {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl Output {
    fn new(len: usize) -> Self {
        Self {
            buf: [0; MAX_LEN],
            len: len.min(MAX_LEN),
        }
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut out = Self::new(bytes.len());
        out.buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(out)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    fn as_mut(&mut self) -> &mut [u8] {
        self.buf.get_mut(..self.len).unwrap_or_default()
    }

    /// Constant-time equality (RFC 5802 §9 leaves timing to implementations;
    /// a `==` on proofs leaks how many leading bytes match).
    pub(crate) fn ct_eq(&self, other: &[u8]) -> bool {
        self.as_bytes().ct_eq(other).into()
    }

    /// `self XOR other`, for ClientProof and its inverse.
    pub(crate) fn xor(&self, other: &[u8]) -> Self {
        let mut out = self.clone();
        for (a, b) in out.as_mut().iter_mut().zip(other) {
            *a ^= b;
        }
        out
    }
}

macro_rules! dispatch {
    ($hash:expr, $d:ident => $body:expr) => {
        match $hash {
            Hash::Sha1 => {
                type $d = Sha1;
                $body
            }
            Hash::Sha256 => {
                type $d = Sha256;
                $body
            }
            Hash::Sha512 => {
                type $d = Sha512;
                $body
            }
        }
    };
}

impl Hash {
    /// H(data).
    pub(crate) fn digest(self, data: &[u8]) -> Output {
        let mut out = Output::new(self.output_len());
        dispatch!(self, D => out.as_mut().copy_from_slice(&D::digest(data)));
        out
    }

    /// HMAC(key, part1 || part2 || …).
    pub(crate) fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Output {
        let mut out = Output::new(self.output_len());
        dispatch!(self, D => {
            // HMAC accepts keys of any length, so this cannot fail.
            if let Ok(mut mac) = <Hmac<D> as Mac>::new_from_slice(key) {
                for p in parts {
                    mac.update(p);
                }
                out.as_mut().copy_from_slice(&mac.finalize().into_bytes());
            }
        });
        out
    }

    /// Hi(password, salt, i) of RFC 5802 §2.2: PBKDF2 with HMAC over this
    /// hash, one block of output.
    pub(crate) fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Output {
        let mut out = Output::new(self.output_len());
        dispatch!(self, D => pbkdf2::pbkdf2_hmac::<D>(password, salt, iterations, out.as_mut()));
        out
    }
}

/// SaltedPassword of RFC 5802 §3: the result of the costly PBKDF2 step.
///
/// A client can cache it (with the salt and iteration count it was made
/// with) to skip PBKDF2 on the next login; it is as good as the password to
/// an attacker and is zeroized on drop.
#[derive(Clone)]
pub struct SaltedPassword {
    hash: Hash,
    key: Output,
}

impl SaltedPassword {
    /// Runs Hi on the prepared password. This is the expensive step.
    pub fn derive(
        hash: Hash,
        prep: Prep,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, Error> {
        let prepared =
            zeroize::Zeroizing::new(prep.prepare(password, Field::Password)?.into_owned());
        Ok(Self {
            hash,
            key: hash.hi(prepared.as_bytes(), salt, iterations),
        })
    }

    /// Wraps a salted password computed elsewhere (a cache, another thread).
    pub fn from_bytes(hash: Hash, bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != hash.output_len() {
            return Err(Error::CredentialsMismatch);
        }
        Output::from_slice(bytes)
            .map(|key| Self { hash, key })
            .ok_or(Error::CredentialsMismatch)
    }

    /// The hash this was derived with.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// The raw bytes, for a cache.
    pub fn as_bytes(&self) -> &[u8] {
        self.key.as_bytes()
    }

    pub(crate) fn client_key(&self) -> Output {
        self.hash.hmac(self.key.as_bytes(), &[b"Client Key"])
    }

    pub(crate) fn server_key(&self) -> Output {
        self.hash.hmac(self.key.as_bytes(), &[b"Server Key"])
    }
}

impl fmt::Debug for SaltedPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaltedPassword")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// What a server stores for a SCRAM account (RFC 5802 §3): salt, iteration
/// count, StoredKey and ServerKey. Neither key lets a thief log in directly,
/// and verifying an exchange with them costs two HMACs and a hash, no PBKDF2.
#[derive(Clone)]
pub struct StoredCredentials {
    hash: Hash,
    salt: Vec<u8>,
    iterations: u32,
    stored_key: Output,
    server_key: Output,
}

impl StoredCredentials {
    /// Derives stored credentials from a password, for account creation or a
    /// password change. Runs PBKDF2.
    pub fn from_password(
        hash: Hash,
        prep: Prep,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, Error> {
        check_parameters(salt, iterations)?;
        let salted = SaltedPassword::derive(hash, prep, password, salt, iterations)?;
        Self::from_salted_password(&salted, salt, iterations)
    }

    /// Account creation with a fresh random salt of [`SALT_LEN`] bytes
    /// (RFC 5802 §5.1: a different salt per user). Runs PBKDF2.
    pub fn generate(
        hash: Hash,
        prep: Prep,
        password: &str,
        iterations: u32,
        rng: &mut impl rand_core::CryptoRngCore,
    ) -> Result<Self, Error> {
        let mut salt = [0u8; SALT_LEN];
        rng.try_fill_bytes(&mut salt).map_err(|_| Error::Random)?;
        Self::from_password(hash, prep, password, &salt, iterations)
    }

    /// Derives stored credentials from a salted password; refuses what
    /// [`Self::new`] refuses.
    pub fn from_salted_password(
        salted: &SaltedPassword,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, Error> {
        check_parameters(salt, iterations)?;
        let hash = salted.hash;
        Ok(Self {
            hash,
            salt: salt.to_vec(),
            iterations,
            stored_key: hash.digest(salted.client_key().as_bytes()),
            server_key: salted.server_key(),
        })
    }

    /// Wraps keys loaded from storage; both must be as long as the hash.
    ///
    /// An iteration count of 0 (RFC 5802 §7 `posit-number`) or an empty
    /// salt is refused: the server would send `s=,i=0`, which no client
    /// accepts and which salts nothing.
    pub fn new(
        hash: Hash,
        salt: &[u8],
        iterations: u32,
        stored_key: &[u8],
        server_key: &[u8],
    ) -> Result<Self, Error> {
        check_parameters(salt, iterations)?;
        if stored_key.len() != hash.output_len() || server_key.len() != hash.output_len() {
            return Err(Error::CredentialsMismatch);
        }
        Ok(Self {
            hash,
            salt: salt.to_vec(),
            iterations,
            stored_key: Output::from_slice(stored_key).ok_or(Error::CredentialsMismatch)?,
            server_key: Output::from_slice(server_key).ok_or(Error::CredentialsMismatch)?,
        })
    }

    /// Credentials for a user that does not exist (RFC 5802 §5.1), so the
    /// exchange proceeds and fails at the proof like a wrong password
    /// (RFC 5802 §9 advises against revealing whether a user exists). The
    /// salt is derived from the secret and the username, stable per user,
    /// with the length and iteration count of the server's real accounts
    /// ([`ServerSecret::accounts`]). [`Credentials::UnknownUser`] answers
    /// with these; call this only to drive the [`crate::scram`] phases.
    ///
    /// [`Credentials::UnknownUser`]: crate::Credentials::UnknownUser
    pub fn mock(hash: Hash, secret: &ServerSecret, username: &str) -> Self {
        let salt = secret.derive(b"mock salt", hash, username);
        let key = secret.derive(b"mock key", hash, username);
        let key = Output::from_slice(key.as_bytes().get(..hash.output_len()).unwrap_or_default())
            .unwrap_or_else(|| Output::new(hash.output_len()));
        Self {
            hash,
            salt: salt
                .as_bytes()
                .get(..secret.salt_len())
                .unwrap_or_default()
                .to_vec(),
            iterations: secret.iterations(),
            stored_key: key.clone(),
            server_key: key,
        }
    }

    /// The hash.
    pub fn hash(&self) -> Hash {
        self.hash
    }
    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }
    /// The iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }
    /// StoredKey = H(ClientKey).
    pub fn stored_key(&self) -> &[u8] {
        self.stored_key.as_bytes()
    }
    /// ServerKey = HMAC(SaltedPassword, "Server Key").
    pub fn server_key(&self) -> &[u8] {
        self.server_key.as_bytes()
    }

    pub(crate) fn stored_key_output(&self) -> &Output {
        &self.stored_key
    }
}

/// The parameters every stored credential must have: a salt of at least one
/// byte and an iteration count of at least one.
fn check_parameters(salt: &[u8], iterations: u32) -> Result<(), Error> {
    if iterations == 0 {
        return Err(Error::IterationCount {
            count: 0,
            min: 1,
            max: u32::MAX,
        });
    }
    if salt.is_empty() {
        return Err(Error::SaltTooShort { min: 1, len: 0 });
    }
    Ok(())
}

impl fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredentials")
            .field("hash", &self.hash)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6070_pbkdf2_sha1() {
        // RFC 6070 §2, test case 2 (c = 2).
        let out = Hash::Sha1.hi(b"password", b"salt", 2);
        assert_eq!(
            out.as_bytes(),
            [
                0xea, 0x6c, 0x01, 0x4d, 0xc7, 0x2d, 0x6f, 0x8c, 0xcd, 0x1e, 0xd9, 0x2a, 0xce, 0x1d,
                0x41, 0xf0, 0xd8, 0xde, 0x89, 0x57
            ]
        );
    }

    #[test]
    fn generate_uses_a_fresh_salt() {
        struct Counter(u8);
        impl rand_core::RngCore for Counter {
            fn next_u32(&mut self) -> u32 {
                rand_core::impls::next_u32_via_fill(self)
            }
            fn next_u64(&mut self) -> u64 {
                rand_core::impls::next_u64_via_fill(self)
            }
            fn fill_bytes(&mut self, dest: &mut [u8]) {
                for b in dest {
                    self.0 = self.0.wrapping_add(1);
                    *b = self.0;
                }
            }
            fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
                self.fill_bytes(dest);
                Ok(())
            }
        }
        impl rand_core::CryptoRng for Counter {}
        let mut rng = Counter(0);
        let a = StoredCredentials::generate(Hash::Sha1, Prep::None, "pw", 2, &mut rng).expect("a");
        let b = StoredCredentials::generate(Hash::Sha1, Prep::None, "pw", 2, &mut rng).expect("b");
        assert_eq!(a.salt().len(), SALT_LEN);
        assert_ne!(a.salt(), b.salt());
        assert_ne!(a.stored_key(), b.stored_key());
    }

    #[test]
    fn refuses_parameters_no_client_accepts() {
        // RFC 5802 §7: `iteration-count = "i=" posit-number`, and a salt
        // of no bytes salts nothing; the server would send `s=,i=0`.
        let key = [7u8; 32];
        assert_eq!(
            StoredCredentials::new(Hash::Sha256, b"salt-salt", 0, &key, &key).err(),
            Some(Error::IterationCount {
                count: 0,
                min: 1,
                max: u32::MAX
            })
        );
        assert_eq!(
            StoredCredentials::new(Hash::Sha256, b"", 4096, &key, &key).err(),
            Some(Error::SaltTooShort { min: 1, len: 0 })
        );
        assert!(StoredCredentials::from_password(Hash::Sha1, Prep::None, "pw", b"", 2).is_err());
        assert!(
            StoredCredentials::from_password(Hash::Sha1, Prep::None, "pw", b"salt", 0).is_err()
        );
    }

    #[test]
    fn xor_and_ct_eq() {
        let a = Output::from_slice(&[1, 2, 3]).expect("short");
        let b = a.xor(&[1, 2, 3]);
        assert!(b.ct_eq(&[0, 0, 0]));
        assert!(!b.ct_eq(&[0, 0]));
        assert!(!b.ct_eq(&[0, 0, 1]));
    }
}
