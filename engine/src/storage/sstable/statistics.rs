//! SSTable statistics (`Statistics.db`), pure part: what compaction, tombstone purging and
//! read pruning need without reading the data. Collected while writing.
//!
//! ```text
//! payload = i64 min_timestamp ‖ i64 max_timestamp ‖ i64 min_token ‖ i64 max_token
//!         ‖ u64 partitions ‖ u64 rows ‖ u64 tombstones ‖ u32 min_local_deletion_time
//!         ‖ u64 data_size_bytes ‖ u64 index_size_bytes ‖ u32 level
//! ```
//!
//! Timestamps cover cells, row markers and every deletion; tombstones count partition,
//! row and range deletions and tombstone cells; the minimum local deletion time covers
//! deletions, tombstone cells and the expiry of TTL'd cells and markers
//! ([`NEVER_EXPIRES`] when there is none). An empty SSTable has zero tokens and
//! `min_timestamp > max_timestamp`. `level` is the leveled-compaction level the SSTable
//! was written for (0 for flushes and for the other strategies).

use crate::model::cell::{EpochSeconds, WriteTimestamp, NEVER_EXPIRES};
use crate::model::mutation::PartitionPosition;
use crate::storage::partition::{Partition, Row};

use super::wire::{put_i64, put_u32, put_u64, DecodeError, WireReader};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statistics {
    pub min_timestamp: WriteTimestamp,
    pub max_timestamp: WriteTimestamp,
    pub min_token: i64,
    pub max_token: i64,
    pub partition_count: u64,
    pub row_count: u64,
    pub tombstone_count: u64,
    pub min_local_deletion_time: EpochSeconds,
    /// The lengths of `Data.db` and `Index.db`: a reader refuses files of another size
    /// (truncated or extended), set by the writer once both are complete.
    pub data_size_bytes: u64,
    pub index_size_bytes: u64,
    pub level: u32,
}

impl Default for Statistics {
    fn default() -> Statistics {
        Statistics {
            min_timestamp: WriteTimestamp::MAX,
            max_timestamp: WriteTimestamp::MIN,
            min_token: 0,
            max_token: 0,
            partition_count: 0,
            row_count: 0,
            tombstone_count: 0,
            min_local_deletion_time: NEVER_EXPIRES,
            data_size_bytes: 0,
            index_size_bytes: 0,
            level: 0,
        }
    }
}

impl Statistics {
    /// Folds one partition in; partitions arrive in token order.
    pub fn add_partition(&mut self, position: &PartitionPosition, p: &Partition) {
        if self.partition_count == 0 {
            self.min_token = position.token;
        }
        self.max_token = position.token;
        self.partition_count += 1;
        self.row_count += p.rows.len() as u64;
        if let Some(d) = p.deletion {
            self.deletion(d.marked_at, d.local_deletion_time);
        }
        for (_, d) in &p.range_deletions {
            self.deletion(d.marked_at, d.local_deletion_time);
        }
        self.row(&p.static_row);
        for row in p.rows.values() {
            self.row(row);
        }
    }

    fn timestamp(&mut self, ts: WriteTimestamp) {
        self.min_timestamp = self.min_timestamp.min(ts);
        self.max_timestamp = self.max_timestamp.max(ts);
    }

    fn deletion(&mut self, ts: WriteTimestamp, local_deletion_time: EpochSeconds) {
        self.timestamp(ts);
        self.tombstone_count += 1;
        self.min_local_deletion_time = self.min_local_deletion_time.min(local_deletion_time);
    }

    fn row(&mut self, row: &Row) {
        if let Some(m) = row.marker {
            self.timestamp(m.timestamp);
            self.min_local_deletion_time = self.min_local_deletion_time.min(m.expires_at);
        }
        if let Some(d) = row.deletion {
            self.deletion(d.marked_at, d.local_deletion_time);
        }
        for (_, cell) in &row.cells {
            if cell.value.is_none() {
                self.deletion(cell.timestamp, cell.expires_at);
            } else {
                self.timestamp(cell.timestamp);
                self.min_local_deletion_time = self.min_local_deletion_time.min(cell.expires_at);
            }
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        put_i64(out, self.min_timestamp);
        put_i64(out, self.max_timestamp);
        put_i64(out, self.min_token);
        put_i64(out, self.max_token);
        put_u64(out, self.partition_count);
        put_u64(out, self.row_count);
        put_u64(out, self.tombstone_count);
        put_u32(out, self.min_local_deletion_time);
        put_u64(out, self.data_size_bytes);
        put_u64(out, self.index_size_bytes);
        put_u32(out, self.level);
    }

    pub fn decode(payload: &[u8]) -> Result<Statistics, DecodeError> {
        let mut r = WireReader::new(payload);
        let s = Statistics {
            min_timestamp: r.i64("min timestamp")?,
            max_timestamp: r.i64("max timestamp")?,
            min_token: r.i64("min token")?,
            max_token: r.i64("max token")?,
            partition_count: r.u64("partition count")?,
            row_count: r.u64("row count")?,
            tombstone_count: r.u64("tombstone count")?,
            min_local_deletion_time: r.u32("min local deletion time")?,
            data_size_bytes: r.u64("data size")?,
            index_size_bytes: r.u64("index size")?,
            level: r.u32("level")?,
        };
        r.finish("statistics")?;
        if s.min_token > s.max_token {
            return Err(DecodeError::new(16, "min token above max token"));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample_partition;
    use super::*;
    use bytes::Bytes;

    #[test]
    fn collects_and_round_trips() {
        let mut s = Statistics::default();
        let p = sample_partition(2);
        s.add_partition(&PartitionPosition { token: -3, key: Bytes::from_static(b"a") }, &p);
        s.add_partition(&PartitionPosition { token: 9, key: Bytes::from_static(b"b") }, &p);
        assert_eq!((s.min_token, s.max_token, s.partition_count), (-3, 9, 2));
        assert_eq!(s.row_count, 2 * p.rows.len() as u64);
        assert!(s.tombstone_count > 0 && s.min_timestamp <= s.max_timestamp);
        assert!(s.min_local_deletion_time < NEVER_EXPIRES);
        let mut out = Vec::new();
        s.encode(&mut out);
        assert_eq!(Statistics::decode(&out).unwrap(), s);
        assert!(Statistics::decode(&out[1..]).is_err());
    }
}
