//! Time as the machines see it: a number of milliseconds the driver passes
//! in. The machines never read a clock (the sans-I/O line); a driver maps
//! its own clock onto [`Instant`] (for example milliseconds since the
//! connection started).

use core::ops::Add;
use core::time::Duration;

/// A point in time: milliseconds since an epoch the driver chooses. Only
/// differences matter, so any monotonic clock will do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The instant `ms` milliseconds after the driver's epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the driver's epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time from `earlier` to `self`, zero when `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Self;

    /// Saturates at the end of time rather than wrapping.
    fn add(self, d: Duration) -> Self {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_and_saturates() {
        let t = Instant::from_millis(1_000);
        assert_eq!((t + Duration::from_secs(2)).as_millis(), 3_000);
        assert_eq!((t + Duration::MAX).as_millis(), u64::MAX);
        assert_eq!(
            t.saturating_duration_since(Instant::from_millis(4_000)),
            Duration::ZERO
        );
    }
}
