//! `nodetool compactionstats`, `compactionhistory` and `getcompactionthroughput`
//! (Cassandra's `CompactionStats`, `CompactionHistoryPrinter`, `GetCompactionThroughput`).

use percore_protocol::types::literal::format_timestamp;

use crate::admin::views::CompactionsView;
use crate::replica::compaction_activity::CompactionRecord;

use super::TableBuilder;

const MIB: u64 = 1 << 20;

pub fn compactionstats(view: &CompactionsView) -> String {
    let total: u64 = view.pending.iter().map(|p| p.tasks).sum();
    let mut out = format!("pending tasks: {total}\n");
    for p in &view.pending {
        out.push_str(&format!("- {}.{}: {}\n", p.keyspace, p.table, p.tasks));
    }
    out.push('\n');
    if view.running.is_empty() {
        return out;
    }
    let mut table = TableBuilder::default();
    table.add(&["id", "compaction type", "keyspace", "table", "completed", "total", "unit", "progress"]);
    let mut remaining = 0;
    for c in &view.running {
        let progress = match c.total_bytes {
            0 => "n/a".to_string(),
            total => format!("{:.2}%", c.completed_bytes as f64 / total as f64 * 100.0),
        };
        table.add(&[
            c.id.to_string(),
            c.kind.name().to_string(),
            c.keyspace.clone(),
            c.table.clone(),
            c.completed_bytes.to_string(),
            c.total_bytes.to_string(),
            "bytes".to_string(),
            progress,
        ]);
        remaining += c.total_bytes.saturating_sub(c.completed_bytes);
    }
    out.push_str(&table.render());
    let time = match view.throughput_mib_per_second {
        0 => "n/a".to_string(),
        rate => {
            let secs = remaining / (MIB * rate);
            format!("{}h{:02}m{:02}s", secs / 3600, secs % 3600 / 60, secs % 60)
        }
    };
    out.push_str(&format!("Active compaction remaining time : {time:>10}\n"));
    out
}

/// `yyyy-MM-ddTHH:mm:ss.SSS` (UTC).
fn compacted_at(ms: u64) -> String {
    format_timestamp(i64::try_from(ms).unwrap_or(i64::MAX)).replacen(' ', "T", 1).trim_end_matches('Z').to_string()
}

pub fn compactionhistory(records: &[CompactionRecord]) -> String {
    if records.is_empty() {
        return "Compaction History: \nThere is no compaction history\n".to_string();
    }
    let mut table = TableBuilder::default();
    table.add(&["id", "keyspace_name", "columnfamily_name", "compacted_at", "bytes_in", "bytes_out", "rows_merged"]);
    for r in records {
        let merged: Vec<String> = r.rows_merged.iter().map(|(inputs, n)| format!("{inputs}:{n}")).collect();
        table.add(&[
            r.id.to_string(),
            r.keyspace.clone(),
            r.table.clone(),
            compacted_at(r.compacted_at_ms),
            r.bytes_in.to_string(),
            r.bytes_out.to_string(),
            format!("{{{}}}", merged.join(", ")),
        ]);
    }
    format!("Compaction History: \n{}", table.render())
}

pub fn throughput(mib_per_second: u64) -> String {
    format!("Current compaction throughput: {mib_per_second} MB/s\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::views::PendingCompactions;
    use crate::replica::compaction_activity::{CompactionKind, RunningCompaction};

    #[test]
    fn compactionstats_lists_pending_and_running() {
        let mut view = CompactionsView { pending: vec![], running: vec![], throughput_mib_per_second: 0 };
        assert_eq!(compactionstats(&view), "pending tasks: 0\n\n");
        view.pending.push(PendingCompactions { keyspace: "ks".into(), table: "t".into(), tasks: 2 });
        view.running.push(RunningCompaction {
            id: uuid::Uuid::from_u128(1),
            kind: CompactionKind::Background,
            keyspace: "ks".into(),
            table: "t".into(),
            completed_bytes: 1 << 20,
            total_bytes: 4 << 20,
        });
        view.throughput_mib_per_second = 1;
        let text = compactionstats(&view);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "pending tasks: 2");
        assert_eq!(lines[1], "- ks.t: 2");
        assert!(
            lines[3].starts_with(
                "id                                   compaction type keyspace table completed total   unit  progress"
            ),
            "{}",
            lines[3]
        );
        assert!(lines[4].ends_with("Compaction      ks       t     1048576   4194304 bytes 25.00%"), "{}", lines[4]);
        assert_eq!(lines[5], "Active compaction remaining time :   0h00m03s");
    }

    #[test]
    fn history_rows() {
        assert!(compactionhistory(&[]).contains("There is no compaction history"));
        let record = CompactionRecord {
            id: uuid::Uuid::from_u128(1),
            keyspace: "ks".into(),
            table: "t".into(),
            compacted_at_ms: 1_296_705_900_000,
            bytes_in: 100,
            bytes_out: 60,
            rows_merged: vec![(1, 3), (2, 5)],
        };
        let text = compactionhistory(&[record]);
        assert!(text.starts_with("Compaction History: \nid "));
        assert!(
            text.contains(" ks            t                 2011-02-03T04:05:00.000 100      60        {1:3, 2:5}\n"),
            "{text}"
        );
        assert_eq!(throughput(16), "Current compaction throughput: 16 MB/s\n");
    }
}
