//! A table's compaction strategy: parsing and validating its `compaction` option map the way
//! Cassandra does (class names, sub-options, error messages), and dispatching to the pure
//! pickers of [`super::size_tiered`], [`super::leveled`] and [`super::time_window`].
//!
//! The pickers see the table's SSTables on one shard as [`SstableSummary`] descriptors and
//! name the next [`CompactionJob`]. They are stateless and assume no other job of the same
//! table runs meanwhile (the scheduler runs at most one per table and shard): Cassandra's
//! "compacting" set, suspect SSTables, hotness (read rates) and tombstone-ratio single-SSTable
//! compactions have no equivalent here. Inputs of every job are sorted by generation.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use super::leveled::LeveledOptions;
use super::size_tiered::SizeTieredOptions;
use super::time_window::TimeWindowOptions;
pub use crate::storage::sstable::Generation;

/// The package Cassandra's strategy classes live in; a class name without a dot is in it.
pub const CLASS_PACKAGE: &str = "org.apache.cassandra.db.compaction.";
/// Cassandra's simple class names of the strategies we implement.
pub const SIZE_TIERED_CLASS: &str = "SizeTieredCompactionStrategy";
pub const LEVELED_CLASS: &str = "LeveledCompactionStrategy";
pub const TIME_WINDOW_CLASS: &str = "TimeWindowCompactionStrategy";

/// Sub-option names shared by every strategy.
pub const CLASS_OPTION: &str = "class";
pub const ENABLED_OPTION: &str = "enabled";
pub const MIN_THRESHOLD_OPTION: &str = "min_threshold";
pub const MAX_THRESHOLD_OPTION: &str = "max_threshold";
pub const TOMBSTONE_THRESHOLD_OPTION: &str = "tombstone_threshold";
pub const TOMBSTONE_COMPACTION_INTERVAL_OPTION: &str = "tombstone_compaction_interval";
pub const UNCHECKED_TOMBSTONE_COMPACTION_OPTION: &str = "unchecked_tombstone_compaction";
pub const ONLY_PURGE_REPAIRED_TOMBSTONES_OPTION: &str = "only_purge_repaired_tombstones";
pub const LOG_ALL_OPTION: &str = "log_all";
pub const PROVIDE_OVERLAPPING_TOMBSTONES_OPTION: &str = "provide_overlapping_tombstones";

/// Cassandra's defaults for the shared sub-options.
pub const DEFAULT_ENABLED: bool = true;
pub const DEFAULT_MIN_THRESHOLD: usize = 4;
pub const DEFAULT_MAX_THRESHOLD: usize = 32;
/// The smallest `min_threshold` Cassandra accepts (a compaction needs two inputs).
pub const MIN_MIN_THRESHOLD: usize = 2;
pub const DEFAULT_TOMBSTONE_THRESHOLD: f32 = 0.2;
pub const DEFAULT_TOMBSTONE_COMPACTION_INTERVAL_SECONDS: i64 = 86_400;
pub const DEFAULT_UNCHECKED_TOMBSTONE_COMPACTION: bool = false;
pub const DEFAULT_ONLY_PURGE_REPAIRED_TOMBSTONES: bool = false;
pub const DEFAULT_LOG_ALL: bool = false;

/// What a picker knows of one SSTable.
#[derive(Debug, Clone, PartialEq)]
pub struct SstableSummary {
    pub generation: Generation,
    /// Data.db size.
    pub size_bytes: u64,
    /// Token range of the partitions, inclusive at both ends.
    pub min_token: i64,
    pub max_token: i64,
    /// Write timestamps, microseconds since the epoch (in the unit of TWCS's
    /// `timestamp_resolution` when a client writes other units with `USING TIMESTAMP`).
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    /// LCS level (0 for flushed SSTables and for other strategies' outputs).
    pub level: u32,
}

impl SstableSummary {
    /// Whether the SSTable's token range meets the inclusive range `[min_token, max_token]`.
    pub fn overlaps(&self, min_token: i64, max_token: i64) -> bool {
        self.min_token <= max_token && min_token <= self.max_token
    }
}

/// One compaction to run: merge `inputs` into new SSTables.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactionJob {
    /// The generations to merge, ascending.
    pub inputs: Vec<Generation>,
    /// Level the outputs get (LCS), 0 otherwise.
    pub output_level: u32,
    /// Outputs are split so none exceeds this many bytes (LCS sstable_size_in_mb); None = one output.
    pub max_output_bytes: Option<u64>,
}

impl CompactionJob {
    /// A job over `inputs` (sorted and deduplicated here).
    pub(crate) fn new<'a>(
        inputs: impl IntoIterator<Item = &'a SstableSummary>,
        output_level: u32,
        max_output_bytes: Option<u64>,
    ) -> CompactionJob {
        let mut inputs: Vec<Generation> = inputs.into_iter().map(|s| s.generation).collect();
        inputs.sort_unstable();
        inputs.dedup();
        CompactionJob { inputs, output_level, max_output_bytes }
    }
}

/// A refused `compaction` option map. Display is Cassandra's message where we know it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    #[error("Missing sub-option 'class' for the 'compaction' option")]
    MissingClass,
    /// Carries the class name as Cassandra resolves it (the package prepended to a simple name).
    #[error("Unable to find compaction strategy class '{0}'")]
    UnknownClass(String),
    #[error("Properties specified [{}] are not understood by {strategy}", .options.join(", "))]
    UnknownOptions { options: Vec<String>, strategy: &'static str },
    #[error(
        "Disabling compaction by setting compaction thresholds to 0 has been removed, set the compaction option \
         'enabled' to false instead."
    )]
    ThresholdsDisabled,
    #[error("Min compaction threshold cannot be less than 2 (got {0})")]
    MinThresholdTooSmall(usize),
    #[error("Min compaction threshold (got {min}) cannot be greater than max compaction threshold (got {max})")]
    MinAboveMax { min: usize, max: usize },
    /// A sub-option with a value the strategy refuses.
    #[error("{message}")]
    InvalidOption { option: &'static str, message: String },
}

/// Cassandra's `provide_overlapping_tombstones`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverlappingTombstones {
    #[default]
    None,
    Row,
    Cell,
}

/// The sub-options every strategy accepts. Only `enabled` changes what the pickers do; the
/// others are validated and kept for the executor and for `system_schema`.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonOptions {
    /// When false, background compactions are off (`pick` returns None); majors still run.
    pub enabled: bool,
    pub tombstone_threshold: f32,
    pub tombstone_compaction_interval_seconds: i64,
    pub unchecked_tombstone_compaction: bool,
    pub only_purge_repaired_tombstones: bool,
    pub log_all: bool,
    pub provide_overlapping_tombstones: OverlappingTombstones,
}

impl Default for CommonOptions {
    fn default() -> Self {
        CommonOptions {
            enabled: DEFAULT_ENABLED,
            tombstone_threshold: DEFAULT_TOMBSTONE_THRESHOLD,
            tombstone_compaction_interval_seconds: DEFAULT_TOMBSTONE_COMPACTION_INTERVAL_SECONDS,
            unchecked_tombstone_compaction: DEFAULT_UNCHECKED_TOMBSTONE_COMPACTION,
            only_purge_repaired_tombstones: DEFAULT_ONLY_PURGE_REPAIRED_TOMBSTONES,
            log_all: DEFAULT_LOG_ALL,
            provide_overlapping_tombstones: OverlappingTombstones::None,
        }
    }
}

/// `min_threshold` / `max_threshold`: how many SSTables a tiered compaction needs and takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub min: usize,
    pub max: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { min: DEFAULT_MIN_THRESHOLD, max: DEFAULT_MAX_THRESHOLD }
    }
}

/// A table's compaction strategy with its validated options.
#[derive(Debug, Clone, PartialEq)]
pub enum CompactionStrategy {
    SizeTiered(SizeTieredOptions),
    Leveled(LeveledOptions),
    TimeWindow(TimeWindowOptions),
}

impl Default for CompactionStrategy {
    fn default() -> Self {
        CompactionStrategy::SizeTiered(SizeTieredOptions::default())
    }
}

impl CompactionStrategy {
    /// Parses a table's `compaction` option map (e.g. {"class": "SizeTieredCompactionStrategy",
    /// "min_threshold": "4"}). The class is the simple or the fully qualified name.
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<CompactionStrategy, StrategyError> {
        let class = options.get(CLASS_OPTION).ok_or(StrategyError::MissingClass)?;
        let qualified = if class.contains('.') { class.clone() } else { format!("{CLASS_PACKAGE}{class}") };
        let simple = qualified.strip_prefix(CLASS_PACKAGE).unwrap_or_default();
        let mut parser = OptionParser::new(options);
        // Cassandra's order: the shared options, the strategy's own, unknown ones, thresholds.
        let (min, max) = parser.threshold_values()?;
        let common = CommonOptions::parse(&mut parser)?;
        let strategy = match simple {
            SIZE_TIERED_CLASS => CompactionStrategy::SizeTiered(SizeTieredOptions::parse(&mut parser, common)?),
            LEVELED_CLASS => CompactionStrategy::Leveled(LeveledOptions::parse(&mut parser, common)?),
            TIME_WINDOW_CLASS => CompactionStrategy::TimeWindow(TimeWindowOptions::parse(&mut parser, common)?),
            _ => return Err(StrategyError::UnknownClass(qualified)),
        };
        parser.finish(strategy.simple_class_name())?;
        let thresholds = check_thresholds(min, max)?;
        Ok(match strategy {
            CompactionStrategy::SizeTiered(o) => CompactionStrategy::SizeTiered(SizeTieredOptions { thresholds, ..o }),
            CompactionStrategy::Leveled(o) => CompactionStrategy::Leveled(LeveledOptions { thresholds, ..o }),
            CompactionStrategy::TimeWindow(o) => CompactionStrategy::TimeWindow(TimeWindowOptions { thresholds, ..o }),
        })
    }

    /// Cassandra's simple class name, e.g. `SizeTieredCompactionStrategy`.
    pub fn simple_class_name(&self) -> &'static str {
        match self {
            CompactionStrategy::SizeTiered(_) => SIZE_TIERED_CLASS,
            CompactionStrategy::Leveled(_) => LEVELED_CLASS,
            CompactionStrategy::TimeWindow(_) => TIME_WINDOW_CLASS,
        }
    }

    /// The fully qualified class name `system_schema` shows.
    pub fn class_name(&self) -> String {
        format!("{CLASS_PACKAGE}{}", self.simple_class_name())
    }

    /// The sub-options shared by every strategy.
    pub fn common(&self) -> &CommonOptions {
        match self {
            CompactionStrategy::SizeTiered(o) => &o.common,
            CompactionStrategy::Leveled(o) => &o.common,
            CompactionStrategy::TimeWindow(o) => &o.common,
        }
    }

    /// The next background job, if any. `now_micros` is the current time (TWCS windows).
    /// None when the strategy is disabled (`'enabled': 'false'`).
    pub fn pick(&self, sstables: &[SstableSummary], now_micros: i64) -> Option<CompactionJob> {
        if !self.common().enabled {
            return None;
        }
        match self {
            CompactionStrategy::SizeTiered(o) => o.pick(sstables),
            CompactionStrategy::Leveled(o) => o.pick(sstables),
            CompactionStrategy::TimeWindow(o) => o.pick(sstables, now_micros),
        }
    }

    /// A major compaction (`nodetool compact`): everything into as few SSTables as the strategy
    /// allows. None when there are fewer than 2 SSTables (for LCS: when there is nothing, or a
    /// single SSTable already at level >= 1). Runs whether or not the strategy is enabled.
    pub fn major(&self, sstables: &[SstableSummary]) -> Option<CompactionJob> {
        match self {
            CompactionStrategy::SizeTiered(o) => o.major(sstables),
            CompactionStrategy::Leveled(o) => o.major(sstables),
            CompactionStrategy::TimeWindow(o) => o.major(sstables),
        }
    }
}

/// Everything into one output at level 0, when there are at least two SSTables.
pub(crate) fn merge_all(sstables: &[SstableSummary]) -> Option<CompactionJob> {
    (sstables.len() >= 2).then(|| CompactionJob::new(sstables, 0, None))
}

/// Reads sub-options off the map, remembering which ones a strategy understood.
pub(crate) struct OptionParser<'a> {
    options: &'a BTreeMap<String, String>,
    understood: BTreeSet<&'static str>,
}

impl<'a> OptionParser<'a> {
    fn new(options: &'a BTreeMap<String, String>) -> OptionParser<'a> {
        OptionParser { options, understood: BTreeSet::from([CLASS_OPTION]) }
    }

    /// The raw value of `key`, which is understood from now on.
    pub(crate) fn get(&mut self, key: &'static str) -> Option<&'a str> {
        self.understood.insert(key);
        self.options.get(key).map(String::as_str)
    }

    /// An integer (Java's `parseInt`/`parseLong` syntax), `default` when absent.
    pub(crate) fn integer<T: FromStr>(&mut self, key: &'static str, default: T) -> Result<T, StrategyError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| invalid(key, format!("{v} is not a parsable int (base10) for {key}"))),
        }
    }

    /// A finite floating-point number, `default` when absent.
    pub(crate) fn float(&mut self, key: &'static str, default: f64) -> Result<f64, StrategyError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(invalid(key, format!("{v} is not a parsable float for {key}"))),
            },
        }
    }

    /// `true`/`false` in any case; anything else is refused with `message(value)`.
    pub(crate) fn boolean(
        &mut self,
        key: &'static str,
        default: bool,
        message: impl FnOnce(&str) -> String,
    ) -> Result<bool, StrategyError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(invalid(key, message(v))),
        }
    }

    /// `min_threshold` and `max_threshold` as given: digits only (Cassandra's `isNumeric`).
    fn threshold_values(&mut self) -> Result<(Option<u64>, Option<u64>), StrategyError> {
        let mut value = |key: &'static str| match self.get(key) {
            None => Ok(None),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) && n <= i32::MAX as u64 => Ok(Some(n)),
                _ => Err(invalid(
                    key,
                    format!("Invalid value {v} for '{key}' compaction sub-option - must be an integer"),
                )),
            },
        };
        Ok((value(MIN_THRESHOLD_OPTION)?, value(MAX_THRESHOLD_OPTION)?))
    }

    /// Refuses the sub-options no one understood.
    fn finish(self, strategy: &'static str) -> Result<(), StrategyError> {
        let unknown: Vec<String> =
            self.options.keys().filter(|k| !self.understood.contains(k.as_str())).cloned().collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(StrategyError::UnknownOptions { options: unknown, strategy })
        }
    }
}

pub(crate) fn invalid(option: &'static str, message: String) -> StrategyError {
    StrategyError::InvalidOption { option, message }
}

/// Java's `Double.toString` for the values options hold (`1.0`, not `1`).
pub(crate) fn java_double(x: f64) -> String {
    const JAVA_PLAIN_NOTATION_LIMIT: f64 = 1e7;
    if x.fract() == 0.0 && x.abs() < JAVA_PLAIN_NOTATION_LIMIT {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

fn check_thresholds(min: Option<u64>, max: Option<u64>) -> Result<Thresholds, StrategyError> {
    let to_usize = |v: Option<u64>, default: usize| v.map_or(default, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let (min, max) = (to_usize(min, DEFAULT_MIN_THRESHOLD), to_usize(max, DEFAULT_MAX_THRESHOLD));
    if min == 0 || max == 0 {
        return Err(StrategyError::ThresholdsDisabled);
    }
    if min < MIN_MIN_THRESHOLD {
        return Err(StrategyError::MinThresholdTooSmall(min));
    }
    if min > max {
        return Err(StrategyError::MinAboveMax { min, max });
    }
    Ok(Thresholds { min, max })
}

impl CommonOptions {
    fn parse(p: &mut OptionParser<'_>) -> Result<CommonOptions, StrategyError> {
        let key = TOMBSTONE_THRESHOLD_OPTION;
        let tombstone_threshold = match p.get(key) {
            None => DEFAULT_TOMBSTONE_THRESHOLD,
            Some(v) => match v.trim().parse::<f32>() {
                Ok(x) if x < 0.0 => return Err(invalid(key, format!("{key} must be greater than 0, but was {x:.6}"))),
                Ok(x) if x.is_finite() => x,
                _ => return Err(invalid(key, format!("{v} is not a parsable int (base10) for {key}"))),
            },
        };
        let key = TOMBSTONE_COMPACTION_INTERVAL_OPTION;
        let tombstone_compaction_interval_seconds: i64 =
            p.integer(key, DEFAULT_TOMBSTONE_COMPACTION_INTERVAL_SECONDS)?;
        if tombstone_compaction_interval_seconds < 0 {
            let message = format!("{key} must be greater than 0, but was {tombstone_compaction_interval_seconds}");
            return Err(invalid(key, message));
        }
        let key = UNCHECKED_TOMBSTONE_COMPACTION_OPTION;
        let unchecked_tombstone_compaction = p.boolean(key, DEFAULT_UNCHECKED_TOMBSTONE_COMPACTION, |v| {
            format!("'{key}' should be either 'true' or 'false', not '{v}'")
        })?;
        let key = LOG_ALL_OPTION;
        let log_all =
            p.boolean(key, DEFAULT_LOG_ALL, |v| format!("'{key}' should either be 'true' or 'false', not {v}"))?;
        let key = ENABLED_OPTION;
        let enabled =
            p.boolean(key, DEFAULT_ENABLED, |v| format!("{key} should either be 'true' or 'false', not {v}"))?;
        // Cassandra reads it with Boolean.parseBoolean: anything but "true" is false.
        let only_purge_repaired_tombstones = p
            .get(ONLY_PURGE_REPAIRED_TOMBSTONES_OPTION)
            .map_or(DEFAULT_ONLY_PURGE_REPAIRED_TOMBSTONES, |v| v.eq_ignore_ascii_case("true"));
        let key = PROVIDE_OVERLAPPING_TOMBSTONES_OPTION;
        let provide_overlapping_tombstones = match p.get(key).map(str::to_ascii_uppercase).as_deref() {
            None | Some("NONE") => OverlappingTombstones::None,
            Some("ROW") => OverlappingTombstones::Row,
            Some("CELL") => OverlappingTombstones::Cell,
            Some(other) => {
                let message = format!(
                    "Invalid value {other} for '{key}' compaction sub-option - must be one of the following \
                     [NONE, ROW, CELL]."
                );
                return Err(invalid(key, message));
            }
        };
        Ok(CommonOptions {
            enabled,
            tombstone_threshold,
            tombstone_compaction_interval_seconds,
            unchecked_tombstone_compaction,
            only_purge_repaired_tombstones,
            log_all,
            provide_overlapping_tombstones,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fixture SSTable.
    pub(crate) fn sst(generation: Generation, size_bytes: u64, level: u32, tokens: (i64, i64)) -> SstableSummary {
        SstableSummary {
            generation,
            size_bytes,
            min_token: tokens.0,
            max_token: tokens.1,
            min_timestamp: 0,
            max_timestamp: 0,
            level,
        }
    }

    pub(crate) fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn error(pairs: &[(&str, &str)]) -> String {
        CompactionStrategy::from_options(&options(pairs)).unwrap_err().to_string()
    }

    #[test]
    fn short_and_full_class_names_are_accepted() {
        for class in [SIZE_TIERED_CLASS, LEVELED_CLASS, TIME_WINDOW_CLASS] {
            let short = CompactionStrategy::from_options(&options(&[("class", class)])).unwrap();
            let full = format!("{CLASS_PACKAGE}{class}");
            let long = CompactionStrategy::from_options(&options(&[("class", &full)])).unwrap();
            assert_eq!(short, long);
            assert_eq!(short.simple_class_name(), class);
            assert_eq!(short.class_name(), full);
        }
        let stcs = CompactionStrategy::from_options(&options(&[("class", SIZE_TIERED_CLASS)])).unwrap();
        assert_eq!(stcs, CompactionStrategy::default());
    }

    #[test]
    fn unknown_class_has_cassandras_message() {
        assert_eq!(
            error(&[("class", "NoSuchStrategy")]),
            "Unable to find compaction strategy class 'org.apache.cassandra.db.compaction.NoSuchStrategy'"
        );
        assert_eq!(
            error(&[("class", "com.example.Mine")]),
            "Unable to find compaction strategy class 'com.example.Mine'"
        );
        assert_eq!(
            CompactionStrategy::from_options(&options(&[("class", "DateTieredCompactionStrategy")])).unwrap_err(),
            StrategyError::UnknownClass("org.apache.cassandra.db.compaction.DateTieredCompactionStrategy".into())
        );
        assert_eq!(CompactionStrategy::from_options(&options(&[])).unwrap_err(), StrategyError::MissingClass);
    }

    #[test]
    fn unknown_sub_options_are_listed() {
        assert_eq!(
            error(&[("class", SIZE_TIERED_CLASS), ("zeta", "1"), ("alpha", "2")]),
            "Properties specified [alpha, zeta] are not understood by SizeTieredCompactionStrategy"
        );
        assert_eq!(
            error(&[("class", SIZE_TIERED_CLASS), ("sstable_size_in_mb", "10")]),
            "Properties specified [sstable_size_in_mb] are not understood by SizeTieredCompactionStrategy"
        );
        assert_eq!(
            error(&[("class", LEVELED_CLASS), ("compaction_window_unit", "DAYS")]),
            "Properties specified [compaction_window_unit] are not understood by LeveledCompactionStrategy"
        );
    }

    #[test]
    fn thresholds_are_checked_like_cassandra() {
        let stcs = |min: &str, max: &str| {
            error(&[("class", SIZE_TIERED_CLASS), ("min_threshold", min), ("max_threshold", max)])
        };
        assert_eq!(stcs("1", "32"), "Min compaction threshold cannot be less than 2 (got 1)");
        assert_eq!(
            stcs("8", "4"),
            "Min compaction threshold (got 8) cannot be greater than max compaction threshold (got 4)"
        );
        assert_eq!(
            stcs("0", "32"),
            "Disabling compaction by setting compaction thresholds to 0 has been removed, set the compaction option \
             'enabled' to false instead."
        );
        assert_eq!(
            stcs("four", "32"),
            "Invalid value four for 'min_threshold' compaction sub-option - must be an integer"
        );
        assert_eq!(stcs("4", "-1"), "Invalid value -1 for 'max_threshold' compaction sub-option - must be an integer");
        assert_eq!(
            stcs("4", "99999999999"),
            "Invalid value 99999999999 for 'max_threshold' compaction sub-option - must be an integer"
        );
        let ok = options(&[("class", TIME_WINDOW_CLASS), ("min_threshold", "2"), ("max_threshold", "2")]);
        let CompactionStrategy::TimeWindow(o) = CompactionStrategy::from_options(&ok).unwrap() else { panic!() };
        assert_eq!(o.thresholds, Thresholds { min: 2, max: 2 });
    }

    #[test]
    fn shared_sub_options_are_validated_and_kept() {
        let given = options(&[
            ("class", LEVELED_CLASS),
            ("enabled", "FALSE"),
            ("tombstone_threshold", "0.5"),
            ("tombstone_compaction_interval", "60"),
            ("unchecked_tombstone_compaction", "true"),
            ("only_purge_repaired_tombstones", "true"),
            ("log_all", "True"),
            ("provide_overlapping_tombstones", "row"),
        ]);
        let strategy = CompactionStrategy::from_options(&given).unwrap();
        assert_eq!(
            *strategy.common(),
            CommonOptions {
                enabled: false,
                tombstone_threshold: 0.5,
                tombstone_compaction_interval_seconds: 60,
                unchecked_tombstone_compaction: true,
                only_purge_repaired_tombstones: true,
                log_all: true,
                provide_overlapping_tombstones: OverlappingTombstones::Row,
            }
        );
        let with = |k: &str, v: &str| error(&[("class", SIZE_TIERED_CLASS), (k, v)]);
        assert_eq!(with("enabled", "maybe"), "enabled should either be 'true' or 'false', not maybe");
        assert_eq!(with("tombstone_threshold", "-1"), "tombstone_threshold must be greater than 0, but was -1.000000");
        assert_eq!(with("tombstone_threshold", "lots"), "lots is not a parsable int (base10) for tombstone_threshold");
        assert_eq!(
            with("tombstone_compaction_interval", "-5"),
            "tombstone_compaction_interval must be greater than 0, but was -5"
        );
        assert_eq!(
            with("unchecked_tombstone_compaction", "yes"),
            "'unchecked_tombstone_compaction' should be either 'true' or 'false', not 'yes'"
        );
        assert_eq!(with("log_all", "1"), "'log_all' should either be 'true' or 'false', not 1");
        assert_eq!(
            with("provide_overlapping_tombstones", "some"),
            "Invalid value SOME for 'provide_overlapping_tombstones' compaction sub-option - must be one of the \
             following [NONE, ROW, CELL]."
        );
    }

    #[test]
    fn disabled_strategy_picks_nothing_but_still_runs_majors() {
        let sstables: Vec<_> = (1..=6).map(|g| sst(g, 1000, 0, (0, 10))).collect();
        for class in [SIZE_TIERED_CLASS, LEVELED_CLASS, TIME_WINDOW_CLASS] {
            let on = CompactionStrategy::from_options(&options(&[("class", class)])).unwrap();
            assert!(on.pick(&sstables, 0).is_some(), "{class}");
            let off = CompactionStrategy::from_options(&options(&[("class", class), ("enabled", "false")])).unwrap();
            assert_eq!(off.pick(&sstables, 0), None, "{class}");
            assert_eq!(off.major(&sstables).map(|j| j.inputs.len()), Some(6), "{class}");
        }
    }

    #[test]
    fn jobs_list_inputs_by_generation() {
        let job = CompactionJob::new(&[sst(9, 1, 0, (0, 0)), sst(3, 1, 0, (0, 0)), sst(9, 1, 0, (0, 0))], 2, Some(7));
        assert_eq!(job, CompactionJob { inputs: vec![3, 9], output_level: 2, max_output_bytes: Some(7) });
        assert!(sst(1, 1, 0, (5, 10)).overlaps(10, 20));
        assert!(!sst(1, 1, 0, (5, 10)).overlaps(11, 20));
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.25), "0.25");
    }
}
