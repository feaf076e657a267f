//! Statement analysis: a parsed statement checked against the schema and turned into a
//! [`StatementPlan`] plus the types of its bind markers. Prepared statements keep the plan;
//! simple statements are analysed per request.

pub mod aggregate;
pub mod conditions;
pub mod cql_text;
pub mod index_choice;
pub mod modification;
pub mod operation;
pub mod projection;
pub mod restrictions;
pub mod select;

use std::sync::Arc;

use percore_protocol::cql::ast::{BatchKind, DescribeStatement, QualifiedName, Statement};
use percore_protocol::cql::ParsedStatement;
use percore_protocol::response::ColumnSpec;

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::prepared_cache::PreparedId;
use crate::cql::term::{analyze_term, BindSpecs, Receiver};
use crate::schema::change::{keyspace_of, unknown_keyspace, unknown_table};
use crate::schema::{Schema, TableDef};

use self::modification::ModificationPlan;
use self::restrictions::ColumnValues;
use self::select::SelectPlan;

#[derive(Debug)]
pub enum StatementPlan {
    Select(Box<SelectPlan>),
    Modify(Box<ModificationPlan>),
    Batch(BatchPlan),
    Use(String),
    /// DDL keeps its AST: shard 0 applies it to whatever schema is current then.
    Schema(Box<Statement>),
    Truncate(Arc<TableDef>),
    /// DESCRIBE keeps its AST: it is answered from the schema and the session keyspace current
    /// at execution, as Cassandra does.
    Describe(DescribeStatement),
}

#[derive(Debug)]
pub struct BatchPlan {
    pub kind: BatchKind,
    pub statements: Vec<ModificationPlan>,
    pub timestamp: Option<ValueExpr>,
}

/// A statement analysed once and kept for EXECUTE.
#[derive(Debug)]
pub struct PreparedStatement {
    pub id: PreparedId,
    pub plan: StatementPlan,
    pub bind_specs: Vec<ColumnSpec>,
    pub marker_names: Vec<Option<String>>,
    /// For each partition key column, the marker that binds it (empty if not all bound).
    pub pk_indexes: Vec<u16>,
    pub result_columns: std::sync::Arc<[ColumnSpec]>,
}

/// The outcome of analysis.
pub struct Analysed {
    pub plan: StatementPlan,
    pub bind_specs: Vec<ColumnSpec>,
    pub marker_names: Vec<Option<String>>,
}

pub fn resolve_table(
    schema: &Schema,
    name: &QualifiedName,
    session_keyspace: Option<&str>,
) -> Result<Arc<TableDef>, CqlError> {
    let keyspace = keyspace_of(name, session_keyspace)?;
    let ks = schema.keyspace(&keyspace).ok_or_else(|| unknown_keyspace(&keyspace))?;
    ks.user_table(&name.name).cloned().ok_or_else(|| unknown_table(&keyspace, &name.name).into())
}

fn writable_table(
    schema: &Schema,
    name: &QualifiedName,
    session_keyspace: Option<&str>,
) -> Result<Arc<TableDef>, CqlError> {
    let table = resolve_table(schema, name, session_keyspace)?;
    if table.is_virtual {
        return Err(CqlError::unauthorized(format!("{} keyspace is not user-modifiable.", table.keyspace)));
    }
    Ok(table)
}

fn analyze_modification(
    statement: &Statement,
    schema: &Schema,
    ks: Option<&str>,
    binds: &mut BindSpecs,
) -> Result<ModificationPlan, CqlError> {
    match statement {
        Statement::Insert(s) => modification::analyze_insert(s, writable_table(schema, &s.table, ks)?, binds),
        Statement::Update(s) => modification::analyze_update(s, writable_table(schema, &s.table, ks)?, binds),
        Statement::Delete(s) => modification::analyze_delete(s, writable_table(schema, &s.table, ks)?, binds),
        _ => Err(CqlError::invalid("Only INSERT, UPDATE and DELETE statements are allowed in a BATCH".into())),
    }
}

pub fn analyze(parsed: ParsedStatement, schema: &Schema, session_keyspace: Option<&str>) -> Result<Analysed, CqlError> {
    let names = parsed.bind_markers.iter().map(|m| m.name.clone()).collect();
    let mut binds = BindSpecs::new(names);
    let ks = session_keyspace;
    let plan = match parsed.statement {
        Statement::Select(s) => {
            let table = resolve_table(schema, &s.from, ks)?;
            let indexes = schema.indexes_on(&table.id);
            StatementPlan::Select(Box::new(select::analyze_select(&s, table, indexes, &mut binds)?))
        }
        s @ (Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_)) => {
            StatementPlan::Modify(Box::new(analyze_modification(&s, schema, ks, &mut binds)?))
        }
        Statement::Batch(b) => {
            if b.using.ttl.is_some() {
                return Err(CqlError::invalid("Global TTL on the BATCH statement is not supported.".into()));
            }
            let statements = b
                .statements
                .iter()
                .map(|s| analyze_modification(s, schema, ks, &mut binds))
                .collect::<Result<Vec<_>, _>>()?;
            validate_batch(b.kind, &statements.iter().collect::<Vec<_>>(), b.using.timestamp.is_some())?;
            if b.using.timestamp.is_some() && statements.iter().any(|s| s.timestamp.is_some()) {
                return Err(CqlError::invalid("Timestamp must be set either on BATCH or individual statements".into()));
            }
            let timestamp = b
                .using
                .timestamp
                .as_ref()
                .map(|t| {
                    let r = Receiver {
                        keyspace: String::new(),
                        table: String::new(),
                        name: "[timestamp]".into(),
                        ty: percore_protocol::types::CqlType::Bigint,
                    };
                    analyze_term(t, &r, &mut binds)
                })
                .transpose()?;
            StatementPlan::Batch(BatchPlan { kind: b.kind, statements, timestamp })
        }
        Statement::Use(u) => {
            if schema.keyspace(&u.keyspace).is_none() {
                return Err(unknown_keyspace(&u.keyspace).into());
            }
            StatementPlan::Use(u.keyspace)
        }
        Statement::Truncate(t) => StatementPlan::Truncate(writable_table(schema, &t.name, ks)?),
        Statement::Describe(d) => StatementPlan::Describe(d),
        ddl => StatementPlan::Schema(Box::new(ddl)),
    };
    let (bind_specs, marker_names) = binds.finish()?;
    Ok(Analysed { plan, bind_specs, marker_names })
}

/// Cassandra's rules for what a batch of each kind may hold.
pub fn validate_batch(
    kind: BatchKind,
    statements: &[&ModificationPlan],
    custom_timestamp: bool,
) -> Result<(), CqlError> {
    let has_counters = statements.iter().any(|s| s.is_counter());
    let has_regular = statements.iter().any(|s| !s.is_counter());
    if kind == BatchKind::Logged && has_counters {
        return Err(CqlError::invalid("Cannot include a counter statement in a logged batch".into()));
    }
    if kind == BatchKind::Counter && has_regular {
        return Err(CqlError::invalid("Cannot include non-counter statement in a counter batch".into()));
    }
    if has_counters && has_regular {
        return Err(CqlError::invalid("Counter and non-counter mutations cannot exist in the same batch".into()));
    }
    if custom_timestamp && has_counters {
        return Err(CqlError::invalid("Cannot provide custom timestamp for counter BATCH".into()));
    }
    if custom_timestamp && statements.iter().any(|s| s.condition.is_some()) {
        return Err(CqlError::invalid("Cannot provide custom timestamp for conditional BATCH".into()));
    }
    Ok(())
}

impl PreparedStatement {
    pub fn new(id: PreparedId, analysed: Analysed) -> PreparedStatement {
        let (pk_indexes, result_columns) = match &analysed.plan {
            StatementPlan::Select(p) => {
                (pk_indexes(&p.table, p.restrictions.partition.as_deref()), p.result_columns.clone())
            }
            StatementPlan::Modify(p) => (pk_indexes(&p.table, p.restrictions.partition.as_deref()), Vec::new().into()),
            StatementPlan::Batch(b) => match b.statements.first() {
                Some(p) => (pk_indexes(&p.table, p.restrictions.partition.as_deref()), Vec::new().into()),
                None => (vec![], Vec::new().into()),
            },
            _ => (vec![], Vec::new().into()),
        };
        PreparedStatement {
            id,
            plan: analysed.plan,
            bind_specs: analysed.bind_specs,
            marker_names: analysed.marker_names,
            pk_indexes,
            result_columns,
        }
    }
}

/// The markers that bind each partition key column, when every one is `= ?`.
fn pk_indexes(table: &TableDef, partition: Option<&[ColumnValues]>) -> Vec<u16> {
    let Some(columns) = partition else { return vec![] };
    let indexes: Option<Vec<u16>> = columns
        .iter()
        .map(|c| match c {
            ColumnValues::Eq(ValueExpr::Bind(i)) => u16::try_from(*i).ok(),
            _ => None,
        })
        .collect();
    debug_assert!(indexes.as_ref().is_none_or(|i| i.len() == table.partition_key.len()));
    indexes.unwrap_or_default()
}
