//! Counters of one shard. Each counter is written only by its own shard (relaxed atomic
//! stores, no read-modify-write contention) and read by the metrics endpoint on shard 0;
//! atomics here are a publication mechanism, not shared mutable shard state.

use std::sync::atomic::{AtomicU64, Ordering};

use super::latency_histogram::LatencyHistogram;

/// One shard's counters, cache-line aligned so shards never share a line.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct ShardMetrics {
    /// QUERY/EXECUTE/BATCH requests received by this shard's connections.
    pub cql_requests: AtomicU64,
    /// Single-partition operations executed on the shard that received them.
    pub cql_requests_local: AtomicU64,
    /// Single-partition operations forwarded to their owner shard.
    pub cql_requests_forwarded: AtomicU64,
    /// Replicated single-partition requests coordinated here, by where: on the shard that
    /// owns the token on a replica, on another shard of a replica, on a node that is no replica.
    pub coordinated_on_owner_shard: AtomicU64,
    pub coordinated_on_other_shard: AtomicU64,
    pub coordinated_on_non_replica: AtomicU64,
    /// MUTATION and READ requests from other nodes served by hopping to the owning shard.
    pub replica_cross_shard_hops: AtomicU64,
    /// Coordinated writes that ended in a timeout or failure.
    pub coordinator_write_errors: AtomicU64,
    /// Coordinated reads whose replicas' digests disagreed, and those that repaired replicas.
    pub read_digest_mismatches: AtomicU64,
    pub read_repairs: AtomicU64,
    /// Coordinated reads that asked one more replica after the speculative retry delay.
    pub read_speculative_retries: AtomicU64,
    /// Requests answered `Overloaded`.
    pub cql_requests_overloaded: AtomicU64,
    /// Errors returned to clients.
    pub cql_errors: AtomicU64,
    /// Open client connections served by this shard (also read to balance port 9042).
    pub cql_connections: AtomicU64,
    /// Mutations applied by this shard as the owner.
    pub mutations_applied: AtomicU64,
    /// Memtable bytes held by this shard.
    pub memtable_bytes: AtomicU64,
    /// Commitlog segments on disk.
    pub commitlog_segments: AtomicU64,
    /// SSTables this shard reads.
    pub sstables: AtomicU64,
    /// Memtables flushed to SSTables.
    pub memtable_flushes: AtomicU64,
    /// Compactions completed, failed, and the SSTable bytes they read and wrote.
    pub compactions: AtomicU64,
    pub compaction_failures: AtomicU64,
    pub compaction_bytes_read: AtomicU64,
    pub compaction_bytes_written: AtomicU64,
    /// The compaction bandwidth limit, bytes/s (0: unlimited), and the time compactions
    /// slept to respect it, nanoseconds.
    pub compaction_bandwidth_limit: AtomicU64,
    pub compaction_throttled_ns: AtomicU64,
    /// Single-partition reads that consulted SSTables, and the SSTables they read (after
    /// token range and bloom filter): their ratio is the SSTables touched per read.
    pub partition_reads: AtomicU64,
    pub partition_read_sstables: AtomicU64,
    /// Requests received over the cross-shard queues.
    pub mesh_requests_received: AtomicU64,
    /// Time the shard's executor spent running tasks, nanoseconds.
    pub reactor_busy_ns: AtomicU64,
    /// Share of the last sampling interval the executor was busy, in parts per million.
    pub reactor_utilization_ppm: AtomicU64,
    /// Latency of QUERY/EXECUTE/BATCH requests, from the frame being read to the response
    /// being queued on the connection.
    pub request_latency: LatencyHistogram,
}

impl ShardMetrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
