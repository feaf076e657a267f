//! Connections registered for events (REGISTER) on this shard, and pushing events to them.
//! Events go out on stream -1; a client that does not read its socket misses events rather
//! than growing the server's memory.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use percore_protocol::response::SchemaChange;

use crate::cql::shard::EventSink;

use super::connection::ConnectionState;

#[derive(Default)]
pub struct EventSubscribers {
    schema_change: RefCell<Vec<(u64, Weak<ConnectionState>)>>,
}

impl EventSubscribers {
    pub fn subscribe(&self, conn: &Rc<ConnectionState>, events: &[String]) {
        let mut schema_change = self.schema_change.borrow_mut();
        if events.iter().any(|e| e.eq_ignore_ascii_case("SCHEMA_CHANGE"))
            && !schema_change.iter().any(|(id, _)| *id == conn.id)
        {
            schema_change.push((conn.id, Rc::downgrade(conn)));
        }
        // TOPOLOGY_CHANGE and STATUS_CHANGE are accepted; a single node never emits them.
    }

    pub fn unsubscribe(&self, connection_id: u64) {
        self.schema_change.borrow_mut().retain(|(id, _)| *id != connection_id);
    }
}

impl EventSink for EventSubscribers {
    fn schema_changed(&self, change: &SchemaChange) {
        let subscribers: Vec<_> = self.schema_change.borrow().iter().filter_map(|(_, c)| c.upgrade()).collect();
        for conn in subscribers {
            let frame = conn.writer.get().schema_change_event(change);
            if !conn.try_send(frame) {
                tracing::debug!("connection {} is not reading: schema event dropped", conn.id);
            }
        }
    }
}
