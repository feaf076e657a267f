//! Every bound of the node, as a named constant with its unit last. Values a user may want
//! to change are also `percore.yaml` keys (see `config.rs`); these are the defaults.

/// Largest CQL frame accepted (`native_transport_max_frame_size_in_mb`).
pub const FRAME_BYTES_MAX_DEFAULT: usize = 16 * 1024 * 1024;
/// Requests one connection may have executing at once before it is answered `Overloaded`.
pub const CONNECTION_IN_FLIGHT_REQUESTS_MAX: usize = 1024;
/// Responses queued for one connection's writer before request processing waits.
pub const CONNECTION_RESPONSE_QUEUE_DEPTH: usize = 1024;
/// Bytes read from a socket per read call.
pub const CONNECTION_READ_CHUNK_BYTES: usize = 64 * 1024;
/// Requests one shard may have executing at once (all connections) before `Overloaded`.
pub const SHARD_IN_FLIGHT_REQUESTS_MAX: usize = 16 * 1024;
/// Depth of each one-way queue between two shards.
pub const MESH_QUEUE_DEPTH: usize = 1024;
/// Depth of each queue that hands accepted connections to another shard.
pub const CONNECTION_HANDOFF_QUEUE_DEPTH: usize = 128;
/// Connections one shard serves at most.
pub const SHARD_CONNECTIONS_MAX: usize = 4096;
/// Prepared statements cached per shard (least recently used evicted; drivers re-prepare).
pub const PREPARED_STATEMENTS_MAX: usize = 10_000;
/// Rows in one page when the client does not ask for paging.
pub const UNPAGED_ROWS_MAX: usize = 1_000_000;
/// Bytes of result rows in one page; a page stops early past this.
pub const PAGE_BYTES_MAX: usize = 8 * 1024 * 1024;
/// Statements in one BATCH.
pub const BATCH_STATEMENTS_MAX: usize = 65_535;
/// Partitions one statement may name through IN restrictions (Scylla's
/// `max_partition_key_restrictions_per_query`).
pub const PARTITION_KEYS_PER_QUERY_MAX: usize = 100;
/// Rows one modification may name through clustering IN restrictions (Scylla's
/// `max_clustering_key_restrictions_per_query`).
pub const CLUSTERING_KEYS_PER_MODIFICATION_MAX: usize = 100;
/// Bytes of a single value in a partition or clustering key (Cassandra's u16 length).
pub const KEY_COMPONENT_BYTES_MAX: usize = 65_535;
/// Bytes of a serialized partition key (composite keys included), as in Cassandra.
pub const PARTITION_KEY_BYTES_MAX: usize = 65_535;
/// Bytes of one CQL statement's text.
pub const STATEMENT_TEXT_BYTES_MAX: usize = 1024 * 1024;
/// How often each shard checks for a shutdown request.
pub const SHUTDOWN_POLL_INTERVAL_MS: u64 = 50;
/// Bytes of an HTTP request to the metrics endpoint.
pub const METRICS_REQUEST_BYTES_MAX: usize = 8 * 1024;
/// Bytes of an HTTP request body to the admin endpoint (larger requests are refused with
/// 413 and the connection closed).
pub const ADMIN_REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;
/// Default memory for the node when `--memory` is not given: a share of the machine.
pub const DEFAULT_MEMORY_FRACTION_PERCENT: u64 = 50;

// --- storage (per shard) -------------------------------------------------------------

/// Share of a shard's memory its memtables may hold in total.
pub const MEMTABLE_MEMORY_PERCENT: u64 = 50;
/// One table's active memtable is flushed past this share of the memtable budget.
pub const MEMTABLE_FLUSH_SHARE_PERCENT: u64 = 25;
/// Smallest flush threshold, so tiny `--memory` settings still make real SSTables.
pub const MEMTABLE_FLUSH_BYTES_MIN: u64 = 1 << 20;
/// How long a writer waits for flushes to free memtable memory before `Overloaded`.
pub const WRITE_STALL_MAX_MS: u64 = 2_000;
/// Times a read restarts because memtables or SSTables moved while it awaited I/O.
pub const READ_RETRIES_MAX: usize = 16;
/// Times a scan restarts because memtables or SSTables moved meanwhile.
pub const SCAN_RETRIES_MAX: usize = 8;

/// How long a flush or compaction runs on the CPU before it yields its task queue so
/// requests run (ScyllaDB's `task_quota_ms` is 0.5 ms). glommio's own preemption quota is
/// 100 ms: relying on `yield_if_needed` let a flush hold requests back that long.
pub const BACKGROUND_SLICE_US: u64 = 500;

/// Finished compactions each shard remembers for `nodetool compactionhistory` (the oldest
/// are forgotten first).
pub const COMPACTION_HISTORY_PER_SHARD_MAX: usize = 256;

// --- internode messaging (per shard) --------------------------------------------------

/// Largest internode frame on a `Small` connection (echo, group 0 incl. its snapshots,
/// join), length field included.
pub const MESSAGING_FRAME_BYTES_MAX_SMALL: usize = 4 * 1024 * 1024;
/// Largest internode frame on a `Mutation` connection: a mutation as large as the largest
/// CQL frame ([`FRAME_BYTES_MAX_DEFAULT`]) plus its envelope.
pub const MESSAGING_FRAME_BYTES_MAX_MUTATION: usize = FRAME_BYTES_MAX_DEFAULT + 1024 * 1024;
/// Largest internode frame on a `Read` connection: a page of at most [`PAGE_BYTES_MAX`]
/// result bytes with room for its encoding.
pub const MESSAGING_FRAME_BYTES_MAX_READ: usize = 2 * PAGE_BYTES_MAX;
/// Largest internode frame on a `Bulk` (streaming) connection.
pub const MESSAGING_FRAME_BYTES_MAX_BULK: usize = 16 * 1024 * 1024;
/// Largest handshake frame (either direction): a cluster name, a host id, an address.
pub const MESSAGING_HANDSHAKE_FRAME_BYTES_MAX: usize = 4 * 1024;
/// Bytes of a cluster name in a handshake.
pub const MESSAGING_CLUSTER_NAME_BYTES_MAX: usize = 1024;
/// Requests one outgoing connection may have awaiting their response; further callers wait
/// for a slot (within their timeout).
pub const MESSAGING_CONNECTION_IN_FLIGHT_MAX: usize = 1024;
/// Callers that may wait for an in-flight slot of one outgoing connection before a send is
/// refused with `Overloaded`.
pub const MESSAGING_CONNECTION_SLOT_WAITERS_MAX: usize = 4096;
/// Handlers one incoming connection may have running at once; past this the connection is
/// not read until one finishes (TCP backpressure on the sender).
pub const MESSAGING_CONNECTION_HANDLERS_MAX: usize = 256;
/// Frames queued for one connection's writer before their producers wait.
pub const MESSAGING_CONNECTION_WRITE_QUEUE_DEPTH: usize = 256;
/// Bytes gathered into one socket write at most.
pub const MESSAGING_WRITE_BATCH_BYTES_MAX: usize = 256 * 1024;
/// Bytes read from an internode socket per read call.
pub const MESSAGING_READ_CHUNK_BYTES: usize = 64 * 1024;
/// Incoming internode connections one shard serves at most (others are closed at once).
pub const MESSAGING_INCOMING_CONNECTIONS_MAX: usize = 1024;
/// Outgoing connections one shard keeps at most (peers × connection classes).
pub const MESSAGING_OUTGOING_CONNECTIONS_MAX: usize = 1024;
/// Peers whose handshake facts (host id, shard count) one shard remembers.
pub const MESSAGING_PEERS_MAX: usize = 1024;
/// Time to open an outgoing connection and complete its handshake.
pub const MESSAGING_CONNECT_TIMEOUT_MS: u64 = 2_000;
/// Time an accepted connection has to send its handshake before it is closed.
pub const MESSAGING_HANDSHAKE_TIMEOUT_MS: u64 = 5_000;
/// Longest timeout a request may carry; a handler is cancelled past its request's timeout.
pub const MESSAGING_REQUEST_TIMEOUT_MS_MAX: u64 = 10 * 60 * 1000;
/// Source ports tried when binding an outgoing connection to a shard-matching port.
pub const MESSAGING_SOURCE_PORT_ATTEMPTS_MAX: usize = 64;
/// Lowest source port of an outgoing internode connection (the IANA dynamic range).
pub const MESSAGING_SOURCE_PORT_MIN: u16 = 49152;
/// Highest source port of an outgoing internode connection.
pub const MESSAGING_SOURCE_PORT_MAX: u16 = 65535;
/// Depth of each queue that hands accepted internode connections to another shard.
pub const MESSAGING_HANDOFF_QUEUE_DEPTH: usize = 128;
/// Fault-injection rules (tests only: `messaging::fault`) one shard holds at most.
pub const MESSAGING_FAULT_RULES_MAX: usize = 64;
/// Longest delay a fault-injection rule may add to a request (no request waits longer).
pub const MESSAGING_FAULT_DELAY_MS_MAX: u64 = MESSAGING_REQUEST_TIMEOUT_MS_MAX;
