//! `nodetool tablestats` / `cfstats` (Cassandra's `TableStatsPrinter`): per keyspace its
//! read/write counts and latencies, then each table's lines. What Percore does not measure
//! (compression ratio, partition size histograms, cells per slice, dropped mutations,
//! snapshots) is printed as Cassandra prints it for a table with no data.

use crate::replica::table_metrics::TableStats;

use super::info::percent_repaired;
use super::java_fixed;

/// Mean latency in milliseconds (NaN with no operations, as Cassandra prints it).
fn mean_ms(total_micros: u64, count: u64) -> f64 {
    if count == 0 {
        f64::NAN
    } else {
        total_micros as f64 / count as f64 / 1000.0
    }
}

fn table_lines(t: &TableStats, indent: &str) -> String {
    let false_ratio = match t.bloom_filter_true_positives + t.bloom_filter_false_positives {
        0 => 0.0,
        all => t.bloom_filter_false_positives as f64 / all as f64,
    };
    let lines: Vec<String> = vec![
        format!("Table: {}", t.table),
        format!("SSTable count: {}", t.sstable_count),
        format!("Space used (live): {}", t.space_used_bytes),
        format!("Space used (total): {}", t.space_used_bytes),
        "Space used by snapshots (total): 0".to_string(),
        "SSTable Compression Ratio: -1.0".to_string(),
        format!("Number of partitions (estimate): {}", t.sstable_partitions + t.memtable_partitions),
        format!("Memtable cell count: {}", t.memtable_cell_count),
        format!("Memtable data size: {}", t.memtable_data_bytes),
        format!("Memtable switch count: {}", t.memtable_switch_count),
        format!("Local read count: {}", t.read_count),
        format!("Local read latency: {} ms", java_fixed(mean_ms(t.read_micros, t.read_count), 3)),
        format!("Local write count: {}", t.write_count),
        format!("Local write latency: {} ms", java_fixed(mean_ms(t.write_micros, t.write_count), 3)),
        format!("Pending flushes: {}", t.pending_flushes),
        format!("Percent repaired: {}", percent_repaired(t.space_used_bytes)),
        format!("Bloom filter false positives: {}", t.bloom_filter_false_positives),
        format!("Bloom filter false ratio: {false_ratio:.5}"),
        format!("Bloom filter space used: {}", t.bloom_filter_bytes),
        "Compacted partition minimum bytes: 0".to_string(),
        "Compacted partition maximum bytes: 0".to_string(),
        "Compacted partition mean bytes: 0".to_string(),
        "Average live cells per slice (last five minutes): NaN".to_string(),
        "Maximum live cells per slice (last five minutes): 0".to_string(),
        "Average tombstones per slice (last five minutes): NaN".to_string(),
        "Maximum tombstones per slice (last five minutes): 0".to_string(),
        "Dropped Mutations: 0".to_string(),
    ];
    let mut out: String = lines.into_iter().map(|l| format!("{indent}{l}\n")).collect();
    out.push('\n');
    out
}

/// Whether a `ks` or `ks.table` filter selects the table (no filter: every table).
fn selected(filters: &[String], t: &TableStats) -> bool {
    filters.is_empty()
        || filters.iter().any(|f| match f.split_once('.') {
            Some((ks, table)) => ks == t.keyspace && table == t.table,
            None => f == &t.keyspace,
        })
}

/// The filters that select no table (reported as unknown, as Cassandra does).
pub fn unknown_filters(filters: &[String], stats: &[TableStats]) -> Vec<String> {
    filters.iter().filter(|f| !stats.iter().any(|t| selected(std::slice::from_ref(*f), t))).cloned().collect()
}

/// `stats` sorted by keyspace then table (as the node sends them).
pub fn tablestats(stats: &[TableStats], filters: &[String]) -> String {
    let chosen: Vec<&TableStats> = stats.iter().filter(|t| selected(filters, t)).collect();
    let mut out = format!("Total number of tables: {}\n----------------\n", chosen.len());
    let mut keyspaces: Vec<&str> = chosen.iter().map(|t| t.keyspace.as_str()).collect();
    keyspaces.dedup();
    for ks in keyspaces {
        let tables: Vec<&&TableStats> = chosen.iter().filter(|t| t.keyspace == ks).collect();
        let reads: u64 = tables.iter().map(|t| t.read_count).sum();
        let read_micros: u64 = tables.iter().map(|t| t.read_micros).sum();
        let writes: u64 = tables.iter().map(|t| t.write_count).sum();
        let write_micros: u64 = tables.iter().map(|t| t.write_micros).sum();
        let pending: u64 = tables.iter().map(|t| t.pending_flushes).sum();
        out.push_str(&format!("Keyspace : {ks}\n"));
        out.push_str(&format!("\tRead Count: {reads}\n"));
        out.push_str(&format!("\tRead Latency: {} ms\n", mean_ms(read_micros, reads)));
        out.push_str(&format!("\tWrite Count: {writes}\n"));
        out.push_str(&format!("\tWrite Latency: {} ms\n", mean_ms(write_micros, writes)));
        out.push_str(&format!("\tPending Flushes: {pending}\n"));
        for t in tables {
            out.push_str(&table_lines(t, "\t\t"));
        }
        out.push_str("----------------\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(keyspace: &str, table: &str) -> TableStats {
        TableStats {
            keyspace: keyspace.into(),
            table: table.into(),
            sstable_count: 2,
            space_used_bytes: 4096,
            write_count: 4,
            write_micros: 2000,
            bloom_filter_false_positives: 1,
            bloom_filter_true_positives: 3,
            ..Default::default()
        }
    }

    #[test]
    fn keyspaces_then_tables() {
        let all = [stats("a", "t1"), stats("a", "t2"), stats("b", "t")];
        let text = tablestats(&all, &[]);
        assert!(text.starts_with("Total number of tables: 3\n----------------\nKeyspace : a\n\tRead Count: 0\n\tRead Latency: NaN ms\n\tWrite Count: 8\n\tWrite Latency: 0.5 ms\n"), "{text}");
        assert!(text.contains("\t\tTable: t2\n\t\tSSTable count: 2\n\t\tSpace used (live): 4096\n"));
        assert!(text
            .contains("\t\tLocal read latency: NaN ms\n\t\tLocal write count: 4\n\t\tLocal write latency: 0.500 ms\n"));
        assert!(text.contains("\t\tBloom filter false ratio: 0.25000\n"));
        assert!(text.contains("\t\tPercent repaired: 0.0\n"));
        let one = tablestats(&all, &["a.t2".into()]);
        assert!(one.starts_with("Total number of tables: 1\n"));
        assert!(!one.contains("Table: t1"));
        assert_eq!(unknown_filters(&["a".into(), "c".into(), "a.t9".into()], &all), vec!["c", "a.t9"]);
    }
}
