//! The CQL server: listeners on the plain and shard-aware ports of every shard, placing
//! each connection on the shard that should serve it ([`listener`]); the per-connection
//! read → decode → execute → encode → write pipeline ([`connection`]); and the handshake
//! messages ([`handshake`]); the connections REGISTERed for events ([`events`]).

pub mod connection;
pub mod events;
pub mod frame_writer;
pub mod handshake;
pub mod listener;
