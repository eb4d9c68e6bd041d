//! What the caller decides: limits and nonces.

use alloc::string::String;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand_core::CryptoRngCore;
use zeroize::Zeroize;

use crate::error::Error;

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
