//! Prepared statements of one shard, by id. Ids are a hash of keyspace and query text, so
//! every shard computes the same id and a PREPARE is installed on all shards. The cache is
//! bounded; the least recently used statement is evicted (the driver re-prepares it after
//! an `Unprepared` error). The whole cache is dropped on schema change, so no statement
//! outlives the schema it was analysed against.

use std::cell::Cell;
use std::rc::Rc;

use ahash::AHashMap;

use crate::limits::PREPARED_STATEMENTS_MAX;
use crate::model::token::murmur3_x64_128;

use super::statement::PreparedStatement;

pub type PreparedId = [u8; 16];

pub fn prepared_id(keyspace: Option<&str>, query: &str) -> PreparedId {
    let mut text = keyspace.unwrap_or("").as_bytes().to_vec();
    text.push(0);
    text.extend_from_slice(query.as_bytes());
    let (h1, h2) = murmur3_x64_128(&text, 0);
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&h1.to_be_bytes());
    id[8..].copy_from_slice(&h2.to_be_bytes());
    id
}

struct Entry {
    statement: Rc<PreparedStatement>,
    last_used: Cell<u64>,
}

#[derive(Default)]
pub struct PreparedCache {
    entries: AHashMap<PreparedId, Entry>,
    clock: Cell<u64>,
}

impl PreparedCache {
    pub fn get(&self, id: &[u8]) -> Option<Rc<PreparedStatement>> {
        let id: &PreparedId = id.try_into().ok()?;
        let entry = self.entries.get(id)?;
        self.clock.set(self.clock.get() + 1);
        entry.last_used.set(self.clock.get());
        Some(entry.statement.clone())
    }

    pub fn insert(&mut self, id: PreparedId, statement: Rc<PreparedStatement>) {
        if self.entries.len() >= PREPARED_STATEMENTS_MAX && !self.entries.contains_key(&id) {
            if let Some(oldest) = self.entries.iter().min_by_key(|(_, e)| e.last_used.get()).map(|(k, _)| *k) {
                self.entries.remove(&oldest);
            }
        }
        self.clock.set(self.clock.get() + 1);
        self.entries.insert(id, Entry { statement, last_used: Cell::new(self.clock.get()) });
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
