//! The state group 0 replicates: the user schema (as the statements that rebuild it), the
//! ring's members with their tokens and placement, and the id of the state itself (the
//! `schema_version` every node reports). Applying a command is pure and deterministic:
//! every node applies the same log to the same state.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::command::{Change, Group0Command, Group0Response};

/// Where a member is in its life on the ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeStatus {
    /// Owns its tokens; clients see it in `system.peers`.
    Normal,
    /// Gone for good (kept so its host id is never reused).
    Left,
}

/// One member of the ring, as every node knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    pub host_id: Uuid,
    /// Internode address (`broadcast_address`): `system.peers.peer`.
    pub address: IpAddr,
    /// The CQL address clients are told (`broadcast_rpc_address`).
    pub rpc_address: IpAddr,
    pub data_center: String,
    pub rack: String,
    /// Murmur3 tokens, sorted, unique on the ring.
    pub tokens: Vec<i64>,
    pub nr_shards: u32,
    pub release_version: String,
    pub status: NodeStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group0State {
    /// Changes with every applied command; nil before the first.
    pub state_id: Uuid,
    /// The user schema: each keyspace as the statements that rebuild it (see
    /// `schema::persist`).
    pub schema: BTreeMap<String, Vec<String>>,
    pub nodes: BTreeMap<Uuid, NodeRecord>,
    /// Counts the ring's changes (the token metadata's version).
    pub ring_version: u64,
}

/// What applying a command changed (for the node to act on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppliedEffects {
    pub schema_changed: bool,
    /// The events of the schema changes applied, in log order.
    pub events: Vec<super::command::SchemaEvent>,
    /// Members whose record changed (joined, moved, left).
    pub nodes_changed: Vec<Uuid>,
}

impl Group0State {
    /// Applies `command` when the state is still the one it was computed from.
    pub fn apply(&mut self, command: &Group0Command) -> (Group0Response, AppliedEffects) {
        if command.prev_state_id != self.state_id {
            // A retry of the command that made this state is success, not a conflict.
            if command.new_state_id == self.state_id {
                return (Group0Response::Applied { state_id: self.state_id }, AppliedEffects::default());
            }
            return (Group0Response::Conflict { current: self.state_id }, AppliedEffects::default());
        }
        let mut effects = AppliedEffects::default();
        match &command.change {
            Change::Schema { keyspaces, dropped, event } => {
                for name in dropped {
                    self.schema.remove(name);
                }
                self.schema.extend(keyspaces.iter().map(|(k, v)| (k.clone(), v.clone())));
                effects.schema_changed = true;
                effects.events.extend(event.clone());
            }
            Change::UpsertNode(record) => {
                if let Some(reason) = self.token_clash(record) {
                    return (Group0Response::Rejected { reason }, effects);
                }
                let mut record = record.clone();
                record.tokens.sort_unstable();
                self.nodes.insert(record.host_id, record);
                self.ring_version += 1;
                effects.nodes_changed.push(command_host(command));
            }
        }
        self.state_id = command.new_state_id;
        (Group0Response::Applied { state_id: self.state_id }, effects)
    }

    /// Why `record` cannot join: a token another live member owns, or no tokens.
    fn token_clash(&self, record: &NodeRecord) -> Option<String> {
        if record.status == NodeStatus::Normal && record.tokens.is_empty() {
            return Some(format!("node {} has no tokens", record.host_id));
        }
        let owner = |token: &i64| {
            self.nodes.values().find(|n| {
                n.host_id != record.host_id && n.status == NodeStatus::Normal && n.tokens.binary_search(token).is_ok()
            })
        };
        record.tokens.iter().find_map(|t| owner(t).map(|n| format!("token {t} is owned by node {}", n.host_id)))
    }

    /// The members that own tokens, in host id order.
    pub fn normal_nodes(&self) -> impl Iterator<Item = &NodeRecord> {
        self.nodes.values().filter(|n| n.status == NodeStatus::Normal)
    }

    pub fn node(&self, host_id: Uuid) -> Option<&NodeRecord> {
        self.nodes.get(&host_id)
    }

    /// Every statement of the user schema, keyspace by keyspace.
    pub fn schema_statements(&self) -> Vec<String> {
        self.schema.values().flatten().cloned().collect()
    }
}

fn command_host(command: &Group0Command) -> Uuid {
    match &command.change {
        Change::UpsertNode(record) => record.host_id,
        Change::Schema { .. } => Uuid::nil(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: u128, tokens: Vec<i64>) -> NodeRecord {
        NodeRecord {
            host_id: Uuid::from_u128(id),
            address: IpAddr::from([127, 0, 0, id as u8]),
            rpc_address: IpAddr::from([127, 0, 0, id as u8]),
            data_center: "datacenter1".into(),
            rack: "rack1".into(),
            tokens,
            nr_shards: 1,
            release_version: "3.0.8".into(),
            status: NodeStatus::Normal,
        }
    }

    fn schema(statements: &[&str]) -> Change {
        let keyspaces = statements.iter().map(|s| (s.to_string(), vec![s.to_string()])).collect();
        Change::Schema { keyspaces, dropped: Vec::new(), event: None }
    }

    #[test]
    fn a_command_applies_only_to_the_state_it_was_computed_from() {
        let mut state = Group0State::default();
        let first = Group0Command::new(state.state_id, schema(&["CREATE KEYSPACE a"]));
        let second = Group0Command::new(state.state_id, schema(&["CREATE KEYSPACE b"]));
        assert_eq!(state.apply(&first).0, Group0Response::Applied { state_id: first.new_state_id });
        assert_eq!(state.apply(&second).0, Group0Response::Conflict { current: first.new_state_id });
        assert_eq!(state.schema_statements(), vec!["CREATE KEYSPACE a".to_string()]);
    }

    #[test]
    fn a_retried_command_is_applied_once() {
        let mut state = Group0State::default();
        let command = Group0Command::new(state.state_id, schema(&["x"]));
        state.apply(&command);
        let (response, effects) = state.apply(&command);
        assert_eq!(response, Group0Response::Applied { state_id: command.new_state_id });
        assert!(!effects.schema_changed, "nothing happens the second time");
    }

    #[test]
    fn a_schema_change_replaces_its_keyspaces_and_drops_others_it_names() {
        let mut state = Group0State::default();
        state.apply(&Group0Command::new(state.state_id, schema(&["a", "b"])));
        let alter_a = Change::Schema {
            keyspaces: [("a".to_string(), vec!["a2".to_string(), "a3".to_string()])].into(),
            dropped: vec!["b".to_string()],
            event: None,
        };
        state.apply(&Group0Command::new(state.state_id, alter_a));
        assert_eq!(state.schema_statements(), vec!["a2".to_string(), "a3".to_string()]);
    }

    #[test]
    fn tokens_are_unique_on_the_ring() {
        let mut state = Group0State::default();
        let join = Group0Command::new(state.state_id, Change::UpsertNode(node(1, vec![5, -3])));
        assert!(matches!(state.apply(&join).0, Group0Response::Applied { .. }));
        assert_eq!(state.node(Uuid::from_u128(1)).unwrap().tokens, vec![-3, 5], "kept sorted");
        let clash = Group0Command::new(state.state_id, Change::UpsertNode(node(2, vec![7, 5])));
        assert!(matches!(state.apply(&clash).0, Group0Response::Rejected { .. }));
        let again = Group0Command::new(state.state_id, Change::UpsertNode(node(1, vec![5, 9])));
        assert!(matches!(state.apply(&again).0, Group0Response::Applied { .. }), "a node may keep its own tokens");
        assert_eq!(state.normal_nodes().count(), 1);
    }
}
