//! What a shard's compactions are doing and have done, for `nodetool compactionstats` and
//! `compactionhistory`: the compactions running now (with their progress, published by the
//! executor as input bytes merged) and a bounded history of finished ones
//! ([`COMPACTION_HISTORY_PER_SHARD_MAX`], the oldest forgotten first). Lives in the shard's
//! [`super::Replica`] (`RefCell`s, no lock); read through typed calls.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use crate::limits::COMPACTION_HISTORY_PER_SHARD_MAX;

/// What kind of compaction runs, as Cassandra's `OperationType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CompactionKind {
    /// Picked by the table's strategy in the background.
    Background,
    /// `nodetool compact`.
    Major,
}

impl CompactionKind {
    pub fn name(self) -> &'static str {
        match self {
            CompactionKind::Background => "Compaction",
            CompactionKind::Major => "Major Compaction",
        }
    }
}

/// A compaction running on this shard (a `Send` snapshot of it: [`RunningCompaction`]).
struct Running {
    id: uuid::Uuid,
    kind: CompactionKind,
    keyspace: String,
    table: String,
    /// Input bytes, the job's total.
    total_bytes: u64,
    /// Input bytes merged so far, set by the executor.
    completed: Rc<Cell<u64>>,
}

/// A running compaction as `nodetool compactionstats` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunningCompaction {
    pub id: uuid::Uuid,
    pub kind: CompactionKind,
    pub keyspace: String,
    pub table: String,
    pub completed_bytes: u64,
    pub total_bytes: u64,
}

/// A finished compaction as `nodetool compactionhistory` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompactionRecord {
    pub id: uuid::Uuid,
    pub keyspace: String,
    pub table: String,
    /// Milliseconds since the epoch.
    pub compacted_at_ms: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// `(inputs, partitions)`: partitions merged from that many input SSTables.
    pub rows_merged: Vec<(usize, u64)>,
}

#[derive(Default)]
pub struct CompactionActivity {
    running: RefCell<Vec<Running>>,
    history: RefCell<VecDeque<CompactionRecord>>,
}

/// Removes its compaction from the running list when dropped (finished, failed or cancelled).
pub struct RunningGuard<'a> {
    activity: &'a CompactionActivity,
    pub id: uuid::Uuid,
    /// Where the executor publishes the input bytes merged so far.
    pub progress: Rc<Cell<u64>>,
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.activity.running.borrow_mut().retain(|r| r.id != self.id);
    }
}

impl CompactionActivity {
    /// Records a compaction as running until the returned guard is dropped.
    pub fn start(&self, kind: CompactionKind, keyspace: &str, table: &str, total_bytes: u64) -> RunningGuard<'_> {
        let id = uuid::Uuid::new_v4();
        let progress = Rc::new(Cell::new(0));
        self.running.borrow_mut().push(Running {
            id,
            kind,
            keyspace: keyspace.to_string(),
            table: table.to_string(),
            total_bytes,
            completed: progress.clone(),
        });
        RunningGuard { activity: self, id, progress }
    }

    pub fn running(&self) -> Vec<RunningCompaction> {
        self.running
            .borrow()
            .iter()
            .map(|r| RunningCompaction {
                id: r.id,
                kind: r.kind,
                keyspace: r.keyspace.clone(),
                table: r.table.clone(),
                completed_bytes: r.completed.get().min(r.total_bytes),
                total_bytes: r.total_bytes,
            })
            .collect()
    }

    /// Remembers a finished compaction, forgetting the oldest beyond the bound.
    pub fn finished(&self, record: CompactionRecord) {
        let mut history = self.history.borrow_mut();
        if history.len() >= COMPACTION_HISTORY_PER_SHARD_MAX {
            history.pop_front();
        }
        history.push_back(record);
    }

    /// The remembered compactions, oldest first.
    pub fn history(&self) -> Vec<CompactionRecord> {
        self.history.borrow().iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u64) -> CompactionRecord {
        CompactionRecord {
            id: uuid::Uuid::new_v4(),
            keyspace: "ks".into(),
            table: "t".into(),
            compacted_at_ms: n,
            bytes_in: n,
            bytes_out: n,
            rows_merged: vec![(1, n)],
        }
    }

    #[test]
    fn running_compactions_leave_with_their_guard() {
        let activity = CompactionActivity::default();
        let guard = activity.start(CompactionKind::Major, "ks", "t", 100);
        guard.progress.set(40);
        let running = activity.running();
        assert_eq!(running.len(), 1);
        assert_eq!((running[0].completed_bytes, running[0].total_bytes), (40, 100));
        assert_eq!(running[0].kind.name(), "Major Compaction");
        guard.progress.set(1000);
        assert_eq!(activity.running()[0].completed_bytes, 100, "never past the total");
        drop(guard);
        assert!(activity.running().is_empty());
    }

    #[test]
    fn the_history_is_bounded() {
        let activity = CompactionActivity::default();
        for n in 0..COMPACTION_HISTORY_PER_SHARD_MAX as u64 + 10 {
            activity.finished(record(n));
        }
        let history = activity.history();
        assert_eq!(history.len(), COMPACTION_HISTORY_PER_SHARD_MAX);
        assert_eq!(history[0].compacted_at_ms, 10, "the oldest were forgotten");
    }
}
