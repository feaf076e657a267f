//! `system_schema.keyspaces`, `tables`, `columns` and `types` from the schema snapshot,
//! with the canonical values drivers depend on: `flags = {'compound'}`, `kind`, gap-free
//! key `position`s (-1 otherwise), `clustering_order` never null, canonical type names.

use super::values::{boolean, double, int, text, text_collection, text_map, timestamp_millis, uuid};
use super::VirtualRow;
use crate::model::clustering::ClusteringOrder;
use crate::schema::{ColumnKind, Schema, TableDef};

fn row_for(table: &TableDef, values: &[(&str, Option<bytes::Bytes>)]) -> VirtualRow {
    let mut row = vec![None; table.columns.len()];
    for (name, value) in values {
        if let Some(id) = table.column_id(name) {
            row[id as usize] = value.clone();
        }
    }
    row
}

fn schema_table<'a>(schema: &'a Schema, name: &str) -> &'a TableDef {
    schema.table("system_schema", name).expect("system_schema tables are built in")
}

pub fn keyspaces(schema: &Schema) -> Vec<VirtualRow> {
    let def = schema_table(schema, "keyspaces");
    schema
        .keyspaces()
        .map(|ks| {
            row_for(
                def,
                &[
                    ("keyspace_name", text(&ks.name)),
                    ("durable_writes", boolean(ks.durable_writes)),
                    ("replication", text_map(&ks.replication)),
                ],
            )
        })
        .collect()
}

pub fn tables(schema: &Schema) -> Vec<VirtualRow> {
    let def = schema_table(schema, "tables");
    let mut rows = Vec::new();
    for ks in schema.keyspaces() {
        for t in ks.user_tables() {
            let o = &t.options;
            rows.push(row_for(
                def,
                &[
                    ("keyspace_name", text(&ks.name)),
                    ("table_name", text(&t.name)),
                    ("bloom_filter_fp_chance", double(o.bloom_filter_fp_chance)),
                    ("caching", text_map(&o.caching)),
                    ("cdc", boolean(false)),
                    ("comment", text(&o.comment)),
                    ("compaction", text_map(&o.compaction)),
                    ("compression", text_map(&o.compression)),
                    ("crc_check_chance", double(o.crc_check_chance)),
                    ("dclocal_read_repair_chance", double(o.dclocal_read_repair_chance)),
                    ("default_time_to_live", int(o.default_time_to_live)),
                    ("extensions", text_map(&Default::default())),
                    ("flags", text_collection(&["compound"])),
                    ("gc_grace_seconds", int(o.gc_grace_seconds)),
                    ("id", uuid(t.id)),
                    ("max_index_interval", int(o.max_index_interval)),
                    ("memtable_flush_period_in_ms", int(o.memtable_flush_period_in_ms)),
                    ("min_index_interval", int(o.min_index_interval)),
                    ("read_repair_chance", double(o.read_repair_chance)),
                    ("speculative_retry", text(&o.speculative_retry)),
                ],
            ));
        }
    }
    rows
}

pub fn columns(schema: &Schema) -> Vec<VirtualRow> {
    let def = schema_table(schema, "columns");
    let mut rows = Vec::new();
    for ks in schema.keyspaces() {
        for t in ks.user_tables() {
            let mut cols: Vec<_> = t.visible_columns().map(|(_, c)| c).collect();
            cols.sort_by(|a, b| a.name.cmp(&b.name));
            for c in cols {
                let order = match (c.kind, c.order) {
                    (ColumnKind::Clustering, ClusteringOrder::Asc) => "asc",
                    (ColumnKind::Clustering, ClusteringOrder::Desc) => "desc",
                    _ => "none",
                };
                rows.push(row_for(
                    def,
                    &[
                        ("keyspace_name", text(&ks.name)),
                        ("table_name", text(&t.name)),
                        ("column_name", text(&c.name)),
                        ("clustering_order", text(order)),
                        ("column_name_bytes", text(&c.name)),
                        ("kind", text(c.kind.schema_name())),
                        ("position", int(c.position)),
                        ("type", text(&c.ty.cql_name())),
                    ],
                ));
            }
        }
    }
    rows
}

/// One row per dropped column (added back or not): when, and its type then.
pub fn dropped_columns(schema: &Schema) -> Vec<VirtualRow> {
    let def = schema_table(schema, "dropped_columns");
    let mut rows = Vec::new();
    for ks in schema.keyspaces() {
        for t in ks.user_tables() {
            for (c, dropped) in t.columns.iter().filter_map(|c| c.dropped.map(|d| (c, d))) {
                rows.push(row_for(
                    def,
                    &[
                        ("keyspace_name", text(&ks.name)),
                        ("table_name", text(&t.name)),
                        ("column_name", text(&c.name)),
                        ("dropped_time", timestamp_millis(dropped.timestamp / 1000)),
                        ("type", text(&c.ty.cql_name())),
                    ],
                ));
            }
        }
    }
    rows
}

/// One row per secondary index (Cassandra 3+ layout: `kind` and `options['target']`).
pub fn indexes(schema: &Schema) -> Vec<VirtualRow> {
    let def = schema_table(schema, "indexes");
    let mut rows = Vec::new();
    for ks in schema.keyspaces() {
        for index in ks.indexes.values() {
            let Some(base) = ks.user_table(&index.table) else { continue };
            let options = [("target".to_string(), index.target(base))].into_iter().collect();
            rows.push(row_for(
                def,
                &[
                    ("keyspace_name", text(&ks.name)),
                    ("table_name", text(&index.table)),
                    ("index_name", text(&index.name)),
                    ("kind", text("COMPOSITES")),
                    ("options", text_map(&options)),
                ],
            ));
        }
    }
    rows
}

/// One row per user type: its field names and their canonical type names, in field order.
pub fn types(schema: &Schema) -> Vec<VirtualRow> {
    let def = schema_table(schema, "types");
    let mut rows = Vec::new();
    for ks in schema.keyspaces() {
        for t in ks.types.values() {
            let names: Vec<&str> = t.fields.iter().map(|(n, _)| n.as_str()).collect();
            let types: Vec<String> = t.fields.iter().map(|(_, ty)| ty.cql_name()).collect();
            rows.push(row_for(
                def,
                &[
                    ("keyspace_name", text(&ks.name)),
                    ("type_name", text(&t.name)),
                    ("field_names", text_collection(&names)),
                    ("field_types", text_collection(&types)),
                ],
            ));
        }
    }
    rows
}
