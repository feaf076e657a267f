//! Group 0's raft log, durable on the node: an append-only file of [`WalRecord`]s
//! (`<data>/group0/log`) mirrored by an in-memory map of the live entries. Every change
//! — appended entries, a vote, a truncation, a purge — is one record, written and
//! fdatasync'ed through glommio (io_uring) before the call returns (for appends: before
//! raft's flush callback fires). When purges have left the file mostly dead, it is
//! rewritten with only what is live (temporary file, fdatasync, rename, directory sync).
//! The log is tiny (schema and topology changes) so the whole of it lives in memory.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::RangeBounds;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use glommio::io::{BufferedFile, OpenOptions};
use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{LogState, RaftLogId, RaftLogReader, StorageIOError, Vote};

use super::types::{Group0Entry, Group0LogId, Group0StorageError, Group0Types, MemberId};
use super::wal::{self, WalRecord};

const LOG_FILE: &str = "log";
const LOG_TMP_FILE: &str = "log.tmp";
/// Records in the file beyond which a purge rewrites it with only the live ones.
const LOG_REWRITE_RECORDS: usize = 1024;

/// What the log holds, shared by the store and its readers (one executor: no locks).
#[derive(Debug, Default)]
struct LogMemory {
    vote: Option<Vote<MemberId>>,
    committed: Option<Group0LogId>,
    last_purged: Option<Group0LogId>,
    entries: BTreeMap<u64, Group0Entry>,
}

impl LogMemory {
    fn replay(&mut self, record: WalRecord) {
        match record {
            WalRecord::Vote(v) => self.vote = Some(v),
            WalRecord::Committed(c) => self.committed = c,
            WalRecord::Entries(entries) => {
                for e in entries {
                    self.entries.insert(e.log_id.index, e);
                }
            }
            WalRecord::TruncateFrom(index) => {
                self.entries.split_off(&index);
            }
            WalRecord::PurgeUpTo(log_id) => {
                self.entries = self.entries.split_off(&(log_id.index + 1));
                self.last_purged = Some(log_id);
            }
        }
    }

    /// The records that rebuild this memory (what a rewrite keeps).
    fn live_records(&self) -> Vec<WalRecord> {
        let mut out = Vec::new();
        out.extend(self.vote.map(WalRecord::Vote));
        out.push(WalRecord::Committed(self.committed));
        out.extend(self.last_purged.map(WalRecord::PurgeUpTo));
        if !self.entries.is_empty() {
            out.push(WalRecord::Entries(self.entries.values().cloned().collect()));
        }
        out
    }
}

/// Reads entries for replication (openraft keeps several).
#[derive(Clone)]
pub struct LogReader {
    memory: Rc<RefCell<LogMemory>>,
}

impl RaftLogReader<Group0Types> for LogReader {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Group0Entry>, Group0StorageError> {
        Ok(self.memory.borrow().entries.range(range).map(|(_, e)| e.clone()).collect())
    }
}

pub struct LogStore {
    directory: PathBuf,
    file: BufferedFile,
    file_length: u64,
    records_in_file: usize,
    memory: Rc<RefCell<LogMemory>>,
}

fn io_error(e: impl Into<std::io::Error>) -> Group0StorageError {
    StorageIOError::write_logs(&e.into()).into()
}

async fn open_append(path: &Path) -> std::io::Result<BufferedFile> {
    Ok(OpenOptions::new().read(true).write(true).create(true).buffered_open(path).await?)
}

impl LogStore {
    /// Opens (or creates) the log in `directory`, replaying what a previous run left.
    pub async fn open(directory: &Path) -> std::io::Result<LogStore> {
        let path = directory.join(LOG_FILE);
        let file = open_append(&path).await?;
        let size = file.file_size().await?;
        let bytes = if size == 0 { Vec::new() } else { file.read_at(0, size as usize).await?.to_vec() };
        let (records, good) = wal::decode_all(&bytes);
        if (good as u64) < size {
            tracing::warn!("group 0 log {}: cutting a torn tail of {} bytes", path.display(), size - good as u64);
            file.truncate(good as u64).await?;
            file.fdatasync().await?;
        }
        let mut memory = LogMemory::default();
        let records_in_file = records.len();
        for r in records {
            memory.replay(r);
        }
        Ok(LogStore {
            directory: directory.to_path_buf(),
            file,
            file_length: good as u64,
            records_in_file,
            memory: Rc::new(RefCell::new(memory)),
        })
    }

    /// Appends `records` durably, then applies them to memory.
    async fn write(&mut self, records: Vec<WalRecord>) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        for r in &records {
            wal::encode(r, &mut bytes).map_err(std::io::Error::other)?;
        }
        let length = bytes.len() as u64;
        let written = self.file.write_at(bytes, self.file_length).await?;
        assert_eq!(written as u64, length, "buffered writes are whole");
        self.file.fdatasync().await?;
        self.file_length += length;
        self.records_in_file += records.len();
        let mut memory = self.memory.borrow_mut();
        for r in records {
            memory.replay(r);
        }
        Ok(())
    }

    /// Replaces the file by one holding only the live records.
    async fn rewrite(&mut self) -> std::io::Result<()> {
        let records = self.memory.borrow().live_records();
        let mut bytes = Vec::new();
        for r in &records {
            wal::encode(r, &mut bytes).map_err(std::io::Error::other)?;
        }
        let tmp = self.directory.join(LOG_TMP_FILE);
        let file = BufferedFile::create(&tmp).await?;
        let length = bytes.len() as u64;
        file.write_at(bytes, 0).await?;
        file.fdatasync().await?;
        file.close().await?;
        glommio::io::rename(&tmp, self.directory.join(LOG_FILE)).await?;
        glommio::io::Directory::open(&self.directory).await?.sync().await?;
        self.file = open_append(&self.directory.join(LOG_FILE)).await?;
        self.file_length = length;
        self.records_in_file = records.len();
        Ok(())
    }
}

impl RaftLogReader<Group0Types> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Group0Entry>, Group0StorageError> {
        Ok(self.memory.borrow().entries.range(range).map(|(_, e)| e.clone()).collect())
    }
}

impl RaftLogStorage<Group0Types> for LogStore {
    type LogReader = LogReader;

    async fn get_log_state(&mut self) -> Result<LogState<Group0Types>, Group0StorageError> {
        let memory = self.memory.borrow();
        let last_log_id = memory.entries.values().next_back().map(|e| *e.get_log_id()).or(memory.last_purged);
        Ok(LogState { last_purged_log_id: memory.last_purged, last_log_id })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        LogReader { memory: self.memory.clone() }
    }

    async fn save_vote(&mut self, vote: &Vote<MemberId>) -> Result<(), Group0StorageError> {
        self.write(vec![WalRecord::Vote(*vote)]).await.map_err(|e| StorageIOError::write_vote(&e).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<MemberId>>, Group0StorageError> {
        Ok(self.memory.borrow().vote)
    }

    async fn save_committed(&mut self, committed: Option<Group0LogId>) -> Result<(), Group0StorageError> {
        self.write(vec![WalRecord::Committed(committed)]).await.map_err(io_error)
    }

    async fn read_committed(&mut self) -> Result<Option<Group0LogId>, Group0StorageError> {
        Ok(self.memory.borrow().committed)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<Group0Types>) -> Result<(), Group0StorageError>
    where
        I: IntoIterator<Item = Group0Entry>,
    {
        let entries: Vec<Group0Entry> = entries.into_iter().collect();
        if entries.is_empty() {
            callback.log_io_completed(Ok(()));
            return Ok(());
        }
        match self.write(vec![WalRecord::Entries(entries)]).await {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                let error = io_error(std::io::Error::new(e.kind(), e.to_string()));
                callback.log_io_completed(Err(e));
                Err(error)
            }
        }
    }

    async fn truncate(&mut self, log_id: Group0LogId) -> Result<(), Group0StorageError> {
        self.write(vec![WalRecord::TruncateFrom(log_id.index)]).await.map_err(io_error)
    }

    async fn purge(&mut self, log_id: Group0LogId) -> Result<(), Group0StorageError> {
        self.write(vec![WalRecord::PurgeUpTo(log_id)]).await.map_err(io_error)?;
        if self.records_in_file > LOG_REWRITE_RECORDS {
            self.rewrite().await.map_err(io_error)?;
        }
        Ok(())
    }
}
