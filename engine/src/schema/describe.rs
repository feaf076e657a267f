//! Schema → CQL text, in the layout cqlsh's DESCRIBE prints. The same text (with table ids)
//! is the schema's persisted form, so what is saved is always valid, reviewable CQL.

use std::collections::BTreeMap;
use std::fmt::Write;

use percore_protocol::cql::keywords::is_reserved;
use percore_protocol::types::quote_identifier;

use crate::model::clustering::ClusteringOrder;

use super::definitions::{ColumnKind, KeyspaceDef, TableDef};

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

/// CREATE TABLE as DESCRIBE shows it; `with_id` adds the table id (persisted form).
pub fn create_table(t: &TableDef, with_id: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "CREATE TABLE {}.{} (", quote_name(&t.keyspace), quote_name(&t.name));
    for id in t.select_star_order() {
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

/// A keyspace and its tables, separated by blank lines (DESCRIBE KEYSPACE).
pub fn keyspace_with_tables(ks: &KeyspaceDef) -> String {
    let mut out = create_keyspace(ks);
    for t in ks.tables.values() {
        out.push_str("\n\n");
        out.push_str(&create_table(t, false));
    }
    out.push('\n');
    out
}
