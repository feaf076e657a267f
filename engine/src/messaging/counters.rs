//! Per-shard messaging counters (plain `Cell`s: only the shard's executor touches them),
//! read as a [`MessagingStats`] snapshot for export.

use std::cell::Cell;

use super::fault::FaultAction;
use super::verb::{ConnectionClass, CONNECTION_CLASSES};

/// The live counters of one shard.
#[derive(Default)]
pub(super) struct MessagingCounters {
    requests_sent: [Cell<u64>; CONNECTION_CLASSES],
    responses_received: [Cell<u64>; CONNECTION_CLASSES],
    requests_received: [Cell<u64>; CONNECTION_CLASSES],
    responses_sent: [Cell<u64>; CONNECTION_CLASSES],
    timeouts: [Cell<u64>; CONNECTION_CLASSES],
    send_errors: [Cell<u64>; CONNECTION_CLASSES],
    connections_opened: Cell<u64>,
    connections_accepted: Cell<u64>,
    connections_refused: Cell<u64>,
    bad_frames: Cell<u64>,
    faults_dropped: Cell<u64>,
    faults_delayed: Cell<u64>,
    faults_duplicated: Cell<u64>,
}

fn bump(cell: &Cell<u64>) {
    cell.set(cell.get() + 1);
}

impl MessagingCounters {
    pub fn request_sent(&self, class: ConnectionClass) {
        bump(&self.requests_sent[class.index()]);
    }
    pub fn response_received(&self, class: ConnectionClass) {
        bump(&self.responses_received[class.index()]);
    }
    pub fn request_received(&self, class: ConnectionClass) {
        bump(&self.requests_received[class.index()]);
    }
    pub fn response_sent(&self, class: ConnectionClass) {
        bump(&self.responses_sent[class.index()]);
    }
    pub fn timeout(&self, class: ConnectionClass) {
        bump(&self.timeouts[class.index()]);
    }
    pub fn send_error(&self, class: ConnectionClass) {
        bump(&self.send_errors[class.index()]);
    }
    pub fn connection_opened(&self) {
        bump(&self.connections_opened);
    }
    pub fn connection_accepted(&self) {
        bump(&self.connections_accepted);
    }
    pub fn connection_refused(&self) {
        bump(&self.connections_refused);
    }
    pub fn bad_frame(&self) {
        bump(&self.bad_frames);
    }
    pub fn fault_applied(&self, action: FaultAction) {
        bump(match action {
            FaultAction::Drop => &self.faults_dropped,
            FaultAction::Delay { .. } => &self.faults_delayed,
            FaultAction::Duplicate => &self.faults_duplicated,
        });
    }

    pub fn snapshot(&self) -> MessagingStats {
        let per_class = |cells: &[Cell<u64>; CONNECTION_CLASSES]| std::array::from_fn(|i| cells[i].get());
        MessagingStats {
            requests_sent: per_class(&self.requests_sent),
            responses_received: per_class(&self.responses_received),
            requests_received: per_class(&self.requests_received),
            responses_sent: per_class(&self.responses_sent),
            timeouts: per_class(&self.timeouts),
            send_errors: per_class(&self.send_errors),
            connections_opened: self.connections_opened.get(),
            connections_accepted: self.connections_accepted.get(),
            connections_refused: self.connections_refused.get(),
            bad_frames: self.bad_frames.get(),
            faults_dropped: self.faults_dropped.get(),
            faults_delayed: self.faults_delayed.get(),
            faults_duplicated: self.faults_duplicated.get(),
        }
    }
}

/// A snapshot of one shard's counters; per-class arrays are indexed by
/// [`ConnectionClass::index`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessagingStats {
    /// Requests written to a peer (sends that got as far as a connection).
    pub requests_sent: [u64; CONNECTION_CLASSES],
    /// Successful responses received.
    pub responses_received: [u64; CONNECTION_CLASSES],
    /// Requests received from peers (by the class of the connection they came on).
    pub requests_received: [u64; CONNECTION_CLASSES],
    /// Responses (successful or error) queued to peers.
    pub responses_sent: [u64; CONNECTION_CLASSES],
    /// Sends that timed out.
    pub timeouts: [u64; CONNECTION_CLASSES],
    /// Sends that failed otherwise (connect, closed, refused, remote errors, codec).
    pub send_errors: [u64; CONNECTION_CLASSES],
    /// Outgoing connections whose handshake succeeded.
    pub connections_opened: u64,
    /// Incoming connections whose handshake succeeded.
    pub connections_accepted: u64,
    /// Handshakes refused, either way.
    pub connections_refused: u64,
    /// Connections closed because of a bad frame (checksum, size, version, kind).
    pub bad_frames: u64,
    /// Requests fault injection dropped (never written; their senders timed out).
    pub faults_dropped: u64,
    /// Requests fault injection delayed.
    pub faults_delayed: u64,
    /// Requests fault injection sent twice.
    pub faults_duplicated: u64,
}

impl MessagingStats {
    /// A per-class value by class.
    pub fn of(values: &[u64; CONNECTION_CLASSES], class: ConnectionClass) -> u64 {
        values[class.index()]
    }

    /// The faults injected, per action: `(action name, count)`.
    pub fn faults(&self) -> [(&'static str, u64); 3] {
        [("drop", self.faults_dropped), ("delay", self.faults_delayed), ("duplicate", self.faults_duplicated)]
    }
}
