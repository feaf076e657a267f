//! Table and keyspace options: Cassandra's defaults, parsing `WITH ...` clauses, and the
//! canonical forms `system_schema` shows (full class names, string-valued maps).

use std::collections::BTreeMap;

use percore_protocol::cql::ast::{Literal, OptionValue, Options};

use super::error::SchemaError;

pub type StringMap = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
pub struct TableOptions {
    pub bloom_filter_fp_chance: f64,
    pub caching: StringMap,
    pub comment: String,
    pub compaction: StringMap,
    pub compression: StringMap,
    pub crc_check_chance: f64,
    pub dclocal_read_repair_chance: f64,
    pub default_time_to_live: i32,
    pub gc_grace_seconds: i32,
    pub max_index_interval: i32,
    pub memtable_flush_period_in_ms: i32,
    pub min_index_interval: i32,
    pub read_repair_chance: f64,
    pub speculative_retry: String,
    /// Table id given explicitly (`WITH id = ...`), used when the schema is reloaded.
    pub id: Option<uuid::Uuid>,
}

fn map(pairs: &[(&str, &str)]) -> StringMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            bloom_filter_fp_chance: 0.01,
            caching: map(&[("keys", "ALL"), ("rows_per_partition", "ALL")]),
            comment: String::new(),
            compaction: map(&[("class", "SizeTieredCompactionStrategy")]),
            compression: map(&[("sstable_compression", "org.apache.cassandra.io.compress.LZ4Compressor")]),
            crc_check_chance: 1.0,
            dclocal_read_repair_chance: 0.0,
            default_time_to_live: 0,
            gc_grace_seconds: 864_000,
            max_index_interval: 2048,
            memtable_flush_period_in_ms: 0,
            min_index_interval: 128,
            read_repair_chance: 0.0,
            speculative_retry: "99.0PERCENTILE".into(),
            id: None,
        }
    }
}

fn literal_text(value: &OptionValue) -> Option<String> {
    match value {
        OptionValue::Constant(Literal::String(s))
        | OptionValue::Constant(Literal::Integer(s))
        | OptionValue::Constant(Literal::Float(s))
        | OptionValue::Constant(Literal::Uuid(s))
        | OptionValue::Identifier(s) => Some(s.clone()),
        OptionValue::Constant(Literal::Boolean(b)) => Some(b.to_string()),
        _ => None,
    }
}

/// A `{'k': 'v'}` option as a string map (values of any constant kind become text).
pub fn option_map(name: &str, value: &OptionValue) -> Result<StringMap, SchemaError> {
    let OptionValue::Map(pairs) = value else {
        return Err(SchemaError::syntax(format!("Invalid value for property '{name}': expected a map")));
    };
    pairs
        .iter()
        .map(|(k, v)| {
            let text = |l: &Literal| literal_text(&OptionValue::Constant(l.clone()));
            match (text(k), text(v)) {
                (Some(k), Some(v)) => Ok((k, v)),
                _ => Err(SchemaError::syntax(format!("Invalid value for property '{name}'"))),
            }
        })
        .collect()
}

fn option_number<T: std::str::FromStr>(name: &str, value: &OptionValue) -> Result<T, SchemaError> {
    literal_text(value)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| SchemaError::syntax(format!("Invalid value for property '{name}'")))
}

impl TableOptions {
    /// Applies a `WITH` clause; unknown properties are refused as Cassandra does.
    pub fn apply(&mut self, options: &Options) -> Result<(), SchemaError> {
        for (name, value) in options {
            match name.as_str() {
                "bloom_filter_fp_chance" => {
                    let v: f64 = option_number(name, value)?;
                    if !(v > 0.0 && v <= 1.0) {
                        return Err(SchemaError::config(format!("bloom_filter_fp_chance must be in (0, 1], got {v}")));
                    }
                    self.bloom_filter_fp_chance = v;
                }
                "caching" => self.caching = option_map(name, value)?,
                "comment" => self.comment = literal_text(value).unwrap_or_default(),
                "compaction" => {
                    let m = option_map(name, value)?;
                    if !m.contains_key("class") {
                        return Err(SchemaError::config(
                            "Missing sub-option 'class' for the 'compaction' option.".into(),
                        ));
                    }
                    // The strategy's own sub-options are checked by the storage that runs it
                    // (`replica::compaction_scheduler::validate_options`, called by DDL).
                    self.compaction = m;
                }
                "compression" => self.compression = option_map(name, value)?,
                "crc_check_chance" => self.crc_check_chance = option_number(name, value)?,
                "dclocal_read_repair_chance" => self.dclocal_read_repair_chance = option_number(name, value)?,
                "default_time_to_live" => {
                    let v: i32 = option_number(name, value)?;
                    if v < 0 {
                        return Err(SchemaError::config(
                            "default_time_to_live must be greater than or equal to 0".into(),
                        ));
                    }
                    self.default_time_to_live = v;
                }
                "gc_grace_seconds" => self.gc_grace_seconds = option_number(name, value)?,
                "max_index_interval" => self.max_index_interval = option_number(name, value)?,
                "memtable_flush_period_in_ms" => self.memtable_flush_period_in_ms = option_number(name, value)?,
                "min_index_interval" => self.min_index_interval = option_number(name, value)?,
                "read_repair_chance" => self.read_repair_chance = option_number(name, value)?,
                "speculative_retry" => self.speculative_retry = literal_text(value).unwrap_or_default(),
                "id" => {
                    let text = literal_text(value).unwrap_or_default();
                    self.id = Some(
                        uuid::Uuid::parse_str(&text)
                            .map_err(|_| SchemaError::config(format!("Invalid table id '{text}'")))?,
                    );
                }
                "cdc"
                | "extensions"
                | "paxos_grace_seconds"
                | "tombstone_gc"
                | "synchronous_updates"
                | "per_partition_rate_limit" => {}
                other => return Err(SchemaError::syntax(format!("Unknown property '{other}'"))),
            }
        }
        Ok(())
    }
}

/// Validated keyspace options: replication with the full strategy class, durable writes.
/// `local_datacenter` receives NetworkTopologyStrategy's `replication_factor` shorthand
/// (ScyllaDB expands it per datacenter; drivers read the keys as datacenter names).
pub fn keyspace_options(
    options: &Options,
    current: Option<(&StringMap, bool)>,
    local_datacenter: &str,
) -> Result<(StringMap, bool), SchemaError> {
    let mut replication = current.map(|(r, _)| r.clone());
    let mut durable_writes = current.is_none_or(|(_, d)| d);
    for (name, value) in options {
        match name.as_str() {
            "replication" => replication = Some(replication_map(&option_map(name, value)?, local_datacenter)?),
            "durable_writes" => {
                durable_writes = match literal_text(value).as_deref().map(str::to_ascii_lowercase).as_deref() {
                    Some("true") => true,
                    Some("false") => false,
                    _ => return Err(SchemaError::syntax("Invalid value for property 'durable_writes'".into())),
                }
            }
            other => return Err(SchemaError::syntax(format!("Unknown property '{other}'"))),
        }
    }
    let replication =
        replication.ok_or_else(|| SchemaError::config("Missing mandatory option 'replication'".into()))?;
    Ok((replication, durable_writes))
}

const STRATEGY_PACKAGE: &str = "org.apache.cassandra.locator.";

fn replication_map(given: &StringMap, local_datacenter: &str) -> Result<StringMap, SchemaError> {
    let class = given.get("class").ok_or_else(|| SchemaError::config("Missing replication strategy class".into()))?;
    let short = class.strip_prefix(STRATEGY_PACKAGE).unwrap_or(class);
    let mut out = StringMap::new();
    match short {
        "SimpleStrategy" => {
            let rf = given.get("replication_factor").ok_or_else(|| {
                SchemaError::config("SimpleStrategy requires a replication_factor strategy option.".into())
            })?;
            check_rf(rf)?;
            out.insert("replication_factor".into(), rf.clone());
        }
        "NetworkTopologyStrategy" => {
            for (k, v) in given.iter().filter(|(k, _)| *k != "class") {
                check_rf(v)?;
                let datacenter = if k == "replication_factor" { local_datacenter } else { k.as_str() };
                out.entry(datacenter.to_string()).or_insert_with(|| v.clone());
            }
        }
        "LocalStrategy" | "EverywhereStrategy" => {}
        other => return Err(SchemaError::config(format!("Unable to find replication strategy class '{other}'"))),
    }
    out.insert("class".into(), format!("{STRATEGY_PACKAGE}{short}"));
    Ok(out)
}

fn check_rf(rf: &str) -> Result<(), SchemaError> {
    match rf.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(()),
        _ => Err(SchemaError::config(format!("Replication factor must be non-negative integer; found {rf}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Literal {
        Literal::String(v.into())
    }

    #[test]
    fn replication_gets_the_full_class_name() {
        let opts = vec![(
            "replication".to_string(),
            OptionValue::Map(vec![(s("class"), s("NetworkTopologyStrategy")), (s("replication_factor"), s("1"))]),
        )];
        let (r, durable) = keyspace_options(&opts, None, "dc1").unwrap();
        assert_eq!(r["class"], "org.apache.cassandra.locator.NetworkTopologyStrategy");
        assert_eq!(r["dc1"], "1", "the replication_factor shorthand names the local datacenter");
        assert!(!r.contains_key("replication_factor"));
        assert!(durable);
    }

    #[test]
    fn simple_strategy_needs_a_replication_factor() {
        let opts = vec![("replication".to_string(), OptionValue::Map(vec![(s("class"), s("SimpleStrategy"))]))];
        assert!(keyspace_options(&opts, None, "dc1").is_err());
    }

    #[test]
    fn unknown_table_property_is_refused() {
        let mut o = TableOptions::default();
        assert!(o.apply(&vec![("nonsense".into(), OptionValue::Constant(s("x")))]).is_err());
        o.apply(&vec![("gc_grace_seconds".into(), OptionValue::Constant(Literal::Integer("10".into())))]).unwrap();
        assert_eq!(o.gc_grace_seconds, 10);
    }
}
