//! `INSERT JSON`: the bound document becomes the plain INSERT it stands for — every key
//! column from the document, every other named column set to its value, and the columns it
//! leaves out set to null (or left alone with `DEFAULT UNSET`) — checked and converted with
//! Cassandra's JSON rules and messages.

use bytes::Bytes;
use percore_protocol::types::{json_object_to_columns, json_value_to_bytes, CqlType};

use crate::cql::bind::{BoundValues, Evaluated, ValueExpr};
use crate::cql::error::CqlError;
use crate::cql::statement::modification::{ModificationKind, ModificationPlan};
use crate::cql::statement::operation::Operation;
use crate::cql::statement::restrictions::{ColumnValues, Restrictions};
use crate::cql::term::normalize_collection;
use crate::schema::ColumnKind;

/// The plain INSERT an `INSERT JSON` plan stands for with these values.
pub fn expand(
    plan: &ModificationPlan,
    json: &ValueExpr,
    default_unset: bool,
    values: &BoundValues,
) -> Result<ModificationPlan, CqlError> {
    let table = &plan.table;
    let text = match json.eval(values, &CqlType::Text, "[json]")? {
        Evaluated::Value(b) => {
            String::from_utf8(b.to_vec()).map_err(|_| CqlError::invalid("Invalid UTF-8 in JSON value".into()))?
        }
        Evaluated::Null => return Err(CqlError::invalid("Got null for INSERT JSON values".into())),
        Evaluated::Unset => return Err(CqlError::invalid("Got unset for INSERT JSON values".into())),
    };
    let members = json_object_to_columns(&text).map_err(|e| CqlError::invalid(e.to_string()))?;
    let mut given: Vec<Option<Option<Bytes>>> = vec![None; table.columns.len()];
    for (name, value) in &members {
        let id = table
            .column_id(name)
            .ok_or_else(|| CqlError::invalid(format!("JSON values map contains unrecognized column: {name}")))?;
        let column = table.column(id);
        let bytes = json_value_to_bytes(&column.ty, value)
            .map_err(|e| CqlError::invalid(format!("Error decoding JSON value for {name}: {e}")))?;
        let bytes = bytes.map(|b| normalize_collection(&column.ty, Bytes::from(b)));
        given[id as usize] = Some(
            bytes.transpose().map_err(|e| CqlError::invalid(format!("Error decoding JSON value for {name}: {e}")))?,
        );
    }
    let key_value = |id: u16, what: &str| -> Result<ValueExpr, CqlError> {
        let name = &table.column(id).name;
        match &given[id as usize] {
            Some(Some(b)) => Ok(ValueExpr::Const(Some(b.clone()))),
            _ => Err(CqlError::invalid(format!("Invalid null value in condition for {what} column {name}"))),
        }
    };
    let partition = table
        .partition_key
        .iter()
        .map(|&id| Ok(ColumnValues::Eq(key_value(id, "partition key")?)))
        .collect::<Result<_, CqlError>>()?;
    let clustering_prefix = table
        .clustering_key
        .iter()
        .map(|&id| Ok(ColumnValues::Eq(key_value(id, "clustering")?)))
        .collect::<Result<_, CqlError>>()?;
    let mut assignments = Vec::new();
    for (i, column) in table.columns.iter().enumerate() {
        if !matches!(column.kind, ColumnKind::Regular | ColumnKind::Static) || column.is_hidden() {
            continue;
        }
        match &given[i] {
            Some(value) => assignments.push((i as u16, Operation::Set(ValueExpr::Const(value.clone())))),
            None if default_unset => {}
            None => assignments.push((i as u16, Operation::Set(ValueExpr::Const(None)))),
        }
    }
    Ok(ModificationPlan {
        table: table.clone(),
        kind: ModificationKind::Insert,
        restrictions: Restrictions { partition: Some(partition), clustering_prefix, ..Restrictions::default() },
        assignments,
        deletions: vec![],
        ttl: plan.ttl.clone(),
        timestamp: plan.timestamp.clone(),
        condition: None,
        json: None,
    })
}
