//! Writers waiting for memtable memory. A write that finds the shard's memtables over
//! budget parks here until a flush (or a truncation, or a dropped table) frees memory, or
//! its bounded wait ends; nobody polls. Single-threaded (the shard's executor): the waiters
//! are oneshot senders, at most one per write in flight.

use std::cell::RefCell;

use futures::channel::oneshot;

#[derive(Default)]
pub struct MemtableRoom {
    waiters: RefCell<Vec<oneshot::Sender<()>>>,
}

impl MemtableRoom {
    /// Resolves at the next [`MemtableRoom::freed`] (register before checking again).
    pub fn next_release(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let mut waiters = self.waiters.borrow_mut();
        // Waiters that gave up (timed out) are forgotten here, so the list stays bounded
        // by the writes in flight.
        waiters.retain(|w| !w.is_canceled());
        waiters.push(tx);
        rx
    }

    /// Memory was freed: every waiting writer checks again.
    pub fn freed(&self) {
        for waiter in self.waiters.borrow_mut().drain(..) {
            let _ = waiter.send(());
        }
    }
}
