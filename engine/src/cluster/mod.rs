//! The cluster's membership and metadata: group 0 (schema and topology agreed through a
//! raft log), the ring and replica placement, liveness of peers.

pub mod failure_detector;
pub mod group0;
pub mod placement;
pub mod ring;
pub mod view;
