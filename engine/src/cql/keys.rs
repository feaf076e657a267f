//! From bound key values to storage positions: a partition's (token, serialized key), a
//! clustering prefix's byte-comparable sort key, and a clustering slice's range.

use bytes::Bytes;

use crate::model::clustering::{encode_component, ClusteringOrder};
use crate::model::mutation::{ClusteringBound, ClusteringRange};
pub use crate::schema::keys::{clustering_key, clustering_prefix, partition_position};
use crate::schema::TableDef;

use super::bind::BoundValues;
use super::error::CqlError;
use super::statement::restrictions::Slice;

/// The storage-order range of rows matching a prefix of equalities plus a slice on the next
/// clustering column (descending columns swap the ends).
pub fn slice_range(
    table: &TableDef,
    prefix: &[Bytes],
    slice: Option<&Slice>,
    values: &BoundValues,
) -> Result<ClusteringRange, CqlError> {
    let p = clustering_prefix(table, prefix);
    let Some(slice) = slice else {
        return Ok(if prefix.is_empty() { ClusteringRange::ALL } else { ClusteringRange::prefix(p) });
    };
    let id = table.clustering_key[prefix.len()];
    let column = table.column(id);
    let bound = |b: &Option<super::statement::restrictions::SliceBound>| -> Result<ClusteringBound, CqlError> {
        Ok(match b {
            None => ClusteringBound::Inclusive(p.clone()),
            Some(b) if b.width > 1 => {
                let columns: Vec<_> =
                    table.clustering_key[prefix.len()..].iter().take(b.width).map(|&id| table.column(id)).collect();
                let tuple_ty = percore_protocol::types::CqlType::Tuple(columns.iter().map(|c| c.ty.clone()).collect());
                let v = b.value.eval_required(values, &tuple_ty, "tuple")?;
                let components = crate::cql::write::cell_ops::tuple_components(&v)?;
                let mut key = p.to_vec();
                for (component, column) in components.iter().zip(&columns) {
                    let Some(component) = component else {
                        return Err(CqlError::invalid(format!(
                            "Invalid null value in condition for column {}",
                            column.name
                        )));
                    };
                    encode_component(&column.ty, component, column.order, &mut key);
                }
                if b.inclusive {
                    ClusteringBound::Inclusive(Bytes::from(key))
                } else {
                    ClusteringBound::Exclusive(Bytes::from(key))
                }
            }
            Some(b) => {
                let v = b.value.eval_required(values, &column.ty, &column.name)?;
                let mut key = p.to_vec();
                encode_component(&column.ty, &v, column.order, &mut key);
                if b.inclusive {
                    ClusteringBound::Inclusive(Bytes::from(key))
                } else {
                    ClusteringBound::Exclusive(Bytes::from(key))
                }
            }
        })
    };
    let (lower, upper) = (bound(&slice.lower)?, bound(&slice.upper)?);
    Ok(match column.order {
        ClusteringOrder::Asc => ClusteringRange { start: lower, end: upper },
        ClusteringOrder::Desc => ClusteringRange { start: upper, end: lower },
    })
}
