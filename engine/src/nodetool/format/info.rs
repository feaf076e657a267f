//! `nodetool version` and `info` (Cassandra's `Version` and `Info`): `%-23s: %s` lines;
//! the caches Percore does not have are printed as Cassandra prints empty ones.

use crate::admin::views::NodeInfo;

use super::file_size;

/// `ReleaseVersion: 3.0.8`.
pub fn version(release_version: &str) -> String {
    format!("ReleaseVersion: {release_version}\n")
}

/// Cassandra's line for a cache that holds nothing and is not configured.
const EMPTY_CACHE: &str =
    "entries 0, size 0 bytes, capacity 0 bytes, 0 hits, 0 requests, NaN recent hit rate, 0 save period in seconds";

const MIB: f64 = (1u64 << 20) as f64;

/// Cassandra's "percent repaired": nothing is ever repaired here, so 0 once any SSTable
/// holds data, 100 while none does (as Cassandra computes it).
pub fn percent_repaired(sstable_bytes: u64) -> &'static str {
    if sstable_bytes == 0 {
        "100.0"
    } else {
        "0.0"
    }
}

pub fn info(info: &NodeInfo, all_tokens: bool) -> String {
    let mut lines: Vec<(&str, String)> = vec![
        ("ID", info.host_id.to_string()),
        ("Gossip active", info.gossip_active.to_string()),
        ("Native Transport active", info.native_transport_active.to_string()),
        ("Load", file_size(info.load_bytes)),
        ("Generation No", info.generation.to_string()),
        ("Uptime (seconds)", info.uptime_seconds.to_string()),
        (
            "Heap Memory (MB)",
            format!("{:.2} / {:.2}", info.memtable_bytes as f64 / MIB, info.memory_bytes as f64 / MIB),
        ),
        ("Data Center", info.data_center.clone()),
        ("Rack", info.rack.clone()),
        ("Exceptions", info.exceptions.to_string()),
        ("Key Cache", EMPTY_CACHE.to_string()),
        ("Row Cache", EMPTY_CACHE.to_string()),
        ("Counter Cache", EMPTY_CACHE.to_string()),
        ("Percent Repaired", format!("{}%", percent_repaired(info.load_bytes))),
    ];
    // Cassandra lists a lone token without being asked.
    if all_tokens || info.tokens.len() == 1 {
        lines.extend(info.tokens.iter().map(|t| ("Token", t.clone())));
    } else {
        lines.push(("Token", format!("(invoke with -T/--tokens to see all {} tokens)", info.tokens.len())));
    }
    lines.into_iter().map(|(name, value)| format!("{name:<23}: {value}\n")).collect()
}

#[cfg(test)]
pub(super) fn sample() -> NodeInfo {
    NodeInfo {
        release_version: "3.0.8".into(),
        host_id: uuid::Uuid::from_u128(0x0d3c_0000_0000_4000_8000_0000_0000_0001),
        cluster_name: "Test Cluster".into(),
        data_center: "datacenter1".into(),
        rack: "rack1".into(),
        address: "127.0.0.1".into(),
        partitioner: "org.apache.cassandra.dht.Murmur3Partitioner".into(),
        snitch: "org.apache.cassandra.locator.SimpleSnitch".into(),
        schema_version: uuid::Uuid::from_u128(7),
        tokens: vec!["0".into()],
        generation: 1_700_000_000,
        uptime_seconds: 42,
        load_bytes: 314_132,
        memtable_bytes: 3 << 20,
        memory_bytes: 1 << 30,
        gossip_active: false,
        native_transport_active: true,
        exceptions: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_lines_have_cassandras_shape() {
        let text = info(&sample(), false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ID                     : 0d3c0000-0000-4000-8000-000000000001");
        assert_eq!(lines[2], "Native Transport active: true");
        assert_eq!(lines[3], "Load                   : 306.77 KiB");
        assert_eq!(lines[6], "Heap Memory (MB)       : 3.00 / 1024.00");
        assert!(lines[10].starts_with("Key Cache              : entries 0, size 0 bytes"));
        assert_eq!(lines[13], "Percent Repaired       : 0.0%");
        assert_eq!(lines[14], "Token                  : 0");
        let mut vnodes = sample();
        vnodes.tokens = vec!["-5".into(), "7".into()];
        let summary = info(&vnodes, false);
        assert!(summary.ends_with("Token                  : (invoke with -T/--tokens to see all 2 tokens)\n"));
        assert!(info(&vnodes, true).ends_with("Token                  : -5\nToken                  : 7\n"));
        assert_eq!(version("3.0.8"), "ReleaseVersion: 3.0.8\n");
    }
}
