//! Per-partition serialization of read-modify-write operations on the owner shard
//! (counters, list index writes, lightweight transactions): one at a time per partition,
//! so a read and the write built from it are not interleaved with another's. Plain writes
//! do not take it. Single-threaded (the shard's executor), so this is a queue of waiters,
//! not a lock shared between threads; an entry lives only while someone holds or waits.

use std::cell::RefCell;
use std::rc::Rc;

use ahash::AHashMap;
use glommio::sync::Semaphore;

use crate::model::mutation::PartitionPosition;

type Key = (uuid::Uuid, PartitionPosition);

#[derive(Default)]
pub struct PartitionLocks {
    locks: RefCell<AHashMap<Key, Rc<Semaphore>>>,
}

/// Held while a read-modify-write runs; releases (and forgets an idle entry) on drop.
pub struct PartitionGuard<'a> {
    locks: &'a PartitionLocks,
    key: Key,
    semaphore: Rc<Semaphore>,
}

impl PartitionLocks {
    pub async fn lock(&self, table: uuid::Uuid, position: &PartitionPosition) -> PartitionGuard<'_> {
        let key = (table, position.clone());
        let semaphore =
            self.locks.borrow_mut().entry(key.clone()).or_insert_with(|| Rc::new(Semaphore::new(1))).clone();
        let acquired = semaphore.acquire(1).await;
        debug_assert!(acquired.is_ok(), "partition semaphores are never closed");
        PartitionGuard { locks: self, key, semaphore }
    }

    /// Partitions locked or waited for (for tests and metrics).
    pub fn len(&self) -> usize {
        self.locks.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for PartitionGuard<'_> {
    fn drop(&mut self) {
        self.semaphore.signal(1);
        // The map's reference and ours: nobody else holds or waits for it.
        if Rc::strong_count(&self.semaphore) == 2 {
            self.locks.locks.borrow_mut().remove(&self.key);
        }
    }
}
