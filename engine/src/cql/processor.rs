//! Executes QUERY, PREPARE, EXECUTE and BATCH requests: parse, analyse (or find the
//! prepared statement), bind, run the plan, produce the result.

use std::collections::HashMap;
use std::rc::Rc;

use bytes::Bytes;
use percore_protocol::cql::parse_statement;
use percore_protocol::request::{BatchRequest, BatchStatementKind, QueryParams, Request, Values};
use percore_protocol::response::{PreparedMetadata, PreparedResult, RowsMetadata};

use crate::cql::shard::Shard;
use crate::model::mutation::PartitionPosition;
use crate::schema::TableDef;

use super::bind::BoundValues;
use super::cluster_info;
use super::ddl;
use super::describe;
use super::error::CqlError;
use super::prepared_cache::prepared_id;
use super::read::select::{self, PageRequest};
use super::result::ResultMessage;
use super::session::Session;
use super::statement::modification::ModificationPlan;
use super::statement::{analyze, validate_batch, Analysed, PreparedStatement, StatementPlan};
use super::write::conditional;
use super::write::mutation_builder::{self, PartitionWrite, WriteContext};
use super::write::read_modify_write::apply_writes;
use crate::coordinator::consistency::{self, Access};
use crate::coordinator::truncate::truncate_everywhere;
use crate::coordinator::WriteType;
use percore_protocol::cql::ast::BatchKind;

pub async fn execute(shard: &Rc<Shard>, session: &Session, request: Request) -> Result<ResultMessage, CqlError> {
    match request {
        Request::Query { query, mut params } => {
            let analysed = analyse_text(shard, session.keyspace().as_deref(), &query)?;
            let values =
                BoundValues::resolve(std::mem::replace(&mut params.values, Values::None), &analysed.marker_names)?;
            run(shard, session, &analysed.plan, &values, &params).await
        }
        Request::Prepare { query } => prepare(shard, session, &query).await,
        Request::Execute { id, mut params } => {
            let statement = shard.prepared.borrow().get(&id).ok_or_else(|| CqlError::unprepared(id.clone()))?;
            let values =
                BoundValues::resolve(std::mem::replace(&mut params.values, Values::None), &statement.marker_names)?;
            run(shard, session, &statement.plan, &values, &params).await
        }
        Request::Batch(batch) => execute_batch(shard, session, batch).await,
        _ => Err(CqlError::protocol("Unexpected message".into())),
    }
}

fn analyse_text(shard: &Shard, keyspace: Option<&str>, query: &str) -> Result<Analysed, CqlError> {
    let parsed = parse_statement(query).map_err(|e| CqlError::syntax(e.to_string()))?;
    analyze(parsed, &shard.schema(), keyspace)
}

/// Prepares on this shard only (other shards do it when asked over the mesh).
pub fn prepare_locally(shard: &Shard, keyspace: Option<&str>, query: &str) -> Result<Rc<PreparedStatement>, CqlError> {
    let analysed = analyse_text(shard, keyspace, query)?;
    let id = prepared_id(keyspace, query);
    let statement = Rc::new(PreparedStatement::new(id, analysed));
    shard.prepared.borrow_mut().insert(id, statement.clone());
    Ok(statement)
}

async fn prepare(shard: &Rc<Shard>, session: &Session, query: &str) -> Result<ResultMessage, CqlError> {
    let keyspace = session.keyspace();
    let statement = prepare_locally(shard, keyspace.as_deref(), query)?;
    let others = (0..shard.nr_shards()).filter(|&s| s != shard.id).map(|s| {
        let (keyspace, query) = (keyspace.clone(), query.to_string());
        async move {
            let prepare =
                move |other: Rc<Shard>| async move { prepare_locally(&other, keyspace.as_deref(), &query).map(drop) };
            shard.router.call(s, prepare).await?
        }
    });
    futures::future::try_join_all(others).await?;
    let no_result = statement.result_columns.is_empty();
    Ok(ResultMessage::Prepared(PreparedResult {
        id: Bytes::copy_from_slice(&statement.id),
        bind: PreparedMetadata { columns: statement.bind_specs.clone(), pk_indexes: statement.pk_indexes.clone() },
        result: RowsMetadata { columns: statement.result_columns.clone(), paging_state: None, no_metadata: no_result },
    }))
}

async fn run(
    shard: &Rc<Shard>,
    session: &Session,
    plan: &StatementPlan,
    values: &BoundValues,
    params: &QueryParams,
) -> Result<ResultMessage, CqlError> {
    check_consistency(shard, plan, params.consistency, params.serial_consistency)?;
    match plan {
        StatementPlan::Select(p) => {
            let page = PageRequest {
                page_size: params.page_size,
                paging_state: params.paging_state.clone(),
                skip_metadata: params.skip_metadata,
                consistency: params.consistency,
            };
            Ok(ResultMessage::Rows(select::execute(shard, p, values, &page).await?))
        }
        StatementPlan::Modify(p) => {
            let ctx = WriteContext::new(params.timestamp, params.consistency, params.serial_consistency);
            apply_modifications(shard, &[(&**p, values)], &ctx).await
        }
        StatementPlan::Batch(b) => {
            let timestamp = match &b.timestamp {
                Some(e) => e.eval_i64(values, "timestamp")?.or(params.timestamp),
                None => params.timestamp,
            };
            let ctx = WriteContext::new(timestamp, params.consistency, params.serial_consistency)
                .with_write_type(batch_write_type(b.kind));
            let statements: Vec<_> = b.statements.iter().map(|s| (s, values)).collect();
            apply_modifications(shard, &statements, &ctx).await
        }
        StatementPlan::Use(ks) => {
            session.set_keyspace(ks.clone());
            Ok(ResultMessage::SetKeyspace(ks.clone()))
        }
        StatementPlan::Schema(statement) => match ddl::execute(shard, (**statement).clone(), session.keyspace()).await?
        {
            Some(change) => Ok(ResultMessage::SchemaChange(change)),
            None => Ok(ResultMessage::Void),
        },
        StatementPlan::Truncate(table) => {
            // The table's secondary indexes are emptied with it, on every node.
            let mut tables = vec![table.id];
            tables.extend(shard.schema().indexes_on(&table.id).iter().map(|(_, b)| b.id));
            truncate_everywhere(&shard.coordinator, tables).await?;
            Ok(ResultMessage::Void)
        }
        StatementPlan::Describe(statement) => {
            let keyspace = session.keyspace();
            let cluster = cluster_info::for_statement(shard, statement, keyspace.as_deref())?;
            let rows = describe::describe(statement, &shard.schema(), keyspace.as_deref(), &cluster)?;
            Ok(ResultMessage::Rows(rows.into_result()))
        }
    }
}

/// Applies one modification or a batch of them (a `BEGIN BATCH` statement or a BATCH
/// message): conditional ones as one LWT with the `[applied]` result, others as one write
/// per partition.
async fn apply_modifications(
    shard: &Rc<Shard>,
    statements: &[(&ModificationPlan, &BoundValues)],
    ctx: &WriteContext,
) -> Result<ResultMessage, CqlError> {
    if statements.iter().any(|(p, _)| p.condition.is_some()) {
        return Ok(ResultMessage::Rows(conditional::execute(shard, statements, ctx).await?));
    }
    let writes = match statements {
        // The common case: one statement's writes as built, no copy.
        [(plan, values)] => mutation_builder::build(plan, values, ctx)?,
        _ => {
            let mut writes = Vec::new();
            for (plan, values) in statements {
                writes.extend(mutation_builder::build(plan, values, ctx)?);
            }
            writes
        }
    };
    // A batch's statements may write one partition several times: one write per partition.
    let writes = if statements.len() > 1 && writes.len() > 1 { merge_by_partition(writes) } else { writes };
    apply_writes(shard, writes, ctx).await?;
    Ok(ResultMessage::Void)
}

/// One write per partition, so each partition's part of a batch applies atomically.
fn merge_by_partition(writes: Vec<PartitionWrite>) -> Vec<PartitionWrite> {
    let mut merged: Vec<PartitionWrite> = Vec::with_capacity(writes.len());
    let mut index: HashMap<(uuid::Uuid, PartitionPosition), usize> = HashMap::new();
    for w in writes {
        let key = (w.mutation.table_id, w.mutation.position.clone());
        match index.get(&key) {
            Some(&i) => merged[i].merge(w),
            None => {
                index.insert(key, merged.len());
                merged.push(w);
            }
        }
    }
    merged
}

async fn execute_batch(shard: &Rc<Shard>, session: &Session, batch: BatchRequest) -> Result<ResultMessage, CqlError> {
    if batch.statements.len() > crate::limits::BATCH_STATEMENTS_MAX {
        return Err(CqlError::invalid("Too many statements in BATCH".into()));
    }
    let kind = match batch.batch_type {
        BATCH_TYPE_LOGGED => BatchKind::Logged,
        BATCH_TYPE_COUNTER => BatchKind::Counter,
        _ => BatchKind::Unlogged,
    };
    let ctx = WriteContext::new(batch.timestamp, batch.consistency, batch.serial_consistency)
        .with_write_type(batch_write_type(kind));
    let keyspace = session.keyspace();
    // Analysed texts are kept here; prepared ones are shared with the cache.
    let mut analysed: Vec<Analysed> = Vec::new();
    let mut prepared: Vec<Rc<PreparedStatement>> = Vec::new();
    let mut sources = Vec::with_capacity(batch.statements.len());
    for statement in batch.statements {
        match &statement.kind {
            BatchStatementKind::Query(text) => {
                analysed.push(analyse_text(shard, keyspace.as_deref(), text)?);
                sources.push((true, analysed.len() - 1, statement.values));
            }
            BatchStatementKind::Prepared(id) => {
                let p = shard.prepared.borrow().get(id).ok_or_else(|| CqlError::unprepared(id.clone()))?;
                prepared.push(p);
                sources.push((false, prepared.len() - 1, statement.values));
            }
        }
    }
    let mut plans = Vec::with_capacity(sources.len());
    for (is_text, i, values) in sources {
        let (plan, names) = if is_text {
            (&analysed[i].plan, &analysed[i].marker_names)
        } else {
            (&prepared[i].plan, &prepared[i].marker_names)
        };
        let StatementPlan::Modify(plan) = plan else {
            return Err(CqlError::invalid("Only INSERT, UPDATE and DELETE statements are allowed in a BATCH".into()));
        };
        plans.push((&**plan, BoundValues::resolve(values, names)?));
    }
    let plan_refs: Vec<_> = plans.iter().map(|(p, _)| *p).collect();
    // The BATCH message's own timestamp is the client's default, not a `USING TIMESTAMP`:
    // Cassandra accepts it for conditional and counter batches (drivers always send one).
    validate_batch(kind, &plan_refs, false)?;
    check_modifications_consistency(shard, &plan_refs, batch.consistency, batch.serial_consistency)?;
    let statements: Vec<_> = plans.iter().map(|(p, v)| (*p, v)).collect();
    apply_modifications(shard, &statements, &ctx).await
}

/// The consistency levels of a request, checked before any work: levels that make no sense
/// for what the statement does are refused, and a scan needs every range available (a
/// single-partition request is checked against its own replicas by the coordinator).
fn check_consistency(
    shard: &Shard,
    plan: &StatementPlan,
    consistency: u16,
    serial_consistency: Option<u16>,
) -> Result<(), CqlError> {
    let modifications: Vec<&ModificationPlan> = match plan {
        StatementPlan::Select(p) => {
            check_table_consistency(shard, &p.table, consistency, Access::Read)?;
            if p.restrictions.partition.is_none() && !p.table.is_virtual {
                if let Some(keyspace) = shard.schema().keyspace(&p.table.keyspace) {
                    shard.coordinator.assure_available_everywhere(keyspace, consistency)?;
                }
            }
            return Ok(());
        }
        StatementPlan::Modify(p) => vec![&**p],
        StatementPlan::Batch(b) => b.statements.iter().collect(),
        _ => return Ok(()),
    };
    check_modifications_consistency(shard, &modifications, consistency, serial_consistency)
}

/// The levels of writes: a conditional one (or any write of a batch holding one) runs as a
/// conditional write, and its Paxos read at the serial level.
fn check_modifications_consistency(
    shard: &Shard,
    modifications: &[&ModificationPlan],
    consistency: u16,
    serial_consistency: Option<u16>,
) -> Result<(), CqlError> {
    let conditional = modifications.iter().any(|p| p.condition.is_some());
    for p in modifications {
        let access = if conditional { Access::ConditionalWrite } else { Access::Write };
        check_table_consistency(shard, &p.table, consistency, access)?;
        if p.condition.is_some() {
            check_table_consistency(shard, &p.table, serial(serial_consistency), Access::Read)?;
        }
    }
    Ok(())
}

fn check_table_consistency(_shard: &Shard, table: &TableDef, level: u16, access: Access) -> Result<(), CqlError> {
    if table.is_virtual {
        return Ok(());
    }
    Ok(consistency::validate(level, access)?)
}

/// The serial level of a conditional write (SERIAL when the request does not say).
fn serial(serial_consistency: Option<u16>) -> u16 {
    serial_consistency.unwrap_or(percore_protocol::wire::consistency::SERIAL)
}

/// What a batch's timeout reports: logged batches are written as BATCH (their batchlog is
/// a later step), unlogged ones as UNLOGGED_BATCH, counter batches as COUNTER.
fn batch_write_type(kind: BatchKind) -> WriteType {
    match kind {
        BatchKind::Logged => WriteType::Batch,
        BatchKind::Unlogged => WriteType::UnloggedBatch,
        BatchKind::Counter => WriteType::Counter,
    }
}

/// BATCH message type byte for logged batches.
const BATCH_TYPE_LOGGED: u8 = 0;
/// BATCH message type byte for counter batches.
const BATCH_TYPE_COUNTER: u8 = 2;
