//! Internode messaging: typed RPC between the shards of the cluster's nodes (ScyllaDB's
//! `messaging_service`). Each shard has its own [`Messaging`], its own connections to each
//! peer — one per [`ConnectionClass`], so streaming never delays an echo — and the peer
//! serves each connection on the same shard number (the client's source port says which).
//!
//! Layout, one concept per file:
//! - [`frame`] — the 24-byte header (length, CRC32C, format version, kind, verb, request
//!   id, timeout) and the cut-from-a-buffer decoder; [`payload`] — postcard payloads.
//! - [`verb`] — [`Verb`]s with their default timeouts and connection classes.
//! - [`handshake`] — the first frame each way: protocol version, cluster name, host id,
//!   shard count; refusals with their reason.
//! - [`service`] — [`Messaging`]: `register`, `send`, `start_listening`, `shutdown`.
//! - [`fault`] — test-only fault injection: rules that drop, delay or duplicate outgoing
//!   requests by verb and peer (off unless enabled by config or the admin API).
//! - [`listener`] — accept on every shard (SO_REUSEPORT), hand over to shard
//!   `source port % nr_shards`; [`server_connection`] — handshake, dispatch to handlers
//!   (bounded per connection: TCP backpressure), answers.
//! - [`connect`] — non-blocking connect from `listen_address` and a shard-matching port;
//!   [`client_connection`] — requests multiplexed by id, bounded in flight.
//! - [`frame_reader`], [`write_queue`] — socket reading and batched writing;
//!   [`handlers`] — the type-erased handler table; [`peer`] — what handshakes told;
//!   [`counters`]; [`error`]; [`config`]; [`timeout`]; [`socket_control`] — shutting
//!   sockets down at once, whatever io_uring still holds.
//!
//! Byte layouts: `docs/internode-format.md`.

mod client_connection;
pub mod config;
mod connect;
pub mod counters;
pub mod error;
pub mod fault;
pub mod frame;
mod frame_reader;
mod handlers;
pub mod handshake;
mod listener;
pub mod payload;
pub mod peer;
mod server_connection;
mod service;
mod socket_control;
mod timeout;
pub mod verb;
mod write_queue;

#[cfg(test)]
mod tests;

pub use config::MessagingConfig;
pub use counters::MessagingStats;
pub use error::{HandlerError, MessagingError, RemoteErrorKind};
pub use fault::{FaultAction, FaultRule, FaultRuleError, FaultRules};
pub use listener::{handoff_mesh, MessagingHandoff, MessagingHandoffMesh};
pub use peer::PeerInfo;
pub use service::Messaging;
pub use verb::{ConnectionClass, Verb};
