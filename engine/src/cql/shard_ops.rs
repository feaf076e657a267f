//! The work one shard asks of another, and how the receiving shard does it. Messages are
//! plain owned data (`Send`): mutations, read commands, schema snapshots, statement texts.

use std::rc::Rc;
use std::sync::Arc;

use glommio::channels::channel_mesh::Receivers;
use glommio::channels::shared_channel::ConnectedReceiver;
use percore_protocol::cql::ast::Statement;
use percore_protocol::response::SchemaChange;

use crate::metrics::ShardMetrics;
use crate::model::mutation::Mutation;
use crate::runtime::mesh::RequestEnvelope;
use crate::runtime::shard::Shard;
use crate::schema::Schema;

use super::ddl;
use super::error::CqlError;
use super::processor;
use super::read::partition::{PartitionRead, ReadPage};
use super::read::scan::{ScanPage, ScanRead};

pub enum ShardRequest {
    /// Apply mutations this shard owns.
    Apply(Vec<Mutation>),
    /// Apply replayed commitlog mutations this shard owns (no deadline on memtable room).
    Replay(Vec<Mutation>),
    /// A write this shard owns that needs current values (counters, list indexes).
    ReadModifyWrite(Box<crate::cql::write::mutation_builder::PartitionWrite>),
    /// Read a page of one partition this shard owns.
    Read(PartitionRead),
    /// Scan this shard's partitions for a ring scan.
    Scan(ScanRead),
    /// Run a DDL statement (sent to shard 0, which serialises schema changes).
    Ddl { statement: Statement, keyspace: Option<String> },
    /// Install a new schema snapshot and tell this shard's subscribers.
    InstallSchema { schema: Arc<Schema>, change: Option<SchemaChange> },
    /// Prepare a statement so EXECUTE finds it on this shard too.
    Prepare { keyspace: Option<String>, query: String },
    /// Drop this shard's data of a table (part of a TRUNCATE).
    Truncate { table: uuid::Uuid },
    /// Run a whole TRUNCATE (sent to shard 0, which records truncations).
    TruncateTable { table: uuid::Uuid },
    /// Write the index entries of this shard's rows of a table for a new index (CREATE INDEX).
    BuildIndex { table: uuid::Uuid, index: String },
    /// Flush memtables (of these tables, or all) to SSTables (`nodetool flush`).
    Flush { tables: Option<Vec<uuid::Uuid>> },
    /// Major compaction of these tables, or all (`nodetool compact`).
    Compact { tables: Option<Vec<uuid::Uuid>> },
}

pub enum ShardReply {
    Applied,
    Page(ReadPage),
    /// The outcome of a conditional write.
    Cas(crate::cql::write::read_modify_write::CasOutcome),
    Scanned(ScanPage),
    SchemaChanged(Option<SchemaChange>),
    /// Where the shard's commitlog entries after a truncation begin.
    Truncated(crate::storage::commitlog::segment::SegmentName),
    Done,
}

/// Spawns one task per peer that executes requests arriving from that peer.
pub fn spawn_request_pumps(shard: Rc<Shard>, mut receivers: Receivers<RequestEnvelope>) {
    for (_, receiver) in receivers.streams() {
        glommio::spawn_local(pump(shard.clone(), receiver)).detach();
    }
}

async fn pump(shard: Rc<Shard>, receiver: ConnectedReceiver<RequestEnvelope>) {
    while let Some(envelope) = receiver.recv().await {
        ShardMetrics::inc(&shard.metrics().mesh_requests_received);
        let shard = shard.clone();
        glommio::spawn_local(async move {
            let reply = handle(&shard, envelope.request).await;
            shard.router.reply(envelope.from, envelope.id, reply).await;
        })
        .detach();
    }
}

pub async fn handle(shard: &Rc<Shard>, request: ShardRequest) -> Result<ShardReply, CqlError> {
    match request {
        ShardRequest::Apply(mutations) => {
            super::write::apply::apply_owned(shard, mutations, true).await?;
            Ok(ShardReply::Applied)
        }
        ShardRequest::Replay(mutations) => {
            super::write::apply::apply_owned(shard, mutations, false).await?;
            Ok(ShardReply::Applied)
        }
        ShardRequest::ReadModifyWrite(write) => {
            let conditional = !write.conditions.is_empty();
            let outcome = super::write::read_modify_write::read_modify_write_local(shard, *write).await?;
            Ok(if conditional { ShardReply::Cas(outcome) } else { ShardReply::Applied })
        }
        ShardRequest::Read(read) => Ok(ShardReply::Page(super::read::partition::read_local(shard, &read).await?)),
        ShardRequest::Scan(scan) => Ok(ShardReply::Scanned(super::read::scan::scan_local(shard, &scan).await?)),
        ShardRequest::Ddl { statement, keyspace } => {
            Ok(ShardReply::SchemaChanged(ddl::execute_on_coordinator(shard, statement, keyspace).await?))
        }
        ShardRequest::InstallSchema { schema, change } => {
            ddl::install_locally(shard, schema, change.as_ref());
            Ok(ShardReply::Done)
        }
        ShardRequest::Prepare { keyspace, query } => {
            processor::prepare_locally(shard, keyspace.as_deref(), &query)?;
            Ok(ShardReply::Done)
        }
        ShardRequest::Truncate { table } => Ok(ShardReply::Truncated(ddl::truncate_local(shard, table).await)),
        ShardRequest::TruncateTable { table } => {
            ddl::truncate(shard, table).await?;
            Ok(ShardReply::Done)
        }
        ShardRequest::BuildIndex { table, index } => {
            crate::cql::write::index_backfill::backfill_local(shard, table, &index).await?;
            Ok(ShardReply::Done)
        }
        ShardRequest::Flush { tables } => {
            crate::runtime::flush_scheduler::flush_tables(shard, tables.as_deref()).await.map_err(CqlError::server)?;
            Ok(ShardReply::Done)
        }
        ShardRequest::Compact { tables } => {
            crate::runtime::compaction_scheduler::compact_tables(shard, tables.as_deref())
                .await
                .map_err(CqlError::server)?;
            Ok(ShardReply::Done)
        }
    }
}
