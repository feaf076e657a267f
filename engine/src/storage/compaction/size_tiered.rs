//! Size-tiered compaction, Cassandra's `SizeTieredCompactionStrategy`: SSTables of similar
//! size go into one bucket ([`buckets`], Cassandra's `getBuckets`), and a bucket with at least
//! `min_threshold` members is compacted, at most `max_threshold` of them at a time
//! ([`most_interesting_bucket`]).
//!
//! Cassandra picks the "hottest" bucket (read rate per key), breaking ties by the smallest
//! average size. We keep no read rates, so every bucket is equally hot and the bucket with
//! the smallest average size wins: the tie-break becomes the rule (Cassandra does the same
//! for tables that are never read). Within a bucket the `max_threshold` smallest are taken.

use super::strategy::{
    invalid, java_double, merge_all, CommonOptions, CompactionJob, OptionParser, SstableSummary, StrategyError,
    Thresholds,
};

pub const BUCKET_LOW_OPTION: &str = "bucket_low";
pub const BUCKET_HIGH_OPTION: &str = "bucket_high";
pub const MIN_SSTABLE_SIZE_OPTION: &str = "min_sstable_size";

/// Cassandra's defaults: a bucket takes SSTables within [0.5, 1.5] times its average size,
/// and every SSTable under 50 MiB (the option is in bytes) goes in one small-SSTable bucket.
pub const DEFAULT_BUCKET_LOW: f64 = 0.5;
pub const DEFAULT_BUCKET_HIGH: f64 = 1.5;
pub const DEFAULT_MIN_SSTABLE_SIZE: u64 = 50 * 1024 * 1024;

/// How SSTables are grouped by size (also used by TWCS inside its newest window).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketOptions {
    pub bucket_low: f64,
    pub bucket_high: f64,
    /// Bytes.
    pub min_sstable_size: u64,
}

impl Default for BucketOptions {
    fn default() -> Self {
        BucketOptions {
            bucket_low: DEFAULT_BUCKET_LOW,
            bucket_high: DEFAULT_BUCKET_HIGH,
            min_sstable_size: DEFAULT_MIN_SSTABLE_SIZE,
        }
    }
}

impl BucketOptions {
    /// Cassandra's `SizeTieredCompactionStrategyOptions.validateOptions`.
    pub(crate) fn parse(p: &mut OptionParser<'_>) -> Result<BucketOptions, StrategyError> {
        let key = MIN_SSTABLE_SIZE_OPTION;
        let min_sstable_size: i64 = p.integer(key, DEFAULT_MIN_SSTABLE_SIZE as i64)?;
        let min_sstable_size = u64::try_from(min_sstable_size)
            .map_err(|_| invalid(key, format!("{key} must be non negative: {min_sstable_size}")))?;
        let bucket_low = p.float(BUCKET_LOW_OPTION, DEFAULT_BUCKET_LOW)?;
        let bucket_high = p.float(BUCKET_HIGH_OPTION, DEFAULT_BUCKET_HIGH)?;
        if bucket_high <= bucket_low {
            let message = format!(
                "Bucket high value ({}) is less than or equal bucket low value ({})",
                java_double(bucket_high),
                java_double(bucket_low)
            );
            return Err(invalid(BUCKET_HIGH_OPTION, message));
        }
        Ok(BucketOptions { bucket_low, bucket_high, min_sstable_size })
    }
}

/// The options of `SizeTieredCompactionStrategy`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SizeTieredOptions {
    pub common: CommonOptions,
    pub thresholds: Thresholds,
    pub bucketing: BucketOptions,
}

impl SizeTieredOptions {
    /// Reads the strategy's own sub-options; thresholds are set by the caller once checked.
    pub(crate) fn parse(p: &mut OptionParser<'_>, common: CommonOptions) -> Result<SizeTieredOptions, StrategyError> {
        Ok(SizeTieredOptions { common, thresholds: Thresholds::default(), bucketing: BucketOptions::parse(p)? })
    }

    /// The next job: the most interesting bucket, one output at level 0. Ignores `enabled`.
    pub fn pick(&self, sstables: &[SstableSummary]) -> Option<CompactionJob> {
        tiered_job(sstables, self.thresholds, &self.bucketing)
    }

    /// Everything into one SSTable.
    pub fn major(&self, sstables: &[SstableSummary]) -> Option<CompactionJob> {
        merge_all(sstables)
    }
}

/// The size-tiered job over `sstables`, if a bucket qualifies.
pub(crate) fn tiered_job<'a>(
    sstables: impl IntoIterator<Item = &'a SstableSummary>,
    thresholds: Thresholds,
    bucketing: &BucketOptions,
) -> Option<CompactionJob> {
    let bucket = most_interesting_bucket(buckets(sstables, bucketing), thresholds)?;
    Some(CompactionJob::new(bucket, 0, None))
}

/// Cassandra's `getBuckets`: SSTables by ascending size (then generation); each joins the
/// first bucket whose average `avg` has `avg * bucket_low < size < avg * bucket_high`, or
/// where both it and `avg` are under `min_sstable_size`; otherwise it starts a new bucket.
/// Buckets come in creation order, members by ascending size.
pub fn buckets<'a>(
    sstables: impl IntoIterator<Item = &'a SstableSummary>,
    options: &BucketOptions,
) -> Vec<Vec<&'a SstableSummary>> {
    let mut sorted: Vec<&SstableSummary> = sstables.into_iter().collect();
    sorted.sort_by_key(|s| (s.size_bytes, s.generation));
    // (members, total bytes); the average is total / members as in Cassandra's integer average.
    let mut buckets: Vec<(Vec<&SstableSummary>, u128)> = Vec::new();
    for sstable in sorted {
        let size = sstable.size_bytes;
        let similar = buckets.iter_mut().find(|(members, total)| {
            let average = average(*total, members.len());
            let (size_f, average_f) = (size as f64, average as f64);
            (size_f > average_f * options.bucket_low && size_f < average_f * options.bucket_high)
                || (size < options.min_sstable_size && average < options.min_sstable_size)
        });
        match similar {
            Some((members, total)) => {
                members.push(sstable);
                *total += u128::from(size);
            }
            None => buckets.push((vec![sstable], u128::from(size))),
        }
    }
    buckets.into_iter().map(|(members, _)| members).collect()
}

/// Cassandra's `mostInterestingBucket` without read rates: every bucket trimmed to its
/// `thresholds.max` smallest members, those with at least `thresholds.min` left, and of these
/// the one with the smallest average size (the first one on ties).
pub fn most_interesting_bucket(
    buckets: Vec<Vec<&SstableSummary>>,
    thresholds: Thresholds,
) -> Option<Vec<&SstableSummary>> {
    let mut best: Option<(u64, Vec<&SstableSummary>)> = None;
    for mut bucket in buckets {
        bucket.sort_by_key(|s| (s.size_bytes, s.generation));
        bucket.truncate(thresholds.max);
        if bucket.len() < thresholds.min || bucket.is_empty() {
            continue;
        }
        let total: u128 = bucket.iter().map(|s| u128::from(s.size_bytes)).sum();
        let avg = average(total, bucket.len());
        if best.as_ref().is_none_or(|(best_avg, _)| avg < *best_avg) {
            best = Some((avg, bucket));
        }
    }
    best.map(|(_, bucket)| bucket)
}

fn average(total: u128, count: usize) -> u64 {
    let count = u128::try_from(count.max(1)).unwrap_or(u128::MAX);
    u64::try_from(total / count).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::super::strategy::tests::{options, sst};
    use super::super::strategy::CompactionStrategy;
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn stcs(pairs: &[(&str, &str)]) -> Result<SizeTieredOptions, StrategyError> {
        let mut all = vec![("class", "SizeTieredCompactionStrategy")];
        all.extend_from_slice(pairs);
        match CompactionStrategy::from_options(&options(&all))? {
            CompactionStrategy::SizeTiered(o) => Ok(o),
            other => panic!("not STCS: {other:?}"),
        }
    }

    fn sized(sizes: &[u64]) -> Vec<SstableSummary> {
        sizes.iter().enumerate().map(|(i, &size)| sst(i as u64 + 1, size, 0, (0, 100))).collect()
    }

    fn generations(bucket: &[&SstableSummary]) -> Vec<u64> {
        bucket.iter().map(|s| s.generation).collect()
    }

    #[test]
    fn defaults_are_cassandras() {
        let o = stcs(&[]).unwrap();
        assert_eq!(o.thresholds, Thresholds { min: 4, max: 32 });
        assert_eq!(o.bucketing, BucketOptions { bucket_low: 0.5, bucket_high: 1.5, min_sstable_size: 50 * MIB });
        assert!(o.common.enabled);
        let o =
            stcs(&[("bucket_low", "0.25"), ("bucket_high", "2"), ("min_sstable_size", "1024"), ("min_threshold", "2")])
                .unwrap();
        assert_eq!(o.bucketing, BucketOptions { bucket_low: 0.25, bucket_high: 2.0, min_sstable_size: 1024 });
        assert_eq!(o.thresholds.min, 2);
    }

    #[test]
    fn bad_options_are_refused() {
        let message = |pairs: &[(&str, &str)]| stcs(pairs).unwrap_err().to_string();
        assert_eq!(
            message(&[("bucket_low", "1"), ("bucket_high", "1")]),
            "Bucket high value (1.0) is less than or equal bucket low value (1.0)"
        );
        assert_eq!(message(&[("min_sstable_size", "-1")]), "min_sstable_size must be non negative: -1");
        assert_eq!(message(&[("min_sstable_size", "big")]), "big is not a parsable int (base10) for min_sstable_size");
        assert_eq!(message(&[("bucket_low", "low")]), "low is not a parsable float for bucket_low");
        assert_eq!(message(&[("bucket_high", "NaN")]), "NaN is not a parsable float for bucket_high");
    }

    #[test]
    fn small_sstables_share_one_bucket() {
        let sstables = sized(&[MIB, 10 * MIB, 40 * MIB, 100 * MIB]);
        let b = buckets(&sstables, &BucketOptions::default());
        assert_eq!(b.iter().map(|b| generations(b)).collect::<Vec<_>>(), vec![vec![1, 2, 3], vec![4]]);
    }

    #[test]
    fn similar_sizes_share_a_bucket_and_others_do_not() {
        let sstables = sized(&[100 * MIB, 120 * MIB, 140 * MIB, 400 * MIB, 500 * MIB, 2000 * MIB]);
        let b = buckets(&sstables, &BucketOptions::default());
        assert_eq!(b.iter().map(|b| generations(b)).collect::<Vec<_>>(), vec![vec![1, 2, 3], vec![4, 5], vec![6]]);
        // Bounds are exclusive, as in Cassandra: exactly 1.5 times the average starts a new bucket.
        let edge = sized(&[100 * MIB, 150 * MIB]);
        assert_eq!(buckets(&edge, &BucketOptions::default()).len(), 2);
        let equal = sized(&[100 * MIB, 100 * MIB]);
        assert_eq!(buckets(&equal, &BucketOptions::default()).len(), 1);
    }

    #[test]
    fn nothing_to_do_below_min_threshold() {
        let o = stcs(&[]).unwrap();
        assert_eq!(o.pick(&sized(&[MIB, MIB, MIB])), None);
        assert_eq!(o.pick(&sized(&[100 * MIB, 300 * MIB, 900 * MIB, 2700 * MIB])), None);
        assert_eq!(o.pick(&[]), None);
    }

    #[test]
    fn a_full_bucket_is_compacted_into_one_level_0_output() {
        let o = stcs(&[]).unwrap();
        let job = o.pick(&sized(&[100 * MIB, 900 * MIB, 110 * MIB, 105 * MIB, 95 * MIB])).unwrap();
        assert_eq!(job, CompactionJob { inputs: vec![1, 3, 4, 5], output_level: 0, max_output_bytes: None });
    }

    #[test]
    fn max_threshold_keeps_the_smallest() {
        let o = stcs(&[("max_threshold", "4")]).unwrap();
        let job = o.pick(&sized(&[MIB, 6 * MIB, 2 * MIB, 5 * MIB, 3 * MIB, 4 * MIB])).unwrap();
        assert_eq!(job.inputs, vec![1, 3, 5, 6]);
    }

    #[test]
    fn the_bucket_with_the_smallest_average_wins() {
        let o = stcs(&[]).unwrap();
        let mut sizes = vec![1000 * MIB; 5];
        sizes.extend([200 * MIB; 4]);
        let sstables = sized(&sizes);
        let job = o.pick(&sstables).unwrap();
        assert_eq!(job.inputs, vec![6, 7, 8, 9]);
        let bucket = most_interesting_bucket(buckets(&sstables, &o.bucketing), Thresholds { min: 5, max: 32 });
        assert_eq!(generations(&bucket.unwrap()), vec![1, 2, 3, 4, 5], "only the big bucket has 5 members");
    }

    #[test]
    fn major_merges_everything() {
        let o = stcs(&[]).unwrap();
        assert_eq!(o.major(&sized(&[MIB])), None);
        assert_eq!(o.major(&[]), None);
        let job = o.major(&sized(&[MIB, 900 * MIB, 5])).unwrap();
        assert_eq!(job, CompactionJob { inputs: vec![1, 2, 3], output_level: 0, max_output_bytes: None });
    }
}
