//! Reading one complete SSTable generation. [`SstableReader::open`] refuses a generation
//! without a valid TOC, loads the summary, bloom filter and statistics into memory and
//! checks that Data and Index have the sizes the statistics recorded. A point read goes
//! token range → bloom filter → summary (the one index page that can hold the key) → one
//! DMA read of that page → the data block(s) the partition lives in, every frame
//! CRC-checked; the entry found must carry the position the index promised.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use glommio::io::DmaFile;

use crate::model::mutation::PartitionPosition;
use crate::storage::partition::Partition;

use super::block::{decode_block, max_frame_bytes};
use super::bloom::BloomFilter;
use super::component_file::{open_dma, read_exact_at, read_whole};
use super::error::SstableError;
use super::format::{
    check_file_header, component_path, Component, Generation, DATA_BLOCK_BYTES, FILE_HEADER_BYTES,
    MAX_FILTER_FILE_BYTES, MAX_INDEX_PAGE_BYTES, MAX_STATISTICS_FILE_BYTES, MAX_SUMMARY_FILE_BYTES, MAX_TOC_FILE_BYTES,
    SCAN_READ_BYTES,
};
use super::frame_reader::FrameReader;
use super::index::{decode_page, IndexEntry};
use super::partition_stream::PartitionStream;
use super::scanner::SstableScanner;
use super::statistics::Statistics;
use super::summary::{Summary, SummaryEntry};

pub struct SstableReader {
    dir: PathBuf,
    generation: Generation,
    data: Rc<DmaFile>,
    data_path: PathBuf,
    index: DmaFile,
    index_path: PathBuf,
    summary: Summary,
    filter: BloomFilter,
    statistics: Statistics,
}

impl SstableReader {
    pub async fn open(dir: &Path, generation: Generation) -> Result<SstableReader, SstableError> {
        check_toc(dir, generation).await?;
        let statistics =
            Statistics::decode(&read_framed(dir, generation, Component::Statistics, MAX_STATISTICS_FILE_BYTES).await?)
                .map_err(|e| SstableError::decode(&component_path(dir, generation, Component::Statistics), 0, e))?;
        let filter_path = component_path(dir, generation, Component::Filter);
        let filter =
            BloomFilter::decode(&read_framed(dir, generation, Component::Filter, MAX_FILTER_FILE_BYTES).await?)
                .map_err(|e| SstableError::decode(&filter_path, 0, e))?;
        let summary_path = component_path(dir, generation, Component::Summary);
        let summary = Summary::decode(
            &read_framed(dir, generation, Component::Summary, MAX_SUMMARY_FILE_BYTES).await?,
            statistics.index_size_bytes,
        )
        .map_err(|e| SstableError::decode(&summary_path, 0, e))?;

        let data_path = component_path(dir, generation, Component::Data);
        let data = open_checked(&data_path, Component::Data, statistics.data_size_bytes).await?;
        let index_path = component_path(dir, generation, Component::Index);
        let index = match open_checked(&index_path, Component::Index, statistics.index_size_bytes).await {
            Ok(index) => index,
            Err(e) => {
                let _ = data.close().await;
                return Err(e);
            }
        };
        Ok(SstableReader {
            dir: dir.to_path_buf(),
            generation,
            data: Rc::new(data),
            data_path,
            index,
            index_path,
            summary,
            filter,
            statistics,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn generation(&self) -> Generation {
        self.generation
    }

    pub fn statistics(&self) -> &Statistics {
        &self.statistics
    }

    /// Bytes the bloom filter holds in memory.
    pub fn filter_size_bytes(&self) -> u64 {
        self.filter.num_bits().div_ceil(8)
    }

    /// False means the SSTable certainly has no partition with this key.
    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.filter.may_contain(key)
    }

    /// The partition at `position`, if this SSTable has it.
    pub async fn read_partition(&self, position: &PartitionPosition) -> Result<Option<Partition>, SstableError> {
        let s = &self.statistics;
        if s.partition_count == 0 || position.token < s.min_token || position.token > s.max_token {
            return Ok(None);
        }
        if !self.filter.may_contain(&position.key) {
            return Ok(None);
        }
        let Some(page) = self.summary.page_for(position) else {
            return Ok(None);
        };
        let entries = self.read_index_page(page).await?;
        let Ok(i) = entries.binary_search_by(|e| e.position.cmp(position)) else {
            return Ok(None);
        };
        let entry = &entries[i];
        let mut stream = self.stream_at(entry, max_frame_bytes(DATA_BLOCK_BYTES)).await?;
        match stream.next_partition().await? {
            Some((found, partition)) if found == *position => Ok(Some(partition)),
            found => Err(SstableError::corrupt(
                &self.data_path,
                entry.block_offset,
                format!("index entry for {position:?} leads to {:?}", found.map(|(p, _)| p)),
            )),
        }
    }

    /// The partitions at or after `start`, in order: the summary and one index page find
    /// where to begin, so resuming a scan does not re-read the file from its start.
    pub async fn scan_from(&self, start: &PartitionPosition) -> Result<SstableScanner, SstableError> {
        let pages = self.summary.entries();
        let Some(first_page) = pages.partition_point(|e| e.first <= *start).checked_sub(1) else {
            return Ok(self.scan());
        };
        for page in &pages[first_page..] {
            let entries = self.read_index_page(page).await?;
            let i = entries.partition_point(|e| e.position < *start);
            let Some(entry) = entries.get(i) else { continue };
            let stream = self.stream_at(entry, SCAN_READ_BYTES).await?;
            return Ok(SstableScanner::resumed(stream, self.data_path.clone()));
        }
        Ok(SstableScanner::finished(self.data_path.clone()))
    }

    /// A partition stream positioned at an index entry's partition; later reads fetch
    /// `read_ahead_bytes` (one block for point reads, more for scans).
    async fn stream_at(&self, entry: &IndexEntry, read_ahead_bytes: usize) -> Result<PartitionStream, SstableError> {
        let frames = FrameReader::new(
            self.data.clone(),
            &self.data_path,
            entry.block_offset,
            self.statistics.data_size_bytes,
            entry.block_frame_len as usize,
            read_ahead_bytes,
            DATA_BLOCK_BYTES,
        );
        let mut stream = PartitionStream::new(frames);
        stream.seek_in_first_block(entry.offset_in_block as usize).await?;
        Ok(stream)
    }

    /// One index page, read exactly where the summary says and checked.
    async fn read_index_page(&self, page: &SummaryEntry) -> Result<Vec<IndexEntry>, SstableError> {
        let frame =
            read_exact_at(&self.index, &self.index_path, page.page_offset, page.page_frame_len as usize).await?;
        let corrupt = |e| SstableError::decode(&self.index_path, page.page_offset, e);
        let (payload, len) = decode_block(&frame, MAX_INDEX_PAGE_BYTES).map_err(corrupt)?;
        if len != frame.len() {
            return Err(SstableError::corrupt(
                &self.index_path,
                page.page_offset,
                "index page shorter than the summary says",
            ));
        }
        decode_page(&payload).map_err(corrupt)
    }

    /// Every partition in order, streamed from Data.db.
    pub fn scan(&self) -> SstableScanner {
        let frames = FrameReader::new(
            self.data.clone(),
            &self.data_path,
            FILE_HEADER_BYTES as u64,
            self.statistics.data_size_bytes,
            SCAN_READ_BYTES,
            SCAN_READ_BYTES,
            DATA_BLOCK_BYTES,
        );
        SstableScanner::new(PartitionStream::new(frames), self.data_path.clone(), self.statistics.partition_count)
    }

    /// Closes the files (scanners still holding Data.db keep it open until dropped).
    pub async fn close(self) {
        let _ = self.index.close().await;
        if let Ok(data) = Rc::try_unwrap(self.data) {
            let _ = data.close().await;
        }
    }
}

/// Refuses a generation whose TOC is missing or does not list every component.
async fn check_toc(dir: &Path, generation: Generation) -> Result<(), SstableError> {
    let path = component_path(dir, generation, Component::Toc);
    let text = match read_whole(&path, MAX_TOC_FILE_BYTES).await {
        Ok(t) => t,
        Err(SstableError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(SstableError::Incomplete { dir: dir.to_path_buf(), generation });
        }
        Err(e) => return Err(e),
    };
    let text = String::from_utf8_lossy(&text);
    let listed: Vec<Option<Component>> = text.lines().map(Component::from_name).collect();
    let complete = Component::ALL.iter().all(|c| listed.contains(&Some(*c)));
    if !complete || listed.contains(&None) {
        return Err(SstableError::corrupt(
            &path,
            0,
            format!("TOC does not list the components of this format: {text:?}"),
        ));
    }
    Ok(())
}

/// `header ‖ one block frame` components: the frame's payload.
async fn read_framed(
    dir: &Path,
    generation: Generation,
    component: Component,
    max_len: u64,
) -> Result<Vec<u8>, SstableError> {
    let path = component_path(dir, generation, component);
    let bytes = read_whole(&path, max_len).await?;
    check_file_header(&bytes, component).map_err(|e| SstableError::decode(&path, 0, e))?;
    let frame = &bytes[FILE_HEADER_BYTES..];
    let (payload, len) =
        decode_block(frame, max_len as usize).map_err(|e| SstableError::decode(&path, FILE_HEADER_BYTES as u64, e))?;
    if len != frame.len() {
        return Err(SstableError::corrupt(
            &path,
            (FILE_HEADER_BYTES + len) as u64,
            "trailing bytes after the last frame",
        ));
    }
    Ok(payload)
}

/// Opens a streamed component, checks its header and its recorded size.
async fn open_checked(path: &Path, component: Component, size_bytes: u64) -> Result<DmaFile, SstableError> {
    let file = open_dma(path).await?;
    let checked = async {
        let actual = file.file_size().await.map_err(SstableError::io("stat", path))?;
        if actual != size_bytes {
            return Err(SstableError::corrupt(
                path,
                actual.min(size_bytes),
                format!("file is {actual} bytes, the SSTable's statistics say {size_bytes} (truncated or damaged)"),
            ));
        }
        let header = read_exact_at(&file, path, 0, FILE_HEADER_BYTES).await?;
        check_file_header(&header, component).map_err(|e| SstableError::decode(path, 0, e))
    }
    .await;
    match checked {
        Ok(()) => Ok(file),
        Err(e) => {
            let _ = file.close().await;
            Err(e)
        }
    }
}
