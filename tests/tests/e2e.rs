//! End-to-end tests of the real `percore` binary with the Rust `scylla` driver
//! (shard-aware). One test binary; one concept per module under `e2e/`.
//! Each test starts its own server (see `percore_tests::Server`); tests are
//! serialised so that the servers do not fight over the machine's 2 cores.
//!
//! Run one: `cargo test -p percore-tests --test e2e -- routing::`

#[path = "e2e/cluster.rs"]
mod cluster;
#[path = "e2e/common.rs"]
mod common;
#[path = "e2e/compression.rs"]
mod compression;
#[path = "e2e/connect.rs"]
mod connect;
#[path = "e2e/paging.rs"]
mod paging;
#[path = "e2e/routing.rs"]
mod routing;
#[path = "e2e/types.rs"]
mod types;
