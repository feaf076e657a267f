//! Connections registered for events (REGISTER) on this shard, and pushing events to them.
//! Events go out on stream -1; a client that does not read its socket misses events rather
//! than growing the server's memory.

use std::rc::{Rc, Weak};

use percore_protocol::response::SchemaChange;

use crate::transport::connection::ConnectionState;

#[derive(Default)]
pub struct EventSubscribers {
    schema_change: Vec<(u64, Weak<ConnectionState>)>,
}

impl EventSubscribers {
    pub fn subscribe(&mut self, conn: &Rc<ConnectionState>, events: &[String]) {
        if events.iter().any(|e| e.eq_ignore_ascii_case("SCHEMA_CHANGE"))
            && !self.schema_change.iter().any(|(id, _)| *id == conn.id)
        {
            self.schema_change.push((conn.id, Rc::downgrade(conn)));
        }
        // TOPOLOGY_CHANGE and STATUS_CHANGE are accepted; a single node never emits them.
    }

    pub fn unsubscribe(&mut self, connection_id: u64) {
        self.schema_change.retain(|(id, _)| *id != connection_id);
    }

    pub fn notify_schema_change(&self, change: &SchemaChange) {
        for conn in self.schema_change.iter().filter_map(|(_, c)| c.upgrade()) {
            let frame = conn.writer.get().schema_change_event(change);
            if !conn.try_send(frame) {
                tracing::debug!("connection {} is not reading: schema event dropped", conn.id);
            }
        }
    }
}
