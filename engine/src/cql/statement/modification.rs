//! INSERT, UPDATE and DELETE analysed into a [`ModificationPlan`]: which partition and
//! clustering restrictions select the rows, which cells are set or deleted, and TTL and
//! timestamp sources. Building the mutations from bound values is `cql::write`.

use std::sync::Arc;

use percore_protocol::cql::ast::Operator;
use percore_protocol::cql::ast::{
    DeleteStatement, InsertStatement, InsertValues, Relation, UpdateStatement, UsingClause,
};
use percore_protocol::types::CqlType;

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::term::{analyze_term, BindSpecs, Receiver};
use crate::model::mutation::ColumnId;
use crate::schema::{ColumnKind, TableDef};

use super::conditions::{self, ConditionPlan};
use super::operation::{analyze_assignment, analyze_deletion, Deletion, Operation};
use super::restrictions::{self, column_id, RestrictionContext, Restrictions};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModificationKind {
    Insert,
    Update,
    Delete,
}

#[derive(Debug)]
pub struct ModificationPlan {
    pub table: Arc<TableDef>,
    pub kind: ModificationKind,
    pub restrictions: Restrictions,
    /// What INSERT/UPDATE does to each column it names.
    pub assignments: Vec<(ColumnId, Operation)>,
    /// What `DELETE a, b[k] FROM ...` deletes (empty: the whole row/range/partition).
    pub deletions: Vec<(ColumnId, Deletion)>,
    pub ttl: Option<ValueExpr>,
    pub timestamp: Option<ValueExpr>,
    /// The IF clause of a lightweight transaction.
    pub condition: Option<ConditionPlan>,
    /// `INSERT JSON`: the document's source and whether missing columns are left unset
    /// (`DEFAULT UNSET`) rather than null.
    pub json: Option<(ValueExpr, bool)>,
}

fn pseudo_receiver(table: &TableDef, name: &str, ty: CqlType) -> Receiver {
    Receiver { keyspace: table.keyspace.clone(), table: table.name.clone(), name: name.into(), ty }
}

fn analyze_using(
    using: &UsingClause,
    table: &TableDef,
    binds: &mut BindSpecs,
    allow_ttl: bool,
) -> Result<(Option<ValueExpr>, Option<ValueExpr>), CqlError> {
    if using.ttl.is_some() && !allow_ttl {
        return Err(CqlError::invalid("A TTL must not be specified on DELETE".into()));
    }
    let ttl = using
        .ttl
        .as_ref()
        .map(|t| analyze_term(t, &pseudo_receiver(table, "[ttl]", CqlType::Int), binds))
        .transpose()?;
    let ts = using
        .timestamp
        .as_ref()
        .map(|t| analyze_term(t, &pseudo_receiver(table, "[timestamp]", CqlType::Bigint), binds))
        .transpose()?;
    Ok((ttl, ts))
}

/// Analyses a statement's IF clause and checks what a conditional statement may not do.
fn analyze_condition(
    table: &TableDef,
    stmt_if: (bool, bool, &[percore_protocol::cql::ast::Condition]),
    using: &UsingClause,
    binds: &mut BindSpecs,
) -> Result<Option<ConditionPlan>, CqlError> {
    let (if_not_exists, if_exists, conditions) = stmt_if;
    let plan = conditions::analyze(table, if_not_exists, if_exists, conditions, binds)?;
    if plan.is_some() {
        if table.is_counter() {
            return Err(CqlError::invalid("Conditional updates are not supported on counter tables".into()));
        }
        if using.timestamp.is_some() {
            return Err(CqlError::invalid("Cannot provide custom timestamp for conditional updates".into()));
        }
    }
    Ok(plan)
}

/// Conditional statements name one partition and (unless only static columns are
/// involved) one row.
fn check_conditional_target(
    table: &TableDef,
    kind: ModificationKind,
    condition: &ConditionPlan,
    r: &Restrictions,
) -> Result<(), CqlError> {
    let what = if kind == ModificationKind::Delete { "deletions" } else { "updates" };
    let single_partition =
        r.partition.as_ref().is_some_and(|p| p.iter().all(|c| matches!(c, super::restrictions::ColumnValues::Eq(_))));
    if !single_partition {
        return Err(CqlError::invalid(format!("IN on the partition key is not supported with conditional {what}")));
    }
    if r.clustering_prefix.iter().any(|c| matches!(c, super::restrictions::ColumnValues::In(_))) {
        return Err(CqlError::invalid(format!(
            "IN on the clustering key columns is not supported with conditional {what}"
        )));
    }
    let static_only = condition.columns(table).iter().all(|id| table.column(*id).kind == ColumnKind::Static)
        && !matches!(condition, ConditionPlan::NotExists | ConditionPlan::Exists);
    let given = r.clustering_prefix.len();
    if given < table.clustering_key.len() && !(static_only && given == 0) {
        let missing = &table.column(table.clustering_key[given]).name;
        if kind == ModificationKind::Delete {
            return Err(CqlError::invalid(format!(
                "DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to use IF conditions, but column '{missing}' is not restricted"
            )));
        }
        return Err(CqlError::invalid(format!("Missing mandatory PRIMARY KEY part {missing}")));
    }
    Ok(())
}

impl ModificationPlan {
    /// Whether building the write needs the current values of the row (counters, list
    /// indexes), read on the owner shard.
    pub fn reads_current_values(&self) -> bool {
        self.assignments.iter().any(|(id, op)| op.reads_current_value(&self.table.column(*id).ty))
            || self.deletions.iter().any(|(id, d)| d.reads_current_value(&self.table.column(*id).ty))
    }

    pub fn is_counter(&self) -> bool {
        self.table.is_counter()
    }
}

fn receiver_of(table: &TableDef, id: ColumnId) -> Receiver {
    let c = table.column(id);
    Receiver { keyspace: table.keyspace.clone(), table: table.name.clone(), name: c.name.clone(), ty: c.ty.clone() }
}

pub fn analyze_insert(
    stmt: &InsertStatement,
    table: Arc<TableDef>,
    binds: &mut BindSpecs,
) -> Result<ModificationPlan, CqlError> {
    let condition = analyze_condition(&table, (stmt.if_not_exists, false, &[]), &stmt.using, binds)?;
    if table.columns.iter().any(|c| c.ty.is_counter()) {
        return Err(CqlError::invalid(
            "INSERT statements are not allowed on counter tables, use UPDATE instead".into(),
        ));
    }
    let (columns, values) = match &stmt.values {
        InsertValues::Columns { columns, values } => (columns, values),
        InsertValues::Json { value, default_unset } => {
            let receiver = pseudo_receiver(&table, "[json]", CqlType::Text);
            let json = analyze_term(value, &receiver, binds)?;
            let (ttl, timestamp) = analyze_using(&stmt.using, &table, binds, true)?;
            return Ok(ModificationPlan {
                table,
                kind: ModificationKind::Insert,
                restrictions: Restrictions::default(),
                assignments: vec![],
                deletions: vec![],
                ttl,
                timestamp,
                condition,
                json: Some((json, *default_unset)),
            });
        }
    };
    if columns.len() != values.len() {
        return Err(CqlError::invalid("Unmatched column names/values".into()));
    }
    let mut relations = Vec::new();
    let mut assignments = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (name, value) in columns.iter().zip(values) {
        let id = column_id(&table, name)?;
        if !seen.insert(id) {
            return Err(CqlError::invalid(format!("Multiple definitions found for column {name}")));
        }
        if table.column(id).kind.is_primary_key() {
            relations.push(Relation::Simple { column: name.clone(), op: Operator::Eq, value: value.clone() });
        } else {
            assignments.push((id, Operation::Set(analyze_term(value, &receiver_of(&table, id), binds)?)));
        }
    }
    let missing_ck: Vec<&str> =
        table.clustering_key.iter().filter(|id| !seen.contains(id)).map(|&id| table.column(id).name.as_str()).collect();
    let restrictions = restrictions::analyze(
        &relations,
        RestrictionContext { table: &table, binds, for_read: false, allow_filtering: false },
    )?;
    // An INSERT of static columns only may leave the whole clustering key out.
    let only_static = !assignments.is_empty()
        && assignments.iter().all(|(id, _)| table.column(*id).kind == ColumnKind::Static)
        && missing_ck.len() == table.clustering_key.len();
    if !missing_ck.is_empty() && !only_static {
        return Err(CqlError::invalid(format!("Some clustering keys are missing: {}", missing_ck.join(", "))));
    }
    let (ttl, timestamp) = analyze_using(&stmt.using, &table, binds, true)?;
    Ok(ModificationPlan {
        table,
        kind: ModificationKind::Insert,
        restrictions,
        assignments,
        deletions: vec![],
        ttl,
        timestamp,
        condition,
        json: None,
    })
}

pub fn analyze_update(
    stmt: &UpdateStatement,
    table: Arc<TableDef>,
    binds: &mut BindSpecs,
) -> Result<ModificationPlan, CqlError> {
    let (ttl, timestamp) = analyze_using(&stmt.using, &table, binds, true)?;
    if table.is_counter() {
        refuse_custom_stamps(&stmt.using)?;
    }
    let mut assignments: Vec<(ColumnId, Operation)> = Vec::new();
    for a in &stmt.assignments {
        let (id, op) = analyze_assignment(a, &table, binds)?;
        let overwrites = |o: &Operation| matches!(o, Operation::Set(_));
        if assignments.iter().any(|(c, other)| *c == id && (overwrites(&op) || overwrites(other))) {
            return Err(CqlError::invalid(format!(
                "Multiple incompatible setting of column {}",
                table.column(id).name
            )));
        }
        assignments.push((id, op));
    }
    let restrictions = restrictions::analyze(
        &stmt.where_clause,
        RestrictionContext { table: &table, binds, for_read: false, allow_filtering: false },
    )?;
    let only_static = assignments.iter().all(|(id, _)| table.column(*id).kind == ColumnKind::Static);
    check_full_clustering(&table, &restrictions, only_static && !assignments.is_empty(), ModificationKind::Update)?;
    let condition = analyze_condition(&table, (false, stmt.if_exists, &stmt.conditions), &stmt.using, binds)?;
    if let Some(c) = &condition {
        check_conditional_target(&table, ModificationKind::Update, c, &restrictions)?;
    }
    Ok(ModificationPlan {
        table,
        kind: ModificationKind::Update,
        restrictions,
        assignments,
        deletions: vec![],
        ttl,
        timestamp,
        condition,
        json: None,
    })
}

/// Counters take the server's timestamp and never expire.
fn refuse_custom_stamps(using: &UsingClause) -> Result<(), CqlError> {
    if using.timestamp.is_some() {
        return Err(CqlError::invalid("Cannot provide custom timestamp for counter updates".into()));
    }
    if using.ttl.is_some() {
        return Err(CqlError::invalid("Cannot provide custom TTL for counter updates".into()));
    }
    Ok(())
}

pub fn analyze_delete(
    stmt: &DeleteStatement,
    table: Arc<TableDef>,
    binds: &mut BindSpecs,
) -> Result<ModificationPlan, CqlError> {
    let (_, timestamp) = analyze_using(&stmt.using, &table, binds, false)?;
    let mut deletions = Vec::new();
    for selector in &stmt.columns {
        deletions.push(analyze_deletion(selector, &table, binds)?);
    }
    let restrictions = restrictions::analyze(
        &stmt.where_clause,
        RestrictionContext { table: &table, binds, for_read: false, allow_filtering: false },
    )?;
    if !deletions.is_empty() {
        let only_static = deletions.iter().all(|(id, _)| table.column(*id).kind == ColumnKind::Static);
        check_full_clustering(&table, &restrictions, only_static, ModificationKind::Delete)?;
    }
    let condition = analyze_condition(&table, (false, stmt.if_exists, &stmt.conditions), &stmt.using, binds)?;
    if let Some(c) = &condition {
        check_conditional_target(&table, ModificationKind::Delete, c, &restrictions)?;
    }
    Ok(ModificationPlan {
        table,
        kind: ModificationKind::Delete,
        restrictions,
        assignments: vec![],
        deletions,
        ttl: None,
        timestamp,
        condition,
        json: None,
    })
}

/// Writes to regular cells need the whole clustering key; static-only writes need none.
fn check_full_clustering(
    table: &TableDef,
    r: &Restrictions,
    only_static: bool,
    kind: ModificationKind,
) -> Result<(), CqlError> {
    let given = r.clustering_prefix.len();
    if r.clustering_slice.is_some() {
        return Err(CqlError::invalid(if kind == ModificationKind::Delete {
            "Range deletions are not supported for specific columns".into()
        } else {
            "Slice restrictions are not supported on the clustering columns of an UPDATE statement".into()
        }));
    }
    if only_static {
        if given > 0 {
            let statement = if kind == ModificationKind::Delete { "DELETE" } else { "UPDATE" };
            return Err(CqlError::invalid(format!(
                "Invalid restrictions on clustering columns since the {statement} statement modifies only static columns"
            )));
        }
        return Ok(());
    }
    if given < table.clustering_key.len() {
        let missing = table.column(table.clustering_key[given]).name.clone();
        return Err(CqlError::invalid(format!("Missing mandatory PRIMARY KEY part {missing}")));
    }
    Ok(())
}
