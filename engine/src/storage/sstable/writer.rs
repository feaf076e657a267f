//! Writing one SSTable generation from partitions fed in (token, key) order.
//!
//! 1. `Data.db.tmp` and `Index.db.tmp` are streamed: each partition is encoded
//!    (`row_codec`), appended to the current 16 KiB block, full blocks are framed
//!    (`block`) and written; a partition's index entry is emitted once the block it starts
//!    in has been written (its offset and frame length are then known), and index pages
//!    close every [`SUMMARY_INTERVAL_ENTRIES`](super::format::SUMMARY_INTERVAL_ENTRIES) entries, each adding a summary entry.
//! 2. [`SstableWriter::finish`]: the last block and page are written, Data and Index are
//!    committed (fdatasync, close, fdatasync of the size, rename), then Summary, Filter and
//!    Statistics the same way, then the directory is fsynced, then `TOC.txt` is written
//!    the same way and the directory fsynced again. The TOC's presence is the commit
//!    point: an SSTable without it is incomplete and removed at start-up.
//!
//! After any error the writer must be dropped or [`SstableWriter::abort`]ed; leftovers
//! (temporary files, components without a TOC) are removed at start-up.

use std::path::{Path, PathBuf};

use crate::model::mutation::PartitionPosition;
use crate::storage::partition::Partition;

use super::block::encode_block;
use super::bloom::BloomFilter;
use super::component_file::{sync_dir, write_component, ComponentWriter};
use super::error::SstableError;
use super::format::{put_file_header, toc_text, Component, Compression, Generation, DATA_BLOCK_BYTES};
use super::index::{IndexEntry, IndexPageBuilder};
use super::row_codec::encode_partition_entry;
use super::statistics::Statistics;
use super::summary::{Summary, SummaryEntry};

/// How to write an SSTable (from the table's options and the memtable being flushed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SstableWriterOptions {
    pub compression: Compression,
    /// The table's `bloom_filter_fp_chance`; 1.0 disables the filter.
    pub bloom_filter_fp_chance: f64,
    /// Sizes the bloom filter; more partitions only raise its false-positive rate.
    pub expected_partitions: usize,
    /// The leveled-compaction level recorded in the statistics (0 for flushes).
    pub level: u32,
}

pub struct SstableWriter {
    dir: PathBuf,
    generation: Generation,
    compression: Compression,
    data: ComponentWriter,
    index: ComponentWriter,
    /// Uncompressed bytes of the data block being filled.
    block: Vec<u8>,
    /// Partitions starting in `block`, with their offset in it.
    block_starts: Vec<(PartitionPosition, u32)>,
    page: IndexPageBuilder,
    summary: Summary,
    filter: BloomFilter,
    statistics: Statistics,
    last: Option<PartitionPosition>,
    scratch: Vec<u8>,
}

impl SstableWriter {
    /// Starts generation `generation` in `dir` (which must exist).
    pub async fn create(
        dir: &Path,
        generation: Generation,
        options: SstableWriterOptions,
    ) -> Result<SstableWriter, SstableError> {
        let mut data = ComponentWriter::create(dir, generation, Component::Data).await?;
        let mut index = match ComponentWriter::create(dir, generation, Component::Index).await {
            Ok(index) => index,
            Err(e) => {
                data.abandon().await;
                return Err(e);
            }
        };
        let mut header = Vec::new();
        put_file_header(&mut header, Component::Data);
        data.write(&header).await?;
        header.clear();
        put_file_header(&mut header, Component::Index);
        index.write(&header).await?;
        Ok(SstableWriter {
            dir: dir.to_path_buf(),
            generation,
            compression: options.compression,
            data,
            index,
            block: Vec::with_capacity(DATA_BLOCK_BYTES),
            block_starts: Vec::new(),
            page: IndexPageBuilder::default(),
            summary: Summary::default(),
            filter: BloomFilter::with_capacity(options.expected_partitions, options.bloom_filter_fp_chance),
            statistics: Statistics { level: options.level, ..Statistics::default() },
            last: None,
            scratch: Vec::new(),
        })
    }

    /// Bytes of `Data.db` written so far (not counting the block being filled).
    pub fn data_bytes(&self) -> u64 {
        self.data.position()
    }

    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// Partitions appended so far.
    pub fn partition_count(&self) -> u64 {
        self.statistics.partition_count
    }

    /// Appends a partition; positions must strictly increase.
    pub async fn write_partition(
        &mut self,
        position: &PartitionPosition,
        partition: &Partition,
    ) -> Result<(), SstableError> {
        if let Some(last) = &self.last {
            if last >= position {
                return Err(SstableError::OutOfOrder { previous: last.clone(), next: position.clone() });
            }
        }
        let mut entry = std::mem::take(&mut self.scratch);
        entry.clear();
        encode_partition_entry(position, partition, &mut entry)?;
        self.filter.insert(&position.key);
        self.statistics.add_partition(position, partition);
        debug_assert!(self.block.len() < DATA_BLOCK_BYTES);
        self.block_starts.push((position.clone(), self.block.len() as u32));
        let mut rest = &entry[..];
        while !rest.is_empty() {
            let n = rest.len().min(DATA_BLOCK_BYTES - self.block.len());
            self.block.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            if self.block.len() == DATA_BLOCK_BYTES {
                self.flush_block().await?;
            }
        }
        self.scratch = entry;
        self.last = Some(position.clone());
        Ok(())
    }

    /// Writes the current block and the index entries of the partitions starting in it.
    async fn flush_block(&mut self) -> Result<(), SstableError> {
        let mut frame = Vec::with_capacity(self.block.len() + 16);
        let frame_len = encode_block(&self.block, self.compression, &mut frame) as u32;
        let block_offset = self.data.position();
        self.data.write(&frame).await?;
        self.block.clear();
        for (position, offset_in_block) in std::mem::take(&mut self.block_starts) {
            self.page.push(&IndexEntry { position, block_offset, block_frame_len: frame_len, offset_in_block });
            if self.page.is_full() {
                self.flush_page().await?;
            }
        }
        Ok(())
    }

    /// Writes the current index page and records it in the summary.
    async fn flush_page(&mut self) -> Result<(), SstableError> {
        let Some((payload, first)) = self.page.take() else {
            return Ok(());
        };
        let mut frame = Vec::with_capacity(payload.len() + 16);
        let page_frame_len = encode_block(&payload, self.compression, &mut frame) as u32;
        let page_offset = self.index.position();
        self.index.write(&frame).await?;
        self.summary.push(SummaryEntry { first, page_offset, page_frame_len });
        Ok(())
    }

    /// Completes the SSTable durably (see the module docs) and returns its statistics.
    pub async fn finish(mut self) -> Result<Statistics, SstableError> {
        if !self.block.is_empty() {
            self.flush_block().await?;
        }
        self.flush_page().await?;
        self.statistics.data_size_bytes = self.data.position();
        self.statistics.index_size_bytes = self.index.position();
        self.data.commit().await?;
        self.index.commit().await?;
        let (dir, generation) = (&self.dir, self.generation);

        let mut payload = Vec::new();
        self.summary.encode(&mut payload);
        write_framed(dir, generation, Component::Summary, &payload, self.compression).await?;
        payload.clear();
        self.filter.encode(&mut payload);
        write_framed(dir, generation, Component::Filter, &payload, Compression::None).await?;
        payload.clear();
        self.statistics.encode(&mut payload);
        write_framed(dir, generation, Component::Statistics, &payload, Compression::None).await?;
        sync_dir(dir).await?;

        write_component(dir, generation, Component::Toc, toc_text().as_bytes()).await?;
        sync_dir(dir).await?;
        Ok(self.statistics)
    }

    /// Gives up: closes and removes the temporary files.
    pub async fn abort(self) {
        self.data.abandon().await;
        self.index.abandon().await;
    }
}

/// `header ‖ one block frame` as a whole component.
async fn write_framed(
    dir: &Path,
    generation: Generation,
    component: Component,
    payload: &[u8],
    compression: Compression,
) -> Result<(), SstableError> {
    let mut bytes = Vec::with_capacity(payload.len() + 32);
    put_file_header(&mut bytes, component);
    encode_block(payload, compression, &mut bytes);
    write_component(dir, generation, component, &bytes).await
}
