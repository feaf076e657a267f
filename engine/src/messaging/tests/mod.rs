//! Messaging over real sockets between real glommio executors: each test starts its own
//! nodes on loopback addresses (127.0.0.1 sends, 127.0.0.2 serves) and a storage port of
//! its own, so tests run in parallel.

mod failures;
mod faults;
mod harness;
mod round_trip;
mod sharding;
