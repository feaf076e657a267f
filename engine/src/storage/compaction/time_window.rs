//! Time-window compaction, Cassandra's `TimeWindowCompactionStrategy`: an SSTable belongs to
//! the window of its newest write (`max_timestamp` floored to a multiple of
//! `compaction_window_size` x `compaction_window_unit` since the epoch). Windows are visited
//! newest first (Cassandra's `newestBucket`):
//!
//! - the current window (and any later one) is size-tiered once it holds `min_threshold`
//!   SSTables ([`super::size_tiered`] with this table's bucket options and thresholds);
//! - an older window with 2 SSTables or more is compacted whole, its `max_threshold`
//!   smallest SSTables at a time, so every closed window ends as one SSTable.
//!
//! The current window is the one holding `now_micros`. Cassandra takes the newest window
//! any SSTable falls in instead, which is the same while the table is written to; with the
//! clock, a window also closes (and is compacted to one SSTable) when writes stop. Windows
//! are floored (also before the epoch, where Cassandra's Java `%` truncates towards zero).
//! Not done: dropping fully expired SSTables (`expired_sstable_check_frequency_seconds` and
//! `unsafe_aggressive_sstable_expiration` are accepted and kept), tombstone compactions.

use std::collections::BTreeMap;

use super::size_tiered::{tiered_job, BucketOptions};
use super::strategy::{
    invalid, merge_all, CommonOptions, CompactionJob, OptionParser, SstableSummary, StrategyError, Thresholds,
};

pub const COMPACTION_WINDOW_UNIT_OPTION: &str = "compaction_window_unit";
pub const COMPACTION_WINDOW_SIZE_OPTION: &str = "compaction_window_size";
pub const TIMESTAMP_RESOLUTION_OPTION: &str = "timestamp_resolution";
pub const EXPIRED_SSTABLE_CHECK_FREQUENCY_SECONDS_OPTION: &str = "expired_sstable_check_frequency_seconds";
pub const UNSAFE_AGGRESSIVE_SSTABLE_EXPIRATION_OPTION: &str = "unsafe_aggressive_sstable_expiration";

/// Cassandra's defaults: one-day windows of microsecond timestamps, expiry checks every 10 min.
pub const DEFAULT_WINDOW_UNIT: WindowUnit = WindowUnit::Days;
pub const DEFAULT_WINDOW_SIZE: u32 = 1;
pub const DEFAULT_TIMESTAMP_RESOLUTION: TimestampResolution = TimestampResolution::Microseconds;
pub const DEFAULT_EXPIRED_SSTABLE_CHECK_FREQUENCY_SECONDS: u64 = 600;
pub const DEFAULT_UNSAFE_AGGRESSIVE_SSTABLE_EXPIRATION: bool = false;
/// An older window is compacted once it holds this many SSTables.
pub const OLD_WINDOW_COMPACTION_TRIGGER: usize = 2;

const MICROS_PER_SECOND: i128 = 1_000_000;
const SECONDS_PER_MINUTE: i128 = 60;
const SECONDS_PER_HOUR: i128 = 3_600;
const SECONDS_PER_DAY: i128 = 86_400;
const NANOS_PER_MICRO: i128 = 1_000;
const MICROS_PER_MILLI: i128 = 1_000;

/// `compaction_window_unit` (Java `TimeUnit` names, upper case, as Cassandra requires).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowUnit {
    Minutes,
    Hours,
    Days,
}

impl WindowUnit {
    fn seconds(self) -> i128 {
        match self {
            WindowUnit::Minutes => SECONDS_PER_MINUTE,
            WindowUnit::Hours => SECONDS_PER_HOUR,
            WindowUnit::Days => SECONDS_PER_DAY,
        }
    }
}

/// `timestamp_resolution`: the unit of the write timestamps in the SSTables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampResolution {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl TimestampResolution {
    fn to_micros(self, timestamp: i64) -> i128 {
        let t = i128::from(timestamp);
        match self {
            TimestampResolution::Seconds => t * MICROS_PER_SECOND,
            TimestampResolution::Milliseconds => t * MICROS_PER_MILLI,
            TimestampResolution::Microseconds => t,
            TimestampResolution::Nanoseconds => t.div_euclid(NANOS_PER_MICRO),
        }
    }
}

/// The options of `TimeWindowCompactionStrategy`.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeWindowOptions {
    pub common: CommonOptions,
    /// For the size-tiered compactions inside the current window.
    pub thresholds: Thresholds,
    pub bucketing: BucketOptions,
    pub window_unit: WindowUnit,
    pub window_size: u32,
    pub timestamp_resolution: TimestampResolution,
    pub expired_sstable_check_frequency_seconds: u64,
    pub unsafe_aggressive_sstable_expiration: bool,
}

impl Default for TimeWindowOptions {
    fn default() -> Self {
        TimeWindowOptions {
            common: CommonOptions::default(),
            thresholds: Thresholds::default(),
            bucketing: BucketOptions::default(),
            window_unit: DEFAULT_WINDOW_UNIT,
            window_size: DEFAULT_WINDOW_SIZE,
            timestamp_resolution: DEFAULT_TIMESTAMP_RESOLUTION,
            expired_sstable_check_frequency_seconds: DEFAULT_EXPIRED_SSTABLE_CHECK_FREQUENCY_SECONDS,
            unsafe_aggressive_sstable_expiration: DEFAULT_UNSAFE_AGGRESSIVE_SSTABLE_EXPIRATION,
        }
    }
}

impl TimeWindowOptions {
    /// Cassandra's `TimeWindowCompactionStrategyOptions.validateOptions`; thresholds are set
    /// by the caller.
    pub(crate) fn parse(p: &mut OptionParser<'_>, common: CommonOptions) -> Result<TimeWindowOptions, StrategyError> {
        let key = TIMESTAMP_RESOLUTION_OPTION;
        let timestamp_resolution = match p.get(key) {
            None => DEFAULT_TIMESTAMP_RESOLUTION,
            Some("SECONDS") => TimestampResolution::Seconds,
            Some("MILLISECONDS") => TimestampResolution::Milliseconds,
            Some("MICROSECONDS") => TimestampResolution::Microseconds,
            Some("NANOSECONDS") => TimestampResolution::Nanoseconds,
            Some(other) => return Err(invalid(key, format!("{other} is not valid for {key}"))),
        };
        let key = COMPACTION_WINDOW_UNIT_OPTION;
        let window_unit = match p.get(key) {
            None => DEFAULT_WINDOW_UNIT,
            Some("MINUTES") => WindowUnit::Minutes,
            Some("HOURS") => WindowUnit::Hours,
            Some("DAYS") => WindowUnit::Days,
            Some(other) => return Err(invalid(key, format!("{other} is not valid for {key}"))),
        };
        let key = COMPACTION_WINDOW_SIZE_OPTION;
        let size: i32 = p.integer(key, i32::try_from(DEFAULT_WINDOW_SIZE).unwrap_or(i32::MAX))?;
        let window_size = u32::try_from(size)
            .ok()
            .filter(|s| *s >= 1)
            .ok_or_else(|| invalid(key, format!("{size} must be greater than 1 for {key}")))?;
        let key = EXPIRED_SSTABLE_CHECK_FREQUENCY_SECONDS_OPTION;
        let default_frequency = i64::try_from(DEFAULT_EXPIRED_SSTABLE_CHECK_FREQUENCY_SECONDS).unwrap_or(i64::MAX);
        let frequency: i64 = p.integer(key, default_frequency)?;
        let expired_sstable_check_frequency_seconds = u64::try_from(frequency)
            .map_err(|_| invalid(key, format!("{key} must not be negative, but was {frequency}")))?;
        let key = UNSAFE_AGGRESSIVE_SSTABLE_EXPIRATION_OPTION;
        let unsafe_aggressive_sstable_expiration =
            p.boolean(key, DEFAULT_UNSAFE_AGGRESSIVE_SSTABLE_EXPIRATION, |v| {
                format!("{key} is not 'true' or 'false' ({v})")
            })?;
        let bucketing = BucketOptions::parse(p)?;
        Ok(TimeWindowOptions {
            common,
            thresholds: Thresholds::default(),
            bucketing,
            window_unit,
            window_size,
            timestamp_resolution,
            expired_sstable_check_frequency_seconds,
            unsafe_aggressive_sstable_expiration,
        })
    }

    /// The window length in microseconds.
    pub fn window_micros(&self) -> i128 {
        i128::from(self.window_size) * self.window_unit.seconds() * MICROS_PER_SECOND
    }

    /// The window (its index since the epoch) of a write timestamp in `timestamp_resolution`.
    pub fn window_of(&self, timestamp: i64) -> i64 {
        window_index(self.timestamp_resolution.to_micros(timestamp), self.window_micros())
    }

    /// The next job (see the module doc). Ignores `enabled`.
    pub fn pick(&self, sstables: &[SstableSummary], now_micros: i64) -> Option<CompactionJob> {
        let current = window_index(i128::from(now_micros), self.window_micros());
        let mut windows: BTreeMap<i64, Vec<&SstableSummary>> = BTreeMap::new();
        for sstable in sstables {
            windows.entry(self.window_of(sstable.max_timestamp)).or_default().push(sstable);
        }
        for (&window, members) in windows.iter().rev() {
            if window >= current {
                if members.len() >= self.thresholds.min {
                    if let Some(job) = tiered_job(members.iter().copied(), self.thresholds, &self.bucketing) {
                        return Some(job);
                    }
                }
            } else if members.len() >= OLD_WINDOW_COMPACTION_TRIGGER {
                let mut smallest = members.clone();
                smallest.sort_by_key(|s| (s.size_bytes, s.generation));
                smallest.truncate(self.thresholds.max);
                return Some(CompactionJob::new(smallest, 0, None));
            }
        }
        None
    }

    /// Everything into one SSTable.
    pub fn major(&self, sstables: &[SstableSummary]) -> Option<CompactionJob> {
        merge_all(sstables)
    }
}

fn window_index(micros: i128, window_micros: i128) -> i64 {
    let index = micros.div_euclid(window_micros.max(1));
    i64::try_from(index).unwrap_or(if index < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::super::strategy::tests::{options, sst};
    use super::super::strategy::{CompactionStrategy, Generation};
    use super::*;

    const MIB: u64 = 1024 * 1024;
    const HOUR: i64 = 3_600_000_000;
    const DAY: i64 = 24 * HOUR;
    /// Some day well after the epoch, at midnight.
    const TODAY: i64 = 19_000 * DAY;

    fn twcs(pairs: &[(&str, &str)]) -> Result<TimeWindowOptions, StrategyError> {
        let mut all = vec![("class", "TimeWindowCompactionStrategy")];
        all.extend_from_slice(pairs);
        match CompactionStrategy::from_options(&options(&all))? {
            CompactionStrategy::TimeWindow(o) => Ok(o),
            other => panic!("not TWCS: {other:?}"),
        }
    }

    fn written(generation: Generation, size_bytes: u64, max_timestamp: i64) -> SstableSummary {
        SstableSummary { min_timestamp: max_timestamp - HOUR, max_timestamp, ..sst(generation, size_bytes, 0, (0, 9)) }
    }

    #[test]
    fn defaults_and_validation() {
        let o = twcs(&[]).unwrap();
        assert_eq!(o, TimeWindowOptions::default());
        assert_eq!(
            (o.window_unit, o.window_size, o.timestamp_resolution),
            (WindowUnit::Days, 1, TimestampResolution::Microseconds)
        );
        assert_eq!(o.window_micros(), i128::from(DAY));
        let o = twcs(&[
            ("compaction_window_unit", "HOURS"),
            ("compaction_window_size", "6"),
            ("timestamp_resolution", "MILLISECONDS"),
            ("expired_sstable_check_frequency_seconds", "30"),
            ("unsafe_aggressive_sstable_expiration", "false"),
            ("min_threshold", "2"),
            ("bucket_high", "3"),
        ])
        .unwrap();
        assert_eq!((o.window_unit, o.window_size), (WindowUnit::Hours, 6));
        assert_eq!(o.timestamp_resolution, TimestampResolution::Milliseconds);
        assert_eq!(
            (o.expired_sstable_check_frequency_seconds, o.thresholds.min, o.bucketing.bucket_high),
            (30, 2, 3.0)
        );
        let message = |pairs: &[(&str, &str)]| twcs(pairs).unwrap_err().to_string();
        assert_eq!(message(&[("compaction_window_unit", "WEEKS")]), "WEEKS is not valid for compaction_window_unit");
        assert_eq!(message(&[("compaction_window_unit", "days")]), "days is not valid for compaction_window_unit");
        assert_eq!(message(&[("timestamp_resolution", "HOURS")]), "HOURS is not valid for timestamp_resolution");
        assert_eq!(message(&[("compaction_window_size", "0")]), "0 must be greater than 1 for compaction_window_size");
        assert_eq!(
            message(&[("compaction_window_size", "x")]),
            "x is not a parsable int (base10) for compaction_window_size"
        );
        assert_eq!(
            message(&[("expired_sstable_check_frequency_seconds", "-1")]),
            "expired_sstable_check_frequency_seconds must not be negative, but was -1"
        );
        assert_eq!(
            message(&[("unsafe_aggressive_sstable_expiration", "perhaps")]),
            "unsafe_aggressive_sstable_expiration is not 'true' or 'false' (perhaps)"
        );
        assert_eq!(
            message(&[("sstable_size_in_mb", "1")]),
            "Properties specified [sstable_size_in_mb] are not understood by TimeWindowCompactionStrategy"
        );
    }

    #[test]
    fn windows_follow_unit_size_and_resolution() {
        let days = twcs(&[]).unwrap();
        assert_eq!(days.window_of(TODAY), 19_000);
        assert_eq!(days.window_of(TODAY + DAY - 1), 19_000);
        assert_eq!(days.window_of(TODAY + DAY), 19_001);
        assert_eq!(days.window_of(-1), -1, "floored before the epoch");
        let six_hours = twcs(&[("compaction_window_unit", "HOURS"), ("compaction_window_size", "6")]).unwrap();
        assert_eq!(six_hours.window_of(TODAY + 5 * HOUR), six_hours.window_of(TODAY));
        assert_eq!(six_hours.window_of(TODAY + 6 * HOUR), six_hours.window_of(TODAY) + 1);
        let millis = twcs(&[("timestamp_resolution", "MILLISECONDS")]).unwrap();
        assert_eq!(millis.window_of(TODAY / 1000), 19_000);
        let seconds = twcs(&[("timestamp_resolution", "SECONDS"), ("compaction_window_unit", "MINUTES")]).unwrap();
        assert_eq!(seconds.window_of(120), 2);
        assert_eq!(seconds.window_of(i64::MAX), i64::MAX / 60, "no overflow");
        let nanos = twcs(&[("timestamp_resolution", "NANOSECONDS")]).unwrap();
        assert_eq!(nanos.window_of(TODAY.saturating_mul(1000)), 19_000);
    }

    #[test]
    fn the_current_window_waits_for_min_threshold_then_tiers() {
        let o = twcs(&[]).unwrap();
        let now = TODAY + 12 * HOUR;
        let three: Vec<_> = (1..=3).map(|g| written(g, MIB, TODAY + g as i64 * HOUR)).collect();
        assert_eq!(o.pick(&three, now), None);
        let mut four = three.clone();
        four.push(written(4, MIB, TODAY + 5 * HOUR));
        assert_eq!(
            o.pick(&four, now),
            Some(CompactionJob { inputs: vec![1, 2, 3, 4], output_level: 0, max_output_bytes: None })
        );
        // Four SSTables of dissimilar sizes make no size-tiered bucket.
        let tiers: Vec<_> =
            [100, 300, 900, 2700].iter().zip(1..).map(|(&m, g)| written(g, m * MIB, TODAY + HOUR)).collect();
        assert_eq!(o.pick(&tiers, now), None);
    }

    #[test]
    fn an_older_window_is_compacted_whole() {
        let o = twcs(&[]).unwrap();
        let now = TODAY + HOUR;
        let sstables = vec![
            written(1, 5 * MIB, TODAY - 3 * DAY + HOUR),
            written(2, 900 * MIB, TODAY - 2 * DAY + HOUR),
            written(3, MIB, TODAY - 2 * DAY + 2 * HOUR),
            written(4, MIB, TODAY - 3 * DAY + 2 * HOUR),
            written(5, MIB, TODAY + 1),
        ];
        // The newest older window first, whatever the sizes; the current one has 1 SSTable.
        assert_eq!(
            o.pick(&sstables, now),
            Some(CompactionJob { inputs: vec![2, 3], output_level: 0, max_output_bytes: None })
        );
        let rest: Vec<_> = sstables.into_iter().filter(|s| s.generation != 2 && s.generation != 3).collect();
        assert_eq!(o.pick(&rest, now).unwrap().inputs, vec![1, 4]);
        // A closed window with a single SSTable is left alone.
        assert_eq!(o.pick(&[written(1, MIB, TODAY - DAY), written(2, MIB, TODAY)], now), None);
    }

    #[test]
    fn windows_close_with_the_clock() {
        let o = twcs(&[]).unwrap();
        let yesterday = vec![written(1, MIB, TODAY - HOUR), written(2, MIB, TODAY - 2 * HOUR)];
        assert_eq!(o.pick(&yesterday, TODAY - 1), None, "still the current window");
        assert_eq!(o.pick(&yesterday, TODAY).unwrap().inputs, vec![1, 2], "closed once the day is over");
    }

    #[test]
    fn older_windows_take_their_max_threshold_smallest() {
        let o = twcs(&[("min_threshold", "2"), ("max_threshold", "3")]).unwrap();
        let sstables: Vec<_> =
            [7, 3, 9, 1, 5].iter().zip(1..).map(|(&m, g)| written(g, m * MIB, TODAY - DAY)).collect();
        assert_eq!(o.pick(&sstables, TODAY).unwrap().inputs, vec![2, 4, 5]);
    }

    #[test]
    fn major_merges_every_window() {
        let o = twcs(&[]).unwrap();
        assert_eq!(o.major(&[written(1, MIB, TODAY)]), None);
        let all = vec![written(1, MIB, TODAY - 5 * DAY), written(2, MIB, TODAY)];
        assert_eq!(o.major(&all), Some(CompactionJob { inputs: vec![1, 2], output_level: 0, max_output_bytes: None }));
    }
}
