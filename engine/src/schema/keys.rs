//! A table's keys as storage orders them: a partition's (token, serialized key) from its
//! key components, and a clustering prefix's byte-comparable sort key.

use bytes::Bytes;

use crate::model::clustering::encode_component;
use crate::model::mutation::{ClusteringKey, PartitionPosition};
use crate::model::token::{serialize_partition_key, token_of};

use super::TableDef;

pub fn partition_position(components: &[Bytes]) -> PartitionPosition {
    let refs: Vec<&[u8]> = components.iter().map(|c| &c[..]).collect();
    let mut key = Vec::with_capacity(components.iter().map(|c| c.len() + 3).sum());
    serialize_partition_key(&refs, &mut key);
    PartitionPosition { token: token_of(&key), key: Bytes::from(key) }
}

/// The sort key of the first `values.len()` clustering columns.
pub fn clustering_prefix(table: &TableDef, values: &[Bytes]) -> Bytes {
    let mut out = Vec::new();
    for (value, &id) in values.iter().zip(&table.clustering_key) {
        let c = table.column(id);
        encode_component(&c.ty, value, c.order, &mut out);
    }
    Bytes::from(out)
}

pub fn clustering_key(table: &TableDef, values: Vec<Bytes>) -> ClusteringKey {
    debug_assert_eq!(values.len(), table.clustering_key.len());
    ClusteringKey { sort_key: clustering_prefix(table, &values), values }
}
