//! Schema changes, through group 0. Shard 0 of the node a client sent DDL to computes the
//! next schema from the state it has applied and proposes it to group 0, guarded by that
//! state's id (a concurrent change through another node makes the proposal a conflict: it
//! recomputes from the newer state, so `IF NOT EXISTS` races end with one table). Every
//! node applies the committed change the same way ([`install_applied`]): it installs the
//! schema on every other shard over the mesh and then on shard 0, pushing the
//! SCHEMA_CHANGE event to its clients, and builds new indexes over its rows. The client is
//! answered once its own node has applied the change.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use futures::future::try_join_all;
use percore_protocol::cql::ast::Statement;
use percore_protocol::response::{SchemaChange, SchemaChangeType};

use crate::cluster::group0::command::{Change, Group0Command, Group0Response, SchemaEvent};
use crate::cluster::group0::service::{Group0, Group0Error};
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
    let group0 = shard.router.local::<Group0>().ok_or_else(|| CqlError::server("group 0 is not running".into()))?;
    group0.read_barrier().await.map_err(group0_error)?;
    loop {
        // No await between these two reads: the schema is the one of this state or newer
        // (a newer one makes the proposal a conflict, and the loop recomputes).
        let state_id = group0.state().state_id;
        let previous = shard.schema();
        let DdlOutcome::Changed { schema, event } =
            change::apply(&previous, &statement, keyspace.as_deref(), &shard.node.config.data_center)?
        else {
            return Ok(None);
        };
        check_compaction_options(&previous, &schema)?;
        let (keyspaces, dropped) = changed_keyspaces(&previous, &schema);
        let change = Change::Schema { keyspaces, dropped, event: Some(schema_event(&event)) };
        match group0.propose(Group0Command::new(state_id, change)).await.map_err(group0_error)? {
            Group0Response::Applied { .. } => return Ok(Some(event)),
            Group0Response::Conflict { .. } => continue,
            Group0Response::Rejected { reason } => return Err(CqlError::invalid(reason)),
        }
    }
}

/// Applies a schema group 0 committed, on this node (run on shard 0 by the node's
/// applied-state listener): every shard gets it and tells its clients, then indexes the
/// change created are built over this node's rows.
pub async fn install_applied(shard: &Rc<Shard>, schema: Schema, events: Vec<SchemaChange>) -> Result<(), CqlError> {
    let created = created_indexes(&shard.schema(), &schema);
    broadcast_schema(shard, Arc::new(schema), events).await?;
    for (table, index) in created {
        backfill_index(shard, table, index).await?;
    }
    Ok(())
}

/// The user keyspaces `next` adds or changes (each as the statements that rebuild it) and
/// those it drops, against `previous`.
fn changed_keyspaces(previous: &Schema, next: &Schema) -> (BTreeMap<String, Vec<String>>, Vec<String>) {
    let before = persist::statements_by_keyspace(previous);
    let after = persist::statements_by_keyspace(next);
    let dropped = before.keys().filter(|k| !after.contains_key(*k)).cloned().collect();
    let changed = after.into_iter().filter(|(k, statements)| before.get(k) != Some(statements)).collect();
    (changed, dropped)
}

fn group0_error(e: Group0Error) -> CqlError {
    CqlError::server(format!("Cannot apply the schema change: {e}"))
}

/// The event as group 0 carries it.
fn schema_event(change: &SchemaChange) -> SchemaEvent {
    let (keyspace, name, arg_types) = match change {
        SchemaChange::Keyspace { keyspace, .. } => (keyspace, None, vec![]),
        SchemaChange::Table { keyspace, table: name, .. } | SchemaChange::Type { keyspace, name, .. } => {
            (keyspace, Some(name.clone()), vec![])
        }
        SchemaChange::Function { keyspace, name, arg_types, .. }
        | SchemaChange::Aggregate { keyspace, name, arg_types, .. } => {
            (keyspace, Some(name.clone()), arg_types.clone())
        }
    };
    SchemaEvent {
        change: change.change().as_str().to_string(),
        target: change.target().to_string(),
        keyspace: keyspace.clone(),
        name,
        arg_types,
    }
}

/// The event clients are told, from group 0's form (`None` if it names nothing known).
pub fn client_event(event: &SchemaEvent) -> Option<SchemaChange> {
    let change = match event.change.as_str() {
        "CREATED" => SchemaChangeType::Created,
        "UPDATED" => SchemaChangeType::Updated,
        "DROPPED" => SchemaChangeType::Dropped,
        _ => return None,
    };
    let keyspace = event.keyspace.clone();
    let name = || event.name.clone();
    Some(match event.target.as_str() {
        "KEYSPACE" => SchemaChange::Keyspace { change, keyspace },
        "TABLE" => SchemaChange::Table { change, keyspace, table: name()? },
        "TYPE" => SchemaChange::Type { change, keyspace, name: name()? },
        "FUNCTION" => SchemaChange::Function { change, keyspace, name: name()?, arg_types: event.arg_types.clone() },
        "AGGREGATE" => SchemaChange::Aggregate { change, keyspace, name: name()?, arg_types: event.arg_types.clone() },
        _ => return None,
    })
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
async fn broadcast_schema(shard: &Rc<Shard>, schema: Arc<Schema>, changes: Vec<SchemaChange>) -> Result<(), CqlError> {
    let others = (0..shard.nr_shards()).filter(|&s| s != shard.id).map(|s| {
        let (schema, changes) = (schema.clone(), changes.clone());
        shard.router.call(s, move |other: Rc<Shard>| async move { other.install_schema(schema, &changes) })
    });
    try_join_all(others).await?;
    shard.install_schema(schema, &changes);
    Ok(())
}
