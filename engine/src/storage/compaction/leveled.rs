//! Leveled compaction, after Cassandra's `LeveledCompactionStrategy` (simplified, stateless).
//!
//! Flushed SSTables land in level 0, where they may overlap. Every level L >= 1 holds
//! SSTables of at most `sstable_size_in_mb` with disjoint token ranges, and at most
//! `fanout_size^L * sstable_size` bytes. The picker, in priority order:
//!
//! 1. L0 holds [`L0_COMPACTION_TRIGGER`] SSTables or more: the oldest `max_threshold` of them
//!    (by generation) and every L1 SSTable overlapping them go to L1.
//! 2. Some level L >= 1 exceeds its size: of those, the level with the highest score
//!    (bytes / limit; the lowest level on ties). One SSTable of L and every L+1 SSTable
//!    overlapping it go to L+1. Cassandra walks level L round robin (after the last key it
//!    compacted), which needs state; we take the SSTable that overlaps the fewest bytes of
//!    L+1 (the cheapest move, the choice of RocksDB's default picker), then the smallest
//!    `min_token`, then the oldest.
//! 3. L1 is empty and L0's 1 to 3 SSTables hold a full `sstable_size` or more: all of them go
//!    to L1 (a single big flush moves up). Otherwise L0 waits for more flushes.
//!
//! "Overlapping a set of SSTables" means overlapping the span from their smallest
//! `min_token` to their largest `max_token`, as in Cassandra: the outputs may cover that whole
//! span, so anything in the target level inside a gap between the inputs must join too.
//! Outputs are split at `sstable_size_in_mb`. The top level ([`MAX_LEVEL_COUNT`] - 1) is
//! never compacted further. Differences from Cassandra: L0 goes first and waits for 4
//! SSTables (Cassandra compacts higher levels first and L0 from 2 SSTables on), no STCS
//! inside L0 when it falls behind, no single-SSTable tombstone compactions.

use std::collections::BTreeMap;

use super::size_tiered::BucketOptions;
use super::strategy::{invalid, CommonOptions, CompactionJob, OptionParser, SstableSummary, StrategyError, Thresholds};

pub const SSTABLE_SIZE_OPTION: &str = "sstable_size_in_mb";
pub const FANOUT_SIZE_OPTION: &str = "fanout_size";

/// Cassandra's defaults.
pub const DEFAULT_SSTABLE_SIZE_IN_MB: u32 = 160;
pub const DEFAULT_FANOUT_SIZE: u32 = 10;
/// L0 is compacted into L1 once it holds this many SSTables (Cassandra's MIN_COMPACTING_L0 idea).
pub const L0_COMPACTION_TRIGGER: usize = 4;
/// Levels 0 to 8, as in Cassandra's `LeveledGenerations.MAX_LEVEL_COUNT`.
pub const MAX_LEVEL_COUNT: u32 = 9;
/// The level every leveled compaction out of L0 (and every major) writes.
pub const FIRST_LEVEL: u32 = 1;
const BYTES_PER_MIB: u64 = 1024 * 1024;

/// The options of `LeveledCompactionStrategy`.
#[derive(Debug, Clone, PartialEq)]
pub struct LeveledOptions {
    pub common: CommonOptions,
    /// `max` caps how many L0 SSTables one compaction takes; `min` is accepted (Cassandra uses
    /// it for STCS inside L0, which we do not do).
    pub thresholds: Thresholds,
    /// Accepted and kept, as Cassandra does (its STCS inside L0); unused by the picker.
    pub bucketing: BucketOptions,
    pub sstable_size_in_mb: u32,
    pub fanout_size: u32,
}

impl Default for LeveledOptions {
    fn default() -> Self {
        LeveledOptions {
            common: CommonOptions::default(),
            thresholds: Thresholds::default(),
            bucketing: BucketOptions::default(),
            sstable_size_in_mb: DEFAULT_SSTABLE_SIZE_IN_MB,
            fanout_size: DEFAULT_FANOUT_SIZE,
        }
    }
}

impl LeveledOptions {
    /// Cassandra's `LeveledCompactionStrategy.validateOptions`; thresholds are set by the caller.
    pub(crate) fn parse(p: &mut OptionParser<'_>, common: CommonOptions) -> Result<LeveledOptions, StrategyError> {
        let sstable_size_in_mb = positive(p, SSTABLE_SIZE_OPTION, DEFAULT_SSTABLE_SIZE_IN_MB)?;
        let fanout_size = positive(p, FANOUT_SIZE_OPTION, DEFAULT_FANOUT_SIZE)?;
        let bucketing = BucketOptions::parse(p)?;
        Ok(LeveledOptions { common, thresholds: Thresholds::default(), bucketing, sstable_size_in_mb, fanout_size })
    }

    /// The target (and largest) output size in bytes.
    pub fn sstable_size_bytes(&self) -> u64 {
        u64::from(self.sstable_size_in_mb) * BYTES_PER_MIB
    }

    /// How many bytes level `level` may hold: `fanout^level * sstable_size`; None for L0.
    pub fn max_bytes_for_level(&self, level: u32) -> Option<u64> {
        (level > 0).then(|| u64::from(self.fanout_size).saturating_pow(level).saturating_mul(self.sstable_size_bytes()))
    }

    /// The next job (see the module doc). Ignores `enabled`.
    pub fn pick(&self, sstables: &[SstableSummary]) -> Option<CompactionJob> {
        let mut levels: BTreeMap<u32, Vec<&SstableSummary>> = BTreeMap::new();
        for sstable in sstables {
            levels.entry(sstable.level).or_default().push(sstable);
        }
        let mut l0 = levels.get(&0).cloned().unwrap_or_default();
        l0.sort_by_key(|s| s.generation);
        let l1 = levels.get(&FIRST_LEVEL).map(Vec::as_slice).unwrap_or_default();
        if l0.len() >= L0_COMPACTION_TRIGGER {
            return Some(self.l0_job(&l0, l1));
        }
        if let Some(job) = self.level_job(&levels) {
            return Some(job);
        }
        let l0_bytes: u64 = l0.iter().map(|s| s.size_bytes).sum();
        if !l0.is_empty() && l1.is_empty() && l0_bytes >= self.sstable_size_bytes() {
            return Some(self.l0_job(&l0, l1));
        }
        None
    }

    /// Everything into level 1, split at `sstable_size`. None when there is nothing, or a
    /// single SSTable already above L0.
    pub fn major(&self, sstables: &[SstableSummary]) -> Option<CompactionJob> {
        match sstables {
            [] => None,
            [single] if single.level >= FIRST_LEVEL => None,
            _ => Some(CompactionJob::new(sstables, FIRST_LEVEL, Some(self.sstable_size_bytes()))),
        }
    }

    /// The oldest `max_threshold` of `l0` (sorted by generation) with the L1 SSTables they overlap.
    fn l0_job(&self, l0: &[&SstableSummary], l1: &[&SstableSummary]) -> CompactionJob {
        let batch = &l0[..l0.len().min(self.thresholds.max)];
        let overlapped = span(batch).map(|(lo, hi)| overlapping(lo, hi, l1.iter().copied())).unwrap_or_default();
        CompactionJob::new(batch.iter().copied().chain(overlapped), FIRST_LEVEL, Some(self.sstable_size_bytes()))
    }

    /// Rule 2: the level over its limit with the highest score moves one SSTable up.
    fn level_job(&self, levels: &BTreeMap<u32, Vec<&SstableSummary>>) -> Option<CompactionJob> {
        let mut most_over: Option<(f64, u32)> = None;
        for (&level, members) in levels.range(FIRST_LEVEL..MAX_LEVEL_COUNT - 1) {
            let bytes: u64 = members.iter().map(|s| s.size_bytes).sum();
            let Some(limit) = self.max_bytes_for_level(level) else { continue };
            if bytes > limit {
                let score = bytes as f64 / limit as f64;
                if most_over.is_none_or(|(best, _)| score > best) {
                    most_over = Some((score, level));
                }
            }
        }
        let (_, level) = most_over?;
        let next: &[&SstableSummary] = levels.get(&(level + 1)).map(Vec::as_slice).unwrap_or_default();
        let candidate = levels.get(&level)?.iter().min_by_key(|s| {
            let overlapped_bytes: u64 =
                overlapping(s.min_token, s.max_token, next.iter().copied()).iter().map(|o| o.size_bytes).sum();
            (overlapped_bytes, s.min_token, s.generation)
        })?;
        let overlapped = overlapping(candidate.min_token, candidate.max_token, next.iter().copied());
        Some(CompactionJob::new(
            std::iter::once(*candidate).chain(overlapped),
            level + 1,
            Some(self.sstable_size_bytes()),
        ))
    }
}

/// The SSTables among `sstables` whose token range meets the inclusive range `[min_token, max_token]`.
pub fn overlapping<'a>(
    min_token: i64,
    max_token: i64,
    sstables: impl IntoIterator<Item = &'a SstableSummary>,
) -> Vec<&'a SstableSummary> {
    sstables.into_iter().filter(|s| s.overlaps(min_token, max_token)).collect()
}

/// From the smallest `min_token` to the largest `max_token`; None for no SSTables.
fn span(sstables: &[&SstableSummary]) -> Option<(i64, i64)> {
    let lo = sstables.iter().map(|s| s.min_token).min()?;
    let hi = sstables.iter().map(|s| s.max_token).max()?;
    Some((lo, hi))
}

/// A whole number of at least 1 (Cassandra's "must be larger than 0").
fn positive(p: &mut OptionParser<'_>, key: &'static str, default: u32) -> Result<u32, StrategyError> {
    let value: i32 = p.integer(key, i32::try_from(default).unwrap_or(i32::MAX))?;
    u32::try_from(value)
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| invalid(key, format!("{key} must be larger than 0, but was {value}")))
}

#[cfg(test)]
mod tests {
    use super::super::strategy::tests::{options, sst};
    use super::super::strategy::{CompactionStrategy, Generation};
    use super::*;

    const MIB: u64 = BYTES_PER_MIB;

    fn lcs(pairs: &[(&str, &str)]) -> Result<LeveledOptions, StrategyError> {
        let mut all = vec![("class", "LeveledCompactionStrategy")];
        all.extend_from_slice(pairs);
        match CompactionStrategy::from_options(&options(&all))? {
            CompactionStrategy::Leveled(o) => Ok(o),
            other => panic!("not LCS: {other:?}"),
        }
    }

    /// 1 MiB SSTables, fanout 10: L1 holds 10 MiB, L2 100 MiB.
    fn small() -> LeveledOptions {
        lcs(&[("sstable_size_in_mb", "1")]).unwrap()
    }

    #[test]
    fn defaults_and_validation() {
        let o = lcs(&[]).unwrap();
        assert_eq!((o.sstable_size_in_mb, o.fanout_size, o.thresholds.max), (160, 10, 32));
        assert_eq!(o.sstable_size_bytes(), 160 * MIB);
        assert_eq!(o.max_bytes_for_level(0), None);
        assert_eq!(o.max_bytes_for_level(1), Some(1600 * MIB));
        assert_eq!(o.max_bytes_for_level(2), Some(16_000 * MIB));
        let huge = lcs(&[("fanout_size", "2147483647"), ("sstable_size_in_mb", "2147483647")]).unwrap();
        assert_eq!(huge.max_bytes_for_level(8), Some(u64::MAX), "saturates instead of overflowing");
        let message = |pairs: &[(&str, &str)]| lcs(pairs).unwrap_err().to_string();
        assert_eq!(message(&[("sstable_size_in_mb", "0")]), "sstable_size_in_mb must be larger than 0, but was 0");
        assert_eq!(
            message(&[("sstable_size_in_mb", "1.5")]),
            "1.5 is not a parsable int (base10) for sstable_size_in_mb"
        );
        assert_eq!(message(&[("fanout_size", "-3")]), "fanout_size must be larger than 0, but was -3");
        assert_eq!(message(&[("fanout_size", "x")]), "x is not a parsable int (base10) for fanout_size");
        let o = lcs(&[("bucket_low", "0.4"), ("min_sstable_size", "10"), ("min_threshold", "6")]).unwrap();
        assert_eq!((o.bucketing.bucket_low, o.bucketing.min_sstable_size, o.thresholds.min), (0.4, 10, 6));
    }

    #[test]
    fn four_l0_sstables_go_to_l1_with_the_l1_sstables_they_overlap() {
        let sstables = vec![
            sst(1, MIB, 1, (0, 99)),
            sst(2, MIB, 1, (100, 199)),
            sst(3, MIB, 1, (200, 299)),
            sst(4, MIB, 1, (300, 399)),
            sst(10, 10, 0, (150, 160)),
            sst(11, 10, 0, (250, 260)),
            sst(12, 10, 0, (155, 170)),
            sst(13, 10, 0, (290, 295)),
        ];
        let job = small().pick(&sstables).unwrap();
        assert_eq!(
            job,
            CompactionJob { inputs: vec![2, 3, 10, 11, 12, 13], output_level: 1, max_output_bytes: Some(MIB) }
        );
    }

    #[test]
    fn l1_sstables_in_a_gap_between_l0_sstables_join_too() {
        let sstables = vec![
            sst(1, MIB, 1, (40, 60)),
            sst(2, MIB, 1, (500, 600)),
            sst(10, 10, 0, (0, 10)),
            sst(11, 10, 0, (90, 100)),
            sst(12, 10, 0, (0, 5)),
            sst(13, 10, 0, (95, 99)),
        ];
        assert_eq!(small().pick(&sstables).unwrap().inputs, vec![1, 10, 11, 12, 13]);
    }

    #[test]
    fn l0_batches_take_the_oldest_max_threshold() {
        let sstables: Vec<_> = (1..=40).rev().map(|g| sst(g, 10, 0, (g as i64, g as i64))).collect();
        let job = small().pick(&sstables).unwrap();
        assert_eq!(job.inputs, (1..=32).collect::<Vec<Generation>>());
        let capped = lcs(&[("sstable_size_in_mb", "1"), ("max_threshold", "5")]).unwrap();
        assert_eq!(capped.pick(&sstables).unwrap().inputs, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn few_l0_sstables_wait_unless_they_fill_an_empty_l1() {
        let o = small();
        assert_eq!(o.pick(&[]), None);
        let little = vec![sst(1, MIB / 4, 0, (0, 10)), sst(2, MIB / 4, 0, (5, 20))];
        assert_eq!(o.pick(&little), None);
        let big = vec![sst(1, 3 * MIB, 0, (0, 10))];
        assert_eq!(o.pick(&big), Some(CompactionJob { inputs: vec![1], output_level: 1, max_output_bytes: Some(MIB) }));
        let filled = vec![sst(1, 3 * MIB, 0, (0, 10)), sst(2, MIB, 1, (100, 200))];
        assert_eq!(o.pick(&filled), None, "with L1 in place, L0 waits for 4 SSTables");
    }

    #[test]
    fn an_oversized_level_moves_its_cheapest_sstable_up() {
        // L1: 12 MiB > 10 MiB. L2 holds SSTables over tokens 0..=299.
        let mut sstables: Vec<_> =
            (0..12).map(|i| sst(100 + i, MIB, 1, (i as i64 * 100, i as i64 * 100 + 99))).collect();
        sstables.push(sst(200, MIB, 2, (0, 150)));
        sstables.push(sst(201, MIB, 2, (151, 299)));
        sstables.push(sst(202, MIB, 2, (350, 360)));
        let job = small().pick(&sstables).unwrap();
        // 100 overlaps 200; 101 overlaps 200 and 201; 102 overlaps 201; 103 overlaps 202; 104.. nothing.
        assert_eq!(job, CompactionJob { inputs: vec![104], output_level: 2, max_output_bytes: Some(MIB) });
        // With L2 covering everything, the cheapest is the one meeting the fewest bytes.
        let mut sstables: Vec<_> =
            (0..12).map(|i| sst(100 + i, MIB, 1, (i as i64 * 100, i as i64 * 100 + 99))).collect();
        sstables.push(sst(200, 3 * MIB, 2, (0, 499)));
        sstables.push(sst(201, MIB, 2, (500, 1199)));
        assert_eq!(small().pick(&sstables).unwrap().inputs, vec![105, 201]);
    }

    #[test]
    fn the_level_with_the_highest_score_goes_first() {
        let mut sstables: Vec<_> =
            (0..11u64).map(|i| sst(100 + i, MIB, 1, (i as i64 * 10, i as i64 * 10 + 9))).collect();
        // L2: 150 MiB against 100 MiB, a higher score than L1's 11 / 10.
        sstables.extend((0..150u64).map(|i| sst(1000 + i, MIB, 2, (i as i64 * 10, i as i64 * 10 + 9))));
        let job = small().pick(&sstables).unwrap();
        assert_eq!(job.output_level, 3);
        assert_eq!(job.inputs, vec![1000]);
    }

    #[test]
    fn the_top_level_is_never_compacted_further() {
        let o = lcs(&[("sstable_size_in_mb", "1"), ("fanout_size", "1")]).unwrap();
        let top = MAX_LEVEL_COUNT - 1;
        let sstables: Vec<_> = (0..5).map(|i| sst(i, MIB, top, (i as i64 * 10, i as i64 * 10 + 9))).collect();
        assert_eq!(o.pick(&sstables), None);
        let below: Vec<_> = (0..2).map(|i| sst(i, MIB, top - 1, (i as i64 * 10, i as i64 * 10 + 9))).collect();
        assert_eq!(o.pick(&below).map(|j| j.output_level), Some(top));
    }

    #[test]
    fn major_puts_everything_in_level_1() {
        let o = small();
        assert_eq!(o.major(&[]), None);
        assert_eq!(o.major(&[sst(1, MIB, 2, (0, 1))]), None);
        let one_flush = o.major(&[sst(1, MIB, 0, (0, 1))]).unwrap();
        assert_eq!(one_flush, CompactionJob { inputs: vec![1], output_level: 1, max_output_bytes: Some(MIB) });
        let all = o.major(&[sst(3, MIB, 2, (0, 1)), sst(1, MIB, 0, (0, 1)), sst(2, MIB, 1, (5, 9))]).unwrap();
        assert_eq!(all.inputs, vec![1, 2, 3]);
        assert_eq!(all.output_level, 1);
    }

    /// A deterministic pseudo-random sequence (Knuth's MMIX LCG).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, bound: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % bound
        }
    }

    /// Runs `job` the way the executor would: the inputs are replaced by outputs covering the
    /// span of their token ranges, split into `ceil(bytes / max_output_bytes)` disjoint pieces.
    fn apply(sstables: &mut Vec<SstableSummary>, job: &CompactionJob, next_generation: &mut Generation) {
        let (inputs, rest): (Vec<_>, Vec<_>) = sstables.drain(..).partition(|s| job.inputs.contains(&s.generation));
        assert_eq!(inputs.len(), job.inputs.len(), "every input exists: {job:?}");
        *sstables = rest;
        let bytes: u64 = inputs.iter().map(|s| s.size_bytes).sum();
        let lo = inputs.iter().map(|s| s.min_token).min().unwrap();
        let hi = inputs.iter().map(|s| s.max_token).max().unwrap();
        let width = i128::from(hi) - i128::from(lo) + 1;
        let wanted = job.max_output_bytes.map_or(1, |max| bytes.div_ceil(max).max(1));
        let pieces = i128::from(wanted).min(width);
        for i in 0..pieces {
            let start = i128::from(lo) + width * i / pieces;
            let end = i128::from(lo) + width * (i + 1) / pieces - 1;
            let size = bytes / pieces as u64;
            if let (Some(max), true) = (job.max_output_bytes, pieces == i128::from(wanted)) {
                assert!(size <= max, "output of {size} bytes over {max}");
            }
            *next_generation += 1;
            sstables.push(SstableSummary {
                generation: *next_generation,
                size_bytes: size,
                min_token: i64::try_from(start).unwrap(),
                max_token: i64::try_from(end).unwrap(),
                min_timestamp: 0,
                max_timestamp: 0,
                level: job.output_level,
            });
        }
    }

    fn assert_levels_disjoint(sstables: &[SstableSummary]) {
        let mut leveled: Vec<&SstableSummary> = sstables.iter().filter(|s| s.level >= 1).collect();
        leveled.sort_by_key(|s| (s.level, s.min_token));
        for pair in leveled.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            assert!(a.level != b.level || a.max_token < b.min_token, "overlap in L{}: {a:?} {b:?}", a.level);
        }
    }

    #[test]
    fn simulated_jobs_never_leave_overlaps_above_l0() {
        const FLUSHES: usize = 300;
        const MAX_JOBS_PER_FLUSH: usize = 1000;
        for (seed, fanout) in [(1, "4"), (7, "10"), (42, "2"), (2024, "3")] {
            let o = lcs(&[("sstable_size_in_mb", "1"), ("fanout_size", fanout)]).unwrap();
            let mut rng = Lcg(seed);
            let mut sstables: Vec<SstableSummary> = Vec::new();
            let mut next_generation: Generation = 0;
            let mut jobs = 0;
            for _ in 0..FLUSHES {
                // A flush: a random token range (sometimes the whole ring), 0.1 to 2 MiB.
                let (lo, hi) = if rng.next(4) == 0 {
                    (i64::MIN, i64::MAX)
                } else {
                    let a = (rng.next(1 << 30) as i64 - (1 << 29)) << 32;
                    (a, a + (1 << 20) + (rng.next(1 << 30) << 30) as i64)
                };
                next_generation += 1;
                let size = MIB / 10 + rng.next(2 * MIB);
                sstables.push(SstableSummary {
                    generation: next_generation,
                    size_bytes: size,
                    min_token: lo,
                    max_token: hi,
                    min_timestamp: 0,
                    max_timestamp: 0,
                    level: 0,
                });
                let mut steps = 0;
                while let Some(job) = o.pick(&sstables) {
                    steps += 1;
                    assert!(steps < MAX_JOBS_PER_FLUSH, "the picker does not settle");
                    apply(&mut sstables, &job, &mut next_generation);
                    assert_levels_disjoint(&sstables);
                    jobs += 1;
                }
                // Settled: L0 waits for more, no level (below the top) over its limit.
                assert!(sstables.iter().filter(|s| s.level == 0).count() < L0_COMPACTION_TRIGGER);
                for level in FIRST_LEVEL..MAX_LEVEL_COUNT - 1 {
                    let bytes: u64 = sstables.iter().filter(|s| s.level == level).map(|s| s.size_bytes).sum();
                    assert!(bytes <= o.max_bytes_for_level(level).unwrap(), "L{level} over its limit");
                }
            }
            assert!(jobs > FLUSHES / L0_COMPACTION_TRIGGER, "seed {seed}: only {jobs} jobs");
            assert!(sstables.iter().any(|s| s.level >= 2), "seed {seed}: data reached L2");
            // A major leaves one disjoint level.
            let job = o.major(&sstables).unwrap();
            apply(&mut sstables, &job, &mut next_generation);
            assert_levels_disjoint(&sstables);
            assert!(sstables.iter().all(|s| s.level == 1));
        }
    }
}
