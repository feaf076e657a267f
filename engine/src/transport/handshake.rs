//! OPTIONS → SUPPORTED and STARTUP → READY: what a connection advertises and accepts.
//! SUPPORTED carries the complete Scylla sharding key set (drivers ignore or crash on a
//! partial set) with the shard that really serves this connection.

use percore_protocol::compression::Compression;

use crate::cql::error::CqlError;
use crate::cql::shard::Shard;
use crate::cql::CQL_VERSION;
use crate::model::token::PARTITIONER;

pub const SHARDING_ALGORITHM: &str = "biased-token-round-robin";

/// The SUPPORTED multimap for a connection served by `shard`.
pub fn supported_options(shard: &Shard) -> Vec<(String, Vec<String>)> {
    let config = &shard.node.config;
    let one = |k: &str, v: String| (k.to_string(), vec![v]);
    vec![
        one("CQL_VERSION", CQL_VERSION.into()),
        ("COMPRESSION".into(), vec!["lz4".into(), "snappy".into()]),
        one("SCYLLA_SHARD", shard.id.to_string()),
        one("SCYLLA_NR_SHARDS", shard.nr_shards().to_string()),
        one("SCYLLA_PARTITIONER", PARTITIONER.into()),
        one("SCYLLA_SHARDING_ALGORITHM", SHARDING_ALGORITHM.into()),
        one("SCYLLA_SHARDING_IGNORE_MSB", config.murmur3_partitioner_ignore_msb_bits.to_string()),
        one("SCYLLA_SHARD_AWARE_PORT", config.native_shard_aware_transport_port.to_string()),
    ]
}

/// What STARTUP asked for.
#[derive(Debug, Default)]
pub struct StartupOptions {
    pub compression: Option<Compression>,
    pub driver_name: Option<String>,
    pub driver_version: Option<String>,
}

/// Validates STARTUP options; unknown keys are accepted and ignored, as Cassandra does.
pub fn parse_startup(options: &[(String, String)]) -> Result<StartupOptions, CqlError> {
    let mut startup = StartupOptions::default();
    for (key, value) in options {
        match key.to_ascii_uppercase().as_str() {
            "COMPRESSION" => {
                let algorithm = Compression::from_name(value)
                    .ok_or_else(|| CqlError::protocol(format!("Unknown compression algorithm: {value}")))?;
                startup.compression = Some(algorithm);
            }
            "CQL_VERSION" if !value.starts_with('3') && !value.starts_with('4') => {
                return Err(CqlError::protocol(format!("Invalid or unsupported CQL version: {value}")));
            }
            "DRIVER_NAME" => startup.driver_name = Some(value.clone()),
            "DRIVER_VERSION" => startup.driver_version = Some(value.clone()),
            _ => {}
        }
    }
    Ok(startup)
}
