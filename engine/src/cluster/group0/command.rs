//! What group 0's log carries. Every command names the state it was computed from
//! (`prev_state_id`) and the state it makes (`new_state_id`), as ScyllaDB's group 0 does:
//! the state machine applies a command only when its state is still `prev_state_id`, so
//! a retried command applies once and of two concurrent changes computed from the same
//! state exactly one wins; the loser is told the current state and recomputes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::state::NodeRecord;

/// A SCHEMA_CHANGE event, as every node tells its clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaEvent {
    /// `CREATED`, `UPDATED` or `DROPPED`.
    pub change: String,
    /// `KEYSPACE`, `TABLE`, `TYPE`, `FUNCTION` or `AGGREGATE`.
    pub target: String,
    pub keyspace: String,
    pub name: Option<String>,
    pub arg_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// The keyspaces the change made or altered, each as the CQL statements that rebuild it
    /// whole (the schema file's format), the keyspaces it dropped, and the event clients are
    /// told. Only what changed travels: an entry's size is bounded by a keyspace's schema,
    /// not the whole schema's.
    Schema { keyspaces: BTreeMap<String, Vec<String>>, dropped: Vec<String>, event: Option<SchemaEvent> },
    /// A node becomes (or stays, with new details) a member of the ring.
    UpsertNode(NodeRecord),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group0Command {
    pub prev_state_id: Uuid,
    pub new_state_id: Uuid,
    pub change: Change,
}

impl Group0Command {
    /// A command computed from the state `prev_state_id`, making a fresh state id.
    pub fn new(prev_state_id: Uuid, change: Change) -> Self {
        Group0Command { prev_state_id, new_state_id: Uuid::new_v4(), change }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Group0Response {
    /// The change is applied; the state is now `state_id`.
    Applied { state_id: Uuid },
    /// The state moved on since the command was computed (it is now `current`): nothing
    /// was applied; recompute from `current` and propose again.
    Conflict { current: Uuid },
    /// The command can never apply (e.g. tokens another node owns).
    Rejected { reason: String },
}
