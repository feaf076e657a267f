//! Schema changes. Shard 0 coordinates every DDL statement, one at a time: it computes the
//! next schema snapshot, saves it durably, installs it on every other shard over the mesh
//! and then on itself, and only then answers — so when a client sees the RESULT, every
//! shard already uses the new schema and has pushed the SCHEMA_CHANGE event.

use std::rc::Rc;
use std::sync::Arc;

use futures::future::try_join_all;
use percore_protocol::cql::ast::Statement;
use percore_protocol::response::SchemaChange;

use crate::runtime::shard::Shard;
use crate::schema::change::{self, DdlOutcome};
use crate::schema::{persist, Schema};

use super::error::CqlError;
use super::shard_ops::{ShardReply, ShardRequest};

/// The shard that serialises schema changes.
pub const SCHEMA_COORDINATOR_SHARD: usize = 0;

/// Runs a DDL statement from any shard; `None` when `IF [NOT] EXISTS` made it a no-op.
pub async fn execute(
    shard: &Rc<Shard>,
    statement: Statement,
    keyspace: Option<String>,
) -> Result<Option<SchemaChange>, CqlError> {
    if shard.id == SCHEMA_COORDINATOR_SHARD {
        return execute_on_coordinator(shard, statement, keyspace).await;
    }
    match shard.router.call(SCHEMA_COORDINATOR_SHARD, ShardRequest::Ddl { statement, keyspace }).await? {
        ShardReply::SchemaChanged(change) => Ok(change),
        _ => Err(CqlError::server("unexpected reply to a schema change".into())),
    }
}

pub async fn execute_on_coordinator(
    shard: &Rc<Shard>,
    statement: Statement,
    keyspace: Option<String>,
) -> Result<Option<SchemaChange>, CqlError> {
    debug_assert_eq!(shard.id, SCHEMA_COORDINATOR_SHARD);
    let _serialised =
        shard.ddl_lock.acquire_permit(1).await.map_err(|e| CqlError::server(format!("schema lock: {e}")))?;
    let previous = shard.schema();
    let DdlOutcome::Changed { schema, event } =
        change::apply(&previous, &statement, keyspace.as_deref(), &shard.node.config.data_center)?
    else {
        return Ok(None);
    };
    let created = created_indexes(&previous, &schema);
    persist::save(shard.node.config.data_directory(), &schema)
        .await
        .map_err(|e| CqlError::server(format!("cannot save the schema: {e}")))?;
    broadcast_schema(shard, Arc::new(schema), Some(event.clone())).await?;
    for (table, index) in created {
        backfill_index(shard, table, index).await?;
    }
    Ok(Some(event))
}

/// Indexes in `next` that `previous` lacks: (base table id, index name).
fn created_indexes(previous: &Schema, next: &Schema) -> Vec<(uuid::Uuid, String)> {
    let existed = |ks: &str, name: &str| previous.keyspace(ks).is_some_and(|k| k.indexes.contains_key(name));
    next.keyspaces()
        .flat_map(|ks| ks.indexes.values().filter(|i| !existed(&ks.name, &i.name)))
        .map(|i| (i.table_id, i.name.clone()))
        .collect()
}

/// CREATE INDEX on existing rows: every shard indexes its own rows; the statement returns
/// once all have (the schema is already installed, so new writes maintain the index).
async fn backfill_index(shard: &Rc<Shard>, table: uuid::Uuid, index: String) -> Result<(), CqlError> {
    let others = (0..shard.nr_shards()).filter(|&s| s != shard.id).map(|s| {
        let request = ShardRequest::BuildIndex { table, index: index.clone() };
        shard.router.call(s, request)
    });
    let local = crate::cql::write::index_backfill::backfill_local(shard, table, &index);
    futures::future::try_join(try_join_all(others), local).await?;
    Ok(())
}

async fn broadcast_schema(
    shard: &Rc<Shard>,
    schema: Arc<Schema>,
    change: Option<SchemaChange>,
) -> Result<(), CqlError> {
    let others = (0..shard.nr_shards()).filter(|&s| s != shard.id).map(|s| {
        let request = ShardRequest::InstallSchema { schema: schema.clone(), change: change.clone() };
        shard.router.call(s, request)
    });
    try_join_all(others).await?;
    install_locally(shard, schema, change.as_ref());
    Ok(())
}

pub fn install_locally(shard: &Shard, schema: Arc<Schema>, change: Option<&SchemaChange>) {
    shard.install_schema(schema);
    if let Some(change) = change {
        shard.events.borrow().notify_schema_change(change);
    }
}

/// TRUNCATE, coordinated by shard 0: every shard drops the table's data and seals its
/// commitlog segment; shard 0 records where each shard's later entries begin (so replay
/// skips the truncated ones) before acknowledging.
pub async fn truncate(shard: &Rc<Shard>, table: uuid::Uuid) -> Result<(), CqlError> {
    if shard.id != SCHEMA_COORDINATOR_SHARD {
        return match shard.router.call(SCHEMA_COORDINATOR_SHARD, ShardRequest::TruncateTable { table }).await? {
            ShardReply::Done => Ok(()),
            _ => Err(CqlError::server("unexpected reply to TRUNCATE".into())),
        };
    }
    let _serialised =
        shard.ddl_lock.acquire_permit(1).await.map_err(|e| CqlError::server(format!("schema lock: {e}")))?;
    let others = (0..shard.nr_shards())
        .filter(|&s| s != shard.id)
        .map(|s| shard.router.call(s, ShardRequest::Truncate { table }));
    let mut sealed = Vec::with_capacity(shard.nr_shards());
    for reply in try_join_all(others).await? {
        match reply {
            ShardReply::Truncated(segment) => sealed.push(segment),
            _ => return Err(CqlError::server("unexpected reply to a truncate".into())),
        }
    }
    sealed.push(truncate_local(shard, table).await);
    let record = {
        let mut record = shard.truncations.borrow_mut();
        record.record(table, sealed);
        record.clone()
    };
    record
        .save(shard.node.config.data_directory())
        .await
        .map_err(|e| CqlError::server(format!("cannot save the truncation record: {e}")))
}

/// Drops this shard's memtables and SSTables of a table; returns where this shard's
/// commitlog entries after the truncation begin.
pub async fn truncate_local(shard: &Shard, table: uuid::Uuid) -> crate::storage::commitlog::segment::SegmentName {
    let sealed = shard.commitlog.seal_active();
    let (released, sstables) = shard.store.borrow_mut().truncate(&table);
    shard.commitlog.release(released);
    for sstable in sstables {
        crate::storage::sstable_set::delete_sstable(&sstable.reader).await;
    }
    shard.refresh_storage_metrics();
    sealed
}
