//! Truncation records: for each truncated table, the last commitlog segment of every
//! shard that may still hold its pre-TRUNCATE mutations. Replay skips the table's
//! mutations in those segments (and earlier ones), so truncated data never comes back.
//! Saved as `<data>/truncated.json` (temporary file, fdatasync, rename, directory fsync);
//! loaded once at start-up.

use std::collections::BTreeMap;
use std::path::Path;

use futures::AsyncWriteExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::commitlog::segment::SegmentName;

const FILE_NAME: &str = "truncated.json";
const TMP_FILE_NAME: &str = "truncated.json.tmp";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TruncationRecord {
    /// Table id → for each shard, where its entries after the latest TRUNCATE begin
    /// (generation, shard, first segment number).
    tables: BTreeMap<Uuid, Vec<(u64, u32, u64)>>,
}

impl TruncationRecord {
    /// Start-up only (before the executors run).
    pub fn load(data_dir: &Path) -> std::io::Result<TruncationRecord> {
        // Main thread, before the executors start: blocking I/O is fine here.
        match std::fs::read_to_string(data_dir.join(FILE_NAME)) {
            Ok(text) => serde_json::from_str(&text).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TruncationRecord::default()),
            Err(e) => Err(e),
        }
    }

    pub fn record(&mut self, table: Uuid, sealed: Vec<SegmentName>) {
        self.tables.insert(table, sealed.into_iter().map(|s| (s.generation, s.shard, s.number)).collect());
    }

    /// Whether a mutation of `table` logged in `segment` predates the table's truncation.
    pub fn skips(&self, table: &Uuid, segment: &SegmentName) -> bool {
        self.tables.get(table).is_some_and(|sealed| {
            sealed.iter().any(|&(generation, shard, number)| {
                segment.generation < generation
                    || (segment.generation == generation && segment.shard == shard && segment.number < number)
            })
        })
    }

    pub async fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        let tmp = data_dir.join(TMP_FILE_NAME);
        let file = glommio::io::DmaFile::create(&tmp).await?;
        let mut writer = glommio::io::DmaStreamWriterBuilder::new(file).build();
        writer.write_all(&bytes).await?;
        writer.sync().await?;
        writer.close().await?;
        // DmaStreamWriter trims the file to its length at close: make that durable too.
        let reopened = glommio::io::OpenOptions::new().read(true).write(true).dma_open(&tmp).await?;
        reopened.fdatasync().await?;
        reopened.close().await?;
        glommio::io::rename(&tmp, data_dir.join(FILE_NAME)).await?;
        glommio::io::Directory::open(data_dir).await?.sync().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_segments_up_to_the_sealed_ones() {
        let t = Uuid::new_v4();
        let mut r = TruncationRecord::default();
        r.record(
            t,
            vec![
                SegmentName { generation: 3, shard: 0, number: 5 },
                SegmentName { generation: 3, shard: 1, number: 2 },
            ],
        );
        let seg = |generation, shard, number| SegmentName { generation, shard, number };
        assert!(r.skips(&t, &seg(2, 4, 99)));
        assert!(r.skips(&t, &seg(3, 0, 4)));
        assert!(!r.skips(&t, &seg(3, 0, 5)));
        assert!(r.skips(&t, &seg(3, 1, 1)));
        assert!(!r.skips(&t, &seg(3, 1, 2)));
        assert!(!r.skips(&t, &seg(3, 2, 0)), "another shard's segments are its own business");
        assert!(!r.skips(&t, &seg(4, 0, 0)));
        assert!(!r.skips(&Uuid::new_v4(), &seg(1, 0, 0)));
    }
}
