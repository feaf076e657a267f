//! A keyspace's replication map (`system_schema.keyspaces.replication`: `class` plus string
//! options) read into a [`ReplicationStrategy`].
//!
//! `class` may be the short or the full (`org.apache.cassandra.locator.`) name. Replication
//! factors are non-negative integers written as strings. NetworkTopologyStrategy's keys are
//! data center names; its `replication_factor` shorthand is expanded to the local data
//! center by the schema when the keyspace is created, so a map still holding it is refused
//! here rather than read as a data center of that name. Transient replication (`"3/1"`) is not
//! supported.

use std::collections::BTreeMap;

use super::strategy::{ReplicationStrategy, STRATEGY_PACKAGE};

const CLASS: &str = "class";
const REPLICATION_FACTOR: &str = "replication_factor";

/// Why a replication map is not a strategy placement can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplicationOptionsError {
    #[error("the replication map names no strategy 'class'")]
    MissingClass,
    #[error("unknown replication strategy class '{0}'; use SimpleStrategy, NetworkTopologyStrategy, LocalStrategy or EverywhereStrategy")]
    UnknownClass(String),
    #[error("SimpleStrategy requires a replication_factor strategy option")]
    MissingReplicationFactor,
    #[error("replication factor '{option}' must be a non-negative integer; found '{value}'")]
    InvalidReplicationFactor { option: String, value: String },
    #[error("unrecognized strategy option '{option}' passed to {strategy}")]
    UnrecognizedOption { strategy: &'static str, option: String },
    #[error("NetworkTopologyStrategy's 'replication_factor' must be expanded to data center names first (the schema does so on CREATE/ALTER KEYSPACE)")]
    UnexpandedReplicationFactor,
}

impl ReplicationStrategy {
    /// The strategy a keyspace's replication map describes.
    pub fn from_replication_map(map: &BTreeMap<String, String>) -> Result<Self, ReplicationOptionsError> {
        let class = map.get(CLASS).ok_or(ReplicationOptionsError::MissingClass)?;
        let short = class.strip_prefix(STRATEGY_PACKAGE).unwrap_or(class);
        let options = map.iter().filter(|(k, _)| k.as_str() != CLASS);
        match short {
            "SimpleStrategy" => {
                let mut replication_factor = None;
                for (option, value) in options {
                    if option != REPLICATION_FACTOR {
                        return Err(ReplicationOptionsError::UnrecognizedOption {
                            strategy: "SimpleStrategy",
                            option: option.clone(),
                        });
                    }
                    replication_factor = Some(parse_replication_factor(option, value)?);
                }
                let replication_factor = replication_factor.ok_or(ReplicationOptionsError::MissingReplicationFactor)?;
                Ok(ReplicationStrategy::Simple { replication_factor })
            }
            "NetworkTopologyStrategy" => {
                let mut datacenters = BTreeMap::new();
                for (option, value) in options {
                    if option == REPLICATION_FACTOR {
                        return Err(ReplicationOptionsError::UnexpandedReplicationFactor);
                    }
                    datacenters.insert(option.clone(), parse_replication_factor(option, value)?);
                }
                Ok(ReplicationStrategy::NetworkTopology { datacenters })
            }
            "LocalStrategy" => no_options("LocalStrategy", options).map(|()| ReplicationStrategy::Local),
            "EverywhereStrategy" => no_options("EverywhereStrategy", options).map(|()| ReplicationStrategy::Everywhere),
            _ => Err(ReplicationOptionsError::UnknownClass(class.clone())),
        }
    }
}

/// LocalStrategy and EverywhereStrategy take no options.
fn no_options<'a>(
    strategy: &'static str,
    mut options: impl Iterator<Item = (&'a String, &'a String)>,
) -> Result<(), ReplicationOptionsError> {
    match options.next() {
        Some((option, _)) => Err(ReplicationOptionsError::UnrecognizedOption { strategy, option: option.clone() }),
        None => Ok(()),
    }
}

fn parse_replication_factor(option: &str, value: &str) -> Result<usize, ReplicationOptionsError> {
    // Only plain decimal digits: no sign, no spaces, no transient "3/1".
    let invalid = || ReplicationOptionsError::InvalidReplicationFactor { option: option.into(), value: value.into() };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    value.parse::<usize>().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<ReplicationStrategy, ReplicationOptionsError> {
        let map = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ReplicationStrategy::from_replication_map(&map)
    }

    #[test]
    fn short_and_full_class_names() {
        for class in ["SimpleStrategy", "org.apache.cassandra.locator.SimpleStrategy"] {
            assert_eq!(
                parse(&[("class", class), ("replication_factor", "3")]),
                Ok(ReplicationStrategy::Simple { replication_factor: 3 })
            );
        }
        assert_eq!(parse(&[("class", "org.apache.cassandra.locator.LocalStrategy")]), Ok(ReplicationStrategy::Local));
        assert_eq!(parse(&[("class", "EverywhereStrategy")]), Ok(ReplicationStrategy::Everywhere));
        assert_eq!(
            ReplicationStrategy::Simple { replication_factor: 1 }.class_name(),
            "org.apache.cassandra.locator.SimpleStrategy"
        );
    }

    #[test]
    fn network_topology_reads_data_centers() {
        let parsed =
            parse(&[("class", "org.apache.cassandra.locator.NetworkTopologyStrategy"), ("dc1", "3"), ("dc2", "0")]);
        let expected = BTreeMap::from([("dc1".to_string(), 3), ("dc2".to_string(), 0)]);
        assert_eq!(parsed, Ok(ReplicationStrategy::NetworkTopology { datacenters: expected }));
        assert_eq!(
            parse(&[("class", "NetworkTopologyStrategy")]),
            Ok(ReplicationStrategy::NetworkTopology { datacenters: BTreeMap::new() })
        );
    }

    #[test]
    fn invalid_maps_are_refused() {
        use ReplicationOptionsError as E;
        assert_eq!(parse(&[("replication_factor", "1")]), Err(E::MissingClass));
        assert_eq!(
            parse(&[("class", "OldNetworkTopologyStrategy")]),
            Err(E::UnknownClass("OldNetworkTopologyStrategy".into()))
        );
        assert_eq!(
            parse(&[("class", "simplestrategy"), ("replication_factor", "1")]),
            Err(E::UnknownClass("simplestrategy".into()))
        );
        assert_eq!(parse(&[("class", "SimpleStrategy")]), Err(E::MissingReplicationFactor));
        for bad in ["-1", "", "three", "3/1", " 3", "+3", "99999999999999999999999"] {
            assert_eq!(
                parse(&[("class", "SimpleStrategy"), ("replication_factor", bad)]),
                Err(E::InvalidReplicationFactor { option: "replication_factor".into(), value: bad.into() })
            );
        }
        assert_eq!(
            parse(&[("class", "NetworkTopologyStrategy"), ("dc1", "x")]),
            Err(E::InvalidReplicationFactor { option: "dc1".into(), value: "x".into() })
        );
        assert_eq!(
            parse(&[("class", "SimpleStrategy"), ("replication_factor", "1"), ("dc1", "1")]),
            Err(E::UnrecognizedOption { strategy: "SimpleStrategy", option: "dc1".into() })
        );
        assert_eq!(
            parse(&[("class", "LocalStrategy"), ("replication_factor", "1")]),
            Err(E::UnrecognizedOption { strategy: "LocalStrategy", option: "replication_factor".into() })
        );
        assert_eq!(
            parse(&[("class", "NetworkTopologyStrategy"), ("replication_factor", "3")]),
            Err(E::UnexpandedReplicationFactor)
        );
    }
}
