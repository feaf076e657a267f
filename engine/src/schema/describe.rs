//! Schema → CQL text, in the layout cqlsh's DESCRIBE prints. The same text (with table ids)
//! is the schema's persisted form, so what is saved is always valid, reviewable CQL.

use std::collections::BTreeMap;
use std::fmt::Write;

use percore_protocol::cql::keywords::is_reserved;
use percore_protocol::types::{quote_identifier, UdtType};

use crate::model::clustering::ClusteringOrder;

use super::definitions::{ColumnKind, KeyspaceDef, TableDef};
use super::user_types::dependency_order;

/// An identifier as CQL must spell it (quoted when needed or reserved).
pub fn quote_name(name: &str) -> String {
    if is_reserved(name) {
        format!("\"{name}\"")
    } else {
        quote_identifier(name)
    }
}

pub fn quote_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub fn string_map(map: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = map.iter().map(|(k, v)| format!("{}: {}", quote_string(k), quote_string(v))).collect();
    format!("{{{}}}", items.join(", "))
}

pub fn create_keyspace(ks: &KeyspaceDef) -> String {
    format!(
        "CREATE KEYSPACE {} WITH replication = {} AND durable_writes = {};",
        quote_name(&ks.name),
        string_map(&ks.replication),
        ks.durable_writes
    )
}

/// CREATE TYPE as DESCRIBE shows it, one field per line.
pub fn create_type(t: &UdtType) -> String {
    let fields: Vec<String> =
        t.fields.iter().map(|(name, ty)| format!("    {} {}", quote_name(name), ty.cql_name())).collect();
    format!("CREATE TYPE {}.{} (\n{}\n);", quote_name(&t.keyspace), quote_name(&t.name), fields.join(",\n"))
}

/// The keyspace's CREATE TYPE statements, each after the types it uses.
pub fn create_types(ks: &KeyspaceDef) -> Vec<String> {
    dependency_order(&ks.types).into_iter().map(create_type).collect()
}

/// CREATE TABLE as DESCRIBE shows it; `with_id` adds the table id (persisted form).
pub fn create_table(t: &TableDef, with_id: bool) -> String {
    create_table_with_columns(t, &t.create_order(), with_id)
}

/// The persisted form: with the table id, and the columns in id order, so that building
/// the table again from it gives every column the id its stored cells refer to.
pub fn create_table_for_storage(t: &TableDef) -> String {
    let ids: Vec<u16> = (0..t.columns.len() as u16).collect();
    create_table_with_columns(t, &ids, true)
}

/// After [`create_table_for_storage`]: the drops of its dropped columns (with their times),
/// each followed by the column's ADD if it was added back, so that loading the schema
/// file hides the same cells again.
pub fn dropped_columns_for_storage(t: &TableDef) -> Vec<String> {
    let table = format!("{}.{}", quote_name(&t.keyspace), quote_name(&t.name));
    let mut out = Vec::new();
    for c in &t.columns {
        let Some(dropped) = c.dropped else { continue };
        out.push(format!("ALTER TABLE {table} DROP {} USING TIMESTAMP {}", quote_name(&c.name), dropped.timestamp));
        if dropped.readded {
            let marker = if c.kind == ColumnKind::Static { " static" } else { "" };
            out.push(format!("ALTER TABLE {table} ADD {} {}{marker}", quote_name(&c.name), c.ty.cql_name()));
        }
    }
    out
}

fn create_table_with_columns(t: &TableDef, column_order: &[u16], with_id: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "CREATE TABLE {}.{} (", quote_name(&t.keyspace), quote_name(&t.name));
    for &id in column_order {
        let c = t.column(id);
        let marker = if c.kind == ColumnKind::Static { " static" } else { "" };
        let _ = writeln!(out, "    {} {}{},", quote_name(&c.name), c.ty.cql_name(), marker);
    }
    let names = |ids: &[u16]| ids.iter().map(|&i| quote_name(&t.column(i).name)).collect::<Vec<_>>().join(", ");
    let partition =
        if t.partition_key.len() == 1 { names(&t.partition_key) } else { format!("({})", names(&t.partition_key)) };
    if t.clustering_key.is_empty() {
        let _ = writeln!(out, "    PRIMARY KEY ({partition})");
    } else {
        let _ = writeln!(out, "    PRIMARY KEY ({partition}, {})", names(&t.clustering_key));
    }
    out.push_str(") WITH ");
    if !t.clustering_key.is_empty() {
        let orders: Vec<String> = t
            .clustering_key
            .iter()
            .map(|&i| {
                let c = t.column(i);
                let dir = if c.order == ClusteringOrder::Desc { "DESC" } else { "ASC" };
                format!("{} {dir}", quote_name(&c.name))
            })
            .collect();
        let _ = write!(out, "CLUSTERING ORDER BY ({})\n    AND ", orders.join(", "));
    }
    let o = &t.options;
    let mut props = vec![
        format!("bloom_filter_fp_chance = {}", o.bloom_filter_fp_chance),
        format!("caching = {}", string_map(&o.caching)),
        format!("comment = {}", quote_string(&o.comment)),
        format!("compaction = {}", string_map(&o.compaction)),
        format!("compression = {}", string_map(&o.compression)),
        format!("crc_check_chance = {}", o.crc_check_chance),
        format!("dclocal_read_repair_chance = {}", o.dclocal_read_repair_chance),
        format!("default_time_to_live = {}", o.default_time_to_live),
        format!("gc_grace_seconds = {}", o.gc_grace_seconds),
        format!("max_index_interval = {}", o.max_index_interval),
        format!("memtable_flush_period_in_ms = {}", o.memtable_flush_period_in_ms),
        format!("min_index_interval = {}", o.min_index_interval),
        format!("read_repair_chance = {}", o.read_repair_chance),
        format!("speculative_retry = {}", quote_string(&o.speculative_retry)),
    ];
    if with_id {
        props.push(format!("id = {}", quote_string(&t.id.to_string())));
    }
    out.push_str(&props.join("\n    AND "));
    out.push(';');
    out
}

/// A keyspace, its types and its tables, separated by blank lines (DESCRIBE KEYSPACE).
pub fn keyspace_with_tables(ks: &KeyspaceDef) -> String {
    let mut out = create_keyspace(ks);
    for t in create_types(ks) {
        out.push_str("\n\n");
        out.push_str(&t);
    }
    for t in ks.user_tables() {
        out.push_str("\n\n");
        out.push_str(&create_table(t, false));
        for index in super::indexes::create_indexes_of(ks, t) {
            out.push('\n');
            out.push_str(&index);
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use percore_protocol::cql::ast::Statement;
    use percore_protocol::cql::parse_statement;

    use super::*;
    use crate::schema::build::{table_from_create, TypeScope};

    fn build(cql: &str) -> TableDef {
        let Statement::CreateTable(create) = parse_statement(cql).unwrap().statement else { panic!("not a table") };
        table_from_create(TypeScope::without_types("ks"), &create).unwrap()
    }

    #[test]
    fn the_storage_form_gives_every_column_its_id_back() {
        let t = build("CREATE TABLE ks.t (k int, c int, z int, s text static, a list<int>, PRIMARY KEY (k, c))");
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["k", "c", "z", "s", "a"]);
        let again = build(&create_table_for_storage(&t));
        assert_eq!(again.columns, t.columns);
        assert_eq!(again.id, t.id);
        // A static column added after the regular ones keeps its id (last) too.
        let mut altered = t.clone();
        altered.columns.push(crate::schema::ColumnDef {
            name: "added".into(),
            ty: percore_protocol::types::CqlType::Int,
            kind: crate::schema::ColumnKind::Static,
            position: -1,
            order: Default::default(),
            dropped: None,
        });
        let altered =
            TableDef::new(t.id, t.keyspace.clone(), t.name.clone(), altered.columns, t.options.clone(), false);
        let again = build(&create_table_for_storage(&altered));
        assert_eq!(again.columns, altered.columns);
        // DESCRIBE shows Cassandra's create order: keys, statics, then regular columns
        // (simple before multi-cell, by name within each).
        assert!(create_table(&t, false).contains("    c int,\n    s text static,\n    z int,\n    a list<int>,"));
    }
}
