//! Connections registered for events (REGISTER) on this shard, and pushing events to them:
//! SCHEMA_CHANGE (from DDL group 0 applied), TOPOLOGY_CHANGE (a member joined or left the
//! ring) and STATUS_CHANGE (the failure detector's UP/DOWN). Events go out on stream -1; a
//! client that does not read its socket misses events rather than growing the server's
//! memory.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};

use percore_protocol::response::{SchemaChange, EVENT_SCHEMA_CHANGE, EVENT_STATUS_CHANGE, EVENT_TOPOLOGY_CHANGE};

use crate::cql::shard::EventSink;

use super::connection::ConnectionState;

/// The event types a connection can REGISTER for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventType {
    Schema,
    Topology,
    Status,
}

impl EventType {
    const ALL: [(EventType, &'static str); 3] = [
        (EventType::Schema, EVENT_SCHEMA_CHANGE),
        (EventType::Topology, EVENT_TOPOLOGY_CHANGE),
        (EventType::Status, EVENT_STATUS_CHANGE),
    ];
}

/// One registered connection and the event types it asked for.
struct Subscriber {
    connection_id: u64,
    connection: Weak<ConnectionState>,
    types: Vec<EventType>,
}

#[derive(Default)]
pub struct EventSubscribers {
    subscribers: RefCell<Vec<Subscriber>>,
}

impl EventSubscribers {
    pub fn subscribe(&self, conn: &Rc<ConnectionState>, events: &[String]) {
        let wanted: Vec<EventType> = EventType::ALL
            .iter()
            .filter(|(_, name)| events.iter().any(|e| e.eq_ignore_ascii_case(name)))
            .map(|(t, _)| *t)
            .collect();
        let mut subscribers = self.subscribers.borrow_mut();
        match subscribers.iter_mut().find(|s| s.connection_id == conn.id) {
            Some(existing) => {
                for t in wanted {
                    if !existing.types.contains(&t) {
                        existing.types.push(t);
                    }
                }
            }
            None => {
                subscribers.push(Subscriber { connection_id: conn.id, connection: Rc::downgrade(conn), types: wanted })
            }
        }
    }

    pub fn unsubscribe(&self, connection_id: u64) {
        self.subscribers.borrow_mut().retain(|s| s.connection_id != connection_id);
    }

    /// Sends the frame `encode` builds to every live connection registered for `event`.
    fn push(&self, event: EventType, encode: impl Fn(&ConnectionState) -> Vec<u8>) {
        let targets: Vec<_> = self
            .subscribers
            .borrow()
            .iter()
            .filter(|s| s.types.contains(&event))
            .filter_map(|s| s.connection.upgrade())
            .collect();
        for conn in targets {
            if !conn.try_send(encode(&conn)) {
                tracing::debug!("connection {} is not reading: {event:?} event dropped", conn.id);
            }
        }
    }

    /// `TOPOLOGY_CHANGE` (`NEW_NODE`/`REMOVED_NODE`) of the node serving CQL at `addr`.
    pub fn topology_changed(&self, change: &str, addr: SocketAddr) {
        self.push(EventType::Topology, |c| c.writer.get().topology_change_event(change, addr));
    }

    /// `STATUS_CHANGE` (`UP`/`DOWN`) of the node serving CQL at `addr`.
    pub fn status_changed(&self, change: &str, addr: SocketAddr) {
        self.push(EventType::Status, |c| c.writer.get().status_change_event(change, addr));
    }
}

impl EventSink for EventSubscribers {
    fn schema_changed(&self, change: &SchemaChange) {
        self.push(EventType::Schema, |c| c.writer.get().schema_change_event(change));
    }
}
