//! Replay at start-up. The segments found on disk belong to earlier runs (possibly with
//! another shard count); they are dealt out to the shards, each shard reads its segments
//! and re-applies their mutations through the normal write path (so each mutation lands
//! on its current owner and in that owner's new commitlog), and then deletes them. A crash
//! during replay leaves the old segments in place; replaying twice is harmless because
//! applying a mutation is idempotent.
//!
//! A torn or corrupt entry ends its segment's replay with a log line: nothing after it is
//! trusted, and nothing torn is applied.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use glommio::io::{DmaFile, OpenOptions};

use super::entry::{read_entry, segment_tag, EntryFormat, EntryRead};
use super::segment::{is_recycled_file_name, SegmentName, HEADER_BYTES};

/// Bytes read per DMA read during replay.
const REPLAY_READ_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct FoundSegment {
    pub name: SegmentName,
    pub path: PathBuf,
}

/// The segments in `dir`, oldest first (start-up only: runs before the executors).
pub fn list_segments(dir: &Path) -> std::io::Result<Vec<FoundSegment>> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str().and_then(SegmentName::parse) {
            found.push(FoundSegment { name, path: entry.path() });
        }
    }
    found.sort_by_key(|s| s.name);
    Ok(found)
}

/// Deletes free segment files an earlier run kept for reuse (start-up only).
pub fn remove_recycled(dir: &Path) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_str().is_some_and(is_recycled_file_name) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// What one segment held.
#[derive(Debug, Default)]
pub struct SegmentContents {
    pub entries: Vec<Bytes>,
    /// The file was made ready for this segment but never written (see `reserve`).
    pub unwritten: bool,
    /// Why replay of this segment stopped early, if it did.
    pub stopped_early: Option<String>,
}

pub async fn read_segment(segment: &FoundSegment) -> std::io::Result<SegmentContents> {
    let file: DmaFile = OpenOptions::new().read(true).write(true).dma_open(&segment.path).await?;
    let size = file.file_size().await?;
    let mut data = Vec::with_capacity(size as usize);
    let mut pos = 0u64;
    while pos < size {
        let chunk = file.read_at(pos, REPLAY_READ_BYTES.min((size - pos) as usize)).await?;
        if chunk.is_empty() {
            break;
        }
        data.extend_from_slice(&chunk);
        pos += chunk.len() as u64;
    }
    file.close().await?;
    Ok(parse_segment(&segment.name, &data))
}

pub fn parse_segment(name: &SegmentName, data: &[u8]) -> SegmentContents {
    let mut contents = SegmentContents::default();
    if name.is_unwritten(data) {
        contents.unwritten = true;
        return contents;
    }
    let format = match name.check_header(data) {
        Ok(1) => EntryFormat::V1,
        Ok(_) => EntryFormat::V2 { tag: segment_tag(name.number) },
        Err(reason) => {
            contents.stopped_early = Some(reason.to_string());
            return contents;
        }
    };
    let mut at = HEADER_BYTES;
    loop {
        match read_entry(data, at, format) {
            EntryRead::Entry { payload, next } => {
                contents.entries.push(Bytes::copy_from_slice(payload));
                at = next;
            }
            EntryRead::End => break,
            EntryRead::Corrupt { reason } => {
                contents.stopped_early = Some(format!("{reason} at offset {at}"));
                break;
            }
        }
    }
    contents
}

#[cfg(test)]
mod tests {
    use super::super::entry::frame;
    use super::*;

    #[test]
    fn parses_entries_and_stops_at_a_torn_tail() {
        let name = SegmentName { generation: 1, shard: 0, number: 0 };
        let tag = segment_tag(name.number);
        let mut data = name.header().to_vec();
        frame(b"first", tag, &mut data);
        frame(b"second", tag, &mut data);
        let intact = data.len();
        frame(b"third", tag, &mut data);
        data.truncate(data.len() - 2);
        data.resize(8192, 0);
        let c = parse_segment(&name, &data);
        assert_eq!(c.entries, vec![Bytes::from_static(b"first"), Bytes::from_static(b"second")]);
        assert!(c.stopped_early.unwrap().contains(&format!("offset {intact}")));
    }

    #[test]
    fn a_reserve_file_never_written_is_empty() {
        let name = SegmentName { generation: 2, shard: 0, number: 5 };
        let c = parse_segment(&name, &[0u8; 8192]);
        assert!(c.unwritten && c.entries.is_empty() && c.stopped_early.is_none());
        let older = SegmentName { generation: 1, shard: 0, number: 3 };
        let mut reused = older.header().to_vec();
        frame(b"stale", segment_tag(older.number), &mut reused);
        let c = parse_segment(&name, &reused);
        assert!(c.unwritten && c.entries.is_empty());
    }

    #[test]
    fn a_foreign_file_is_not_replayed() {
        let name = SegmentName { generation: 1, shard: 0, number: 0 };
        let c = parse_segment(&name, &[0xabu8; 4096]);
        assert!(c.entries.is_empty() && c.stopped_early.is_some() && !c.unwritten);
    }
}
