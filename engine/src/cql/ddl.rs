//! Schema changes. Shard 0 coordinates every DDL statement, one at a time: it computes the
//! next schema snapshot, saves it durably, installs it on every other shard over the mesh
//! and then on itself, and only then answers — so when a client sees the RESULT, every
//! shard already uses the new schema and has pushed the SCHEMA_CHANGE event.

use std::rc::Rc;
use std::sync::Arc;

use futures::future::try_join_all;
use percore_protocol::cql::ast::Statement;
use percore_protocol::response::SchemaChange;

use crate::cql::shard::Shard;
use crate::replica::compaction_scheduler;
use crate::schema::change::{self, DdlOutcome};
use crate::schema::{persist, Schema};

use super::error::CqlError;

/// The shard that serialises schema changes.
pub const SCHEMA_COORDINATOR_SHARD: usize = 0;

/// Runs a DDL statement from any shard; `None` when `IF [NOT] EXISTS` made it a no-op.
pub async fn execute(
    shard: &Rc<Shard>,
    statement: Statement,
    keyspace: Option<String>,
) -> Result<Option<SchemaChange>, CqlError> {
    shard
        .router
        .call(SCHEMA_COORDINATOR_SHARD, move |coordinator: Rc<Shard>| async move {
            execute_on_coordinator(&coordinator, statement, keyspace).await
        })
        .await?
}

async fn execute_on_coordinator(
    shard: &Rc<Shard>,
    statement: Statement,
    keyspace: Option<String>,
) -> Result<Option<SchemaChange>, CqlError> {
    assert_eq!(shard.id, SCHEMA_COORDINATOR_SHARD, "one shard serialises schema changes");
    let _serialised =
        shard.ddl_lock.acquire_permit(1).await.map_err(|e| CqlError::server(format!("schema lock: {e}")))?;
    let previous = shard.schema();
    let DdlOutcome::Changed { schema, event } =
        change::apply(&previous, &statement, keyspace.as_deref(), &shard.node.config.data_center)?
    else {
        return Ok(None);
    };
    check_compaction_options(&previous, &schema)?;
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

/// Refuses a table whose compaction strategy options the storage could not run (checked
/// for tables created or altered by this change).
fn check_compaction_options(previous: &Schema, next: &Schema) -> Result<(), CqlError> {
    for table in next.keyspaces().flat_map(|k| k.tables.values()) {
        let unchanged =
            previous.table_by_id(&table.id).is_some_and(|t| t.options.compaction == table.options.compaction);
        if !unchanged {
            compaction_scheduler::validate_options(&table.options.compaction)
                .map_err(|e| CqlError::config(e.to_string()))?;
        }
    }
    Ok(())
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
    let built = shard
        .router
        .call_all(shard.nr_shards(), move |s: Rc<Shard>| async move {
            crate::cql::write::index_backfill::backfill_local(&s, table, &index).await
        })
        .await?;
    built.into_iter().try_for_each(|indexed| indexed.map(drop))
}

/// Installs the schema on every other shard, then on this one.
async fn broadcast_schema(
    shard: &Rc<Shard>,
    schema: Arc<Schema>,
    change: Option<SchemaChange>,
) -> Result<(), CqlError> {
    let others = (0..shard.nr_shards()).filter(|&s| s != shard.id).map(|s| {
        let (schema, change) = (schema.clone(), change.clone());
        shard.router.call(s, move |other: Rc<Shard>| async move { other.install_schema(schema, change.as_ref()) })
    });
    try_join_all(others).await?;
    shard.install_schema(schema, change.as_ref());
    Ok(())
}

/// TRUNCATE, coordinated by shard 0: every shard drops the table's data and seals its
/// commitlog segment; shard 0 records where each shard's later entries begin (so replay
/// skips the truncated ones) before acknowledging.
pub async fn truncate(shard: &Rc<Shard>, table: uuid::Uuid) -> Result<(), CqlError> {
    shard
        .router
        .call(SCHEMA_COORDINATOR_SHARD, move |coordinator: Rc<Shard>| async move {
            truncate_on_coordinator(&coordinator, table).await
        })
        .await?
}

async fn truncate_on_coordinator(shard: &Rc<Shard>, table: uuid::Uuid) -> Result<(), CqlError> {
    let _serialised =
        shard.ddl_lock.acquire_permit(1).await.map_err(|e| CqlError::server(format!("schema lock: {e}")))?;
    let sealed = shard
        .router
        .call_all(shard.nr_shards(), move |replica: Rc<crate::replica::Replica>| async move {
            replica.truncate(table).await
        })
        .await?;
    Ok(shard.replica.record_truncation(table, sealed).await?)
}
