//! Analysed restrictions expanded with one execution's bound values: the partition keys and
//! clustering prefixes a statement names (IN lists as cartesian products, refused past
//! Cassandra's limits), and the values of an equality or IN.

use bytes::Bytes;
use percore_protocol::types::CqlType;

use crate::cql::bind::{BoundValues, Evaluated, ValueExpr};
use crate::cql::error::CqlError;
use crate::model::mutation::ColumnId;
use crate::schema::TableDef;

use super::{ColumnValues, InList, Restrictions};

impl Restrictions {
    /// The bound values of a clustering prefix restricted by equalities only (reads and
    /// conditional writes, which refuse clustering `IN` when they are analysed).
    pub fn clustering_values(&self, table: &TableDef, values: &BoundValues) -> Result<Vec<Bytes>, CqlError> {
        self.clustering_prefix
            .iter()
            .zip(&table.clustering_key)
            .map(|(restriction, &id)| {
                let c = table.column(id);
                match restriction {
                    ColumnValues::Eq(e) => key_value(e, values, &c.ty, &c.name),
                    ColumnValues::In(_) => Err(CqlError::invalid(format!(
                        "IN on the clustering key column {} is not supported here",
                        c.name
                    ))),
                }
            })
            .collect()
    }

    /// Every clustering prefix a modification names: the cartesian product of its
    /// equalities and `IN` lists, each prefix as its serialized components.
    pub fn clustering_prefixes(&self, table: &TableDef, values: &BoundValues) -> Result<Vec<Vec<Bytes>>, CqlError> {
        let options = values_per_column(table, &self.clustering_prefix, &table.clustering_key, values)?;
        cartesian_product(options, crate::limits::CLUSTERING_KEYS_PER_MODIFICATION_MAX, "clustering key")
    }
}

/// Expands partition key restrictions into every key they name (IN is a cartesian
/// product), each as the list of serialized components.
pub fn partition_keys(
    table: &TableDef,
    columns: &[ColumnValues],
    values: &BoundValues,
) -> Result<Vec<Vec<Bytes>>, CqlError> {
    let options_per_column = values_per_column(table, columns, &table.partition_key, values)?;
    let keys = cartesian_product(options_per_column, crate::limits::PARTITION_KEYS_PER_QUERY_MAX, "partition key")?;
    for key in &keys {
        for (component, &id) in key.iter().zip(&table.partition_key) {
            if component.len() > crate::limits::KEY_COMPONENT_BYTES_MAX {
                return Err(CqlError::invalid(format!(
                    "Key length of {} is longer than maximum of {} for column {}",
                    component.len(),
                    crate::limits::KEY_COMPONENT_BYTES_MAX,
                    table.column(id).name
                )));
            }
        }
        // A composite key serializes each component with a 2-byte length and a 0 byte.
        let serialized: usize = if key.len() == 1 { key[0].len() } else { key.iter().map(|c| c.len() + 3).sum() };
        if serialized > crate::limits::PARTITION_KEY_BYTES_MAX {
            return Err(CqlError::invalid(format!(
                "Key length of {serialized} is longer than maximum of {}",
                crate::limits::PARTITION_KEY_BYTES_MAX
            )));
        }
    }
    Ok(keys)
}

/// The values each restricted key column names, in key order.
fn values_per_column(
    table: &TableDef,
    restrictions: &[ColumnValues],
    columns: &[ColumnId],
    values: &BoundValues,
) -> Result<Vec<Vec<Bytes>>, CqlError> {
    restrictions
        .iter()
        .zip(columns)
        .map(|(restriction, &id)| {
            let c = table.column(id);
            column_values(restriction, values, &c.ty, &c.name)
        })
        .collect()
}

/// Every combination of one value per column, refused past `max` combinations with
/// Cassandra's message.
fn cartesian_product(options: Vec<Vec<Bytes>>, max: usize, what: &str) -> Result<Vec<Vec<Bytes>>, CqlError> {
    let combinations = options.iter().fold(1usize, |n, o| n.saturating_mul(o.len()));
    if combinations > max {
        return Err(CqlError::invalid(format!(
            "{what} cartesian product size {combinations} is greater than maximum {max}"
        )));
    }
    let mut out: Vec<Vec<Bytes>> = vec![Vec::with_capacity(options.len())];
    for column in &options {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                column.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    Ok(out)
}

/// A value a restriction compares with: null and unset are refused with Cassandra's words.
fn key_value(e: &ValueExpr, values: &BoundValues, ty: &CqlType, name: &str) -> Result<Bytes, CqlError> {
    match e.eval(values, ty, name)? {
        Evaluated::Value(b) => Ok(b),
        Evaluated::Null => Err(CqlError::invalid(format!("Invalid null value in condition for column {name}"))),
        Evaluated::Unset => Err(CqlError::invalid(format!("Invalid unset value for column {name}"))),
    }
}

/// The values an Eq or IN restriction names (IN lists deduplicated, in order).
pub fn column_values(
    restriction: &ColumnValues,
    values: &BoundValues,
    ty: &CqlType,
    name: &str,
) -> Result<Vec<Bytes>, CqlError> {
    let required = |e: &ValueExpr| key_value(e, values, ty, name);
    let mut out = match restriction {
        ColumnValues::Eq(e) => vec![required(e)?],
        ColumnValues::In(InList::Values(list)) => list.iter().map(required).collect::<Result<Vec<_>, _>>()?,
        ColumnValues::In(InList::Marker(i)) => {
            let list_ty = CqlType::List(Box::new(ty.clone()));
            match ValueExpr::Bind(*i).eval(values, &list_ty, name)? {
                Evaluated::Value(b) => {
                    split_list(&b).ok_or_else(|| CqlError::invalid(format!("Invalid list for IN on {name}")))?
                }
                Evaluated::Null => return Err(CqlError::invalid(format!("Invalid null value for column {name}"))),
                Evaluated::Unset => return Err(CqlError::invalid(format!("Invalid unset value for column {name}"))),
            }
        }
    };
    let mut seen = std::collections::HashSet::new();
    out.retain(|v| seen.insert(v.clone()));
    Ok(out)
}

/// The elements of a serialized list (`[int n][bytes]*n`).
pub fn split_list(b: &Bytes) -> Option<Vec<Bytes>> {
    let n = i32::from_be_bytes(b.get(..4)?.try_into().ok()?);
    let mut at = 4usize;
    let mut out = Vec::with_capacity(n.clamp(0, 1024) as usize);
    for _ in 0..n.max(0) {
        let len = i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?);
        at += 4;
        let len = usize::try_from(len).ok()?;
        out.push(b.slice(at..at.checked_add(len).filter(|&e| e <= b.len())?));
        at += len;
    }
    Some(out)
}
