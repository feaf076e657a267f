//! A per-shard bandwidth limit for background disk I/O (compaction): callers report the
//! bytes they moved and sleep (a glommio timer: the thread keeps serving other tasks) as
//! long as needed to stay, on average, under the rate. It lives on its shard's thread
//! (`Cell`s, no lock); all compactions of a shard share it, so together they stay under it.
//! The rate may change at run time (`nodetool setcompactionthroughput`): the new rate
//! applies from then on, earlier debt forgiven.
//!
//! The bucket is kept as the time its debt is paid off (a GCRA token bucket): charging `n`
//! bytes moves that time `n / rate` later, and the caller waits until it is at most
//! [`BANDWIDTH_BURST_MS`] ahead of now. After idle time up to that many milliseconds' worth of
//! bytes pass at once; a steady stream is paced at the rate. Waits shorter than
//! [`THROTTLE_SLEEP_MIN_US`] are not slept but stay owed, so the next charge waits for them:
//! exact on average with at most one timer per that interval.

use std::cell::Cell;
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

/// How much may pass at once after idleness: this many milliseconds at the rate.
pub const BANDWIDTH_BURST_MS: u64 = 50;
/// Shorter waits are carried over to the next charge instead of arming a timer.
pub const THROTTLE_SLEEP_MIN_US: u64 = 1_000;
const NANOS_PER_SECOND: u128 = 1_000_000_000;

pub struct BandwidthLimiter {
    /// `None`: unlimited.
    bytes_per_second: Cell<Option<NonZeroU64>>,
    epoch: Instant,
    /// When everything charged so far is paid off at the rate, since `epoch`.
    paid_until: Cell<Duration>,
    /// Time callers spent sleeping here.
    throttled: Cell<Duration>,
}

impl BandwidthLimiter {
    /// A limiter at `bytes_per_second` (`None` or 0: unlimited).
    pub fn new(bytes_per_second: Option<u64>) -> BandwidthLimiter {
        BandwidthLimiter {
            bytes_per_second: Cell::new(bytes_per_second.and_then(NonZeroU64::new)),
            epoch: Instant::now(),
            paid_until: Cell::new(Duration::ZERO),
            throttled: Cell::new(Duration::ZERO),
        }
    }

    pub fn unlimited() -> BandwidthLimiter {
        BandwidthLimiter::new(None)
    }

    /// The configured rate, bytes/s (`None`: unlimited).
    pub fn bytes_per_second(&self) -> Option<u64> {
        self.bytes_per_second.get().map(NonZeroU64::get)
    }

    /// Changes the rate (`None` or 0: unlimited) from now on; what was owed at the old
    /// rate is forgiven (a caller already sleeping finishes its sleep).
    pub fn set_bytes_per_second(&self, bytes_per_second: Option<u64>) {
        self.bytes_per_second.set(bytes_per_second.and_then(NonZeroU64::new));
        self.paid_until.set(self.epoch.elapsed());
    }

    /// Total time callers were made to wait.
    pub fn throttled(&self) -> Duration {
        self.throttled.get()
    }

    /// Accounts for `bytes` just moved and waits as long as the rate requires.
    pub async fn consume(&self, bytes: u64) {
        let Some(rate) = self.bytes_per_second.get() else { return };
        if bytes == 0 {
            return;
        }
        let now = self.epoch.elapsed();
        let burst = Duration::from_millis(BANDWIDTH_BURST_MS);
        let (paid_until, wait) = charge(self.paid_until.get(), now, bytes, rate, burst);
        self.paid_until.set(paid_until);
        if wait >= Duration::from_micros(THROTTLE_SLEEP_MIN_US) {
            let started = Instant::now();
            glommio::timer::sleep(wait).await;
            self.throttled.set(self.throttled.get() + started.elapsed());
        }
    }
}

/// Charges `bytes` at `bytes_per_second` to a bucket paid off at `paid_until` (measured, like
/// `now`, from a fixed epoch): the new paid-off time and how long the caller must wait so
/// that at most `burst` of debt remains ahead of now.
pub fn charge(
    paid_until: Duration,
    now: Duration,
    bytes: u64,
    bytes_per_second: NonZeroU64,
    burst: Duration,
) -> (Duration, Duration) {
    let paid_until = paid_until.max(now) + transfer_time(bytes, bytes_per_second);
    (paid_until, paid_until.saturating_sub(now + burst))
}

/// How long `bytes` take at `bytes_per_second`.
pub fn transfer_time(bytes: u64, bytes_per_second: NonZeroU64) -> Duration {
    let nanos = u128::from(bytes) * NANOS_PER_SECOND / u128::from(bytes_per_second.get());
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;
    const BURST: Duration = Duration::from_millis(BANDWIDTH_BURST_MS);

    fn rate(bytes_per_second: u64) -> NonZeroU64 {
        NonZeroU64::new(bytes_per_second).unwrap()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn transfer_times() {
        assert_eq!(transfer_time(MB, rate(MB)), Duration::from_secs(1));
        assert_eq!(transfer_time(MB / 2, rate(100 * MB)), ms(5));
        assert_eq!(transfer_time(u64::MAX, rate(1)), Duration::from_nanos(u64::MAX), "saturates");
    }

    #[test]
    fn an_idle_bucket_lets_a_burst_through() {
        // 100 MB/s: 50 ms of burst is 5 MB.
        let (paid, wait) = charge(Duration::ZERO, Duration::from_secs(10), 5 * MB, rate(100 * MB), BURST);
        assert_eq!(wait, Duration::ZERO);
        assert_eq!(paid, Duration::from_secs(10) + ms(50));
        let (_, wait) = charge(Duration::ZERO, Duration::from_secs(10), 8 * MB, rate(100 * MB), BURST);
        assert_eq!(wait, ms(30), "80 ms of transfer, 50 ms of it free");
    }

    #[test]
    fn idleness_earns_at_most_one_burst() {
        let (paid, _) = charge(Duration::ZERO, Duration::ZERO, 100 * MB, rate(100 * MB), BURST);
        assert_eq!(paid, Duration::from_secs(1));
        // An hour later: no credit beyond the burst.
        let (_, wait) = charge(paid, Duration::from_secs(3600), 100 * MB, rate(100 * MB), BURST);
        assert_eq!(wait, Duration::from_secs(1) - BURST);
    }

    #[test]
    fn a_steady_stream_is_paced_at_the_rate() {
        // 1 MB chunks at 10 MB/s, the caller sleeping exactly what it is told.
        let (mut paid, mut now, mut slept) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        for _ in 0..100 {
            let (p, wait) = charge(paid, now, MB, rate(10 * MB), BURST);
            paid = p;
            now += wait;
            slept += wait;
        }
        // 100 MB at 10 MB/s is 10 s, of which the first burst was free.
        assert_eq!(now, Duration::from_secs(10) - BURST);
        assert_eq!(slept, now);
    }

    #[test]
    fn small_debts_add_up() {
        // 1000-byte charges at 10 MB/s (100 µs each), no time passing: the first 50 ms are
        // burst, after that each one owes a little more; the debts are never lost.
        let mut paid = Duration::ZERO;
        for i in 0..1000 {
            let (p, wait) = charge(paid, Duration::ZERO, 1000, rate(10 * MB), BURST);
            paid = p;
            assert_eq!(wait, paid.saturating_sub(BURST), "charge {i}");
        }
        assert_eq!(paid, ms(100), "1 MB at 10 MB/s");
        let (_, wait) = charge(paid, Duration::ZERO, 0, rate(10 * MB), BURST);
        assert_eq!(wait, ms(50));
    }

    #[test]
    fn the_limiter_sleeps_on_the_executor() {
        crate::storage::sstable::test_support::run(|| async {
            let unlimited = BandwidthLimiter::unlimited();
            unlimited.consume(u64::MAX).await;
            assert_eq!((unlimited.bytes_per_second(), unlimited.throttled()), (None, Duration::ZERO));
            // 10 MB/s: 1.5 MB is 150 ms, 50 ms of it burst.
            let limiter = BandwidthLimiter::new(Some(10 * MB));
            let started = Instant::now();
            limiter.consume(MB).await;
            limiter.consume(MB / 2).await;
            assert!(started.elapsed() >= ms(95), "{:?}", started.elapsed());
            assert!(limiter.throttled() >= ms(95), "{:?}", limiter.throttled());
            assert_eq!(limiter.bytes_per_second(), Some(10 * MB));
            // A new rate applies at once; 0 is unlimited.
            limiter.set_bytes_per_second(Some(0));
            assert_eq!(limiter.bytes_per_second(), None);
            let started = Instant::now();
            limiter.consume(100 * MB).await;
            assert!(started.elapsed() < ms(50), "unlimited after the change: {:?}", started.elapsed());
            limiter.set_bytes_per_second(Some(1000 * MB));
            assert_eq!(limiter.bytes_per_second(), Some(1000 * MB));
        });
    }
}
