//! The built-in keyspaces `system` and `system_schema`, defined in CQL (the same columns as
//! Cassandra 3.x / ScyllaDB, which drivers read at connect time). Their tables are virtual:
//! rows are produced from node state by `cql::system_tables`.

use std::collections::BTreeMap;
use std::sync::Arc;

use percore_protocol::cql::ast::Statement;
use percore_protocol::cql::parse_statement;

use super::build::{table_from_create, TypeScope};
use super::definitions::{KeyspaceDef, TableDef};

pub const SYSTEM: &str = "system";
pub const SYSTEM_SCHEMA: &str = "system_schema";

const SYSTEM_TABLES: &[&str] = &[
    "CREATE TABLE local (key text PRIMARY KEY, bootstrapped text, broadcast_address inet, cluster_name text, \
     cql_version text, data_center text, gossip_generation int, host_id uuid, listen_address inet, \
     native_protocol_version text, partitioner text, rack text, release_version text, rpc_address inet, \
     rpc_port int, schema_version uuid, supported_features text, thrift_version text, tokens set<text>, \
     truncated_at map<uuid, blob>)",
    "CREATE TABLE peers (peer inet PRIMARY KEY, data_center text, host_id uuid, preferred_ip inet, rack text, \
     release_version text, rpc_address inet, schema_version uuid, supported_features text, tokens set<text>)",
    "CREATE TABLE peers_v2 (peer inet, peer_port int, data_center text, host_id uuid, native_address inet, \
     native_port int, preferred_ip inet, preferred_port int, rack text, release_version text, schema_version uuid, \
     supported_features text, tokens set<text>, PRIMARY KEY (peer, peer_port))",
    "CREATE TABLE clients (address inet, port int, client_type text, connection_stage text, driver_name text, \
     driver_version text, hostname text, protocol_version int, shard_id int, ssl_cipher_suite text, \
     ssl_enabled boolean, ssl_protocol text, username text, PRIMARY KEY (address, port, client_type))",
];

const SYSTEM_SCHEMA_TABLES: &[&str] = &[
    "CREATE TABLE keyspaces (keyspace_name text PRIMARY KEY, durable_writes boolean, replication frozen<map<text, text>>)",
    "CREATE TABLE tables (keyspace_name text, table_name text, bloom_filter_fp_chance double, \
     caching frozen<map<text, text>>, cdc boolean, comment text, compaction frozen<map<text, text>>, \
     compression frozen<map<text, text>>, crc_check_chance double, dclocal_read_repair_chance double, \
     default_time_to_live int, extensions frozen<map<text, blob>>, flags frozen<set<text>>, \
     gc_grace_seconds int, id uuid, max_index_interval int, memtable_flush_period_in_ms int, \
     min_index_interval int, read_repair_chance double, speculative_retry text, \
     PRIMARY KEY (keyspace_name, table_name))",
    "CREATE TABLE columns (keyspace_name text, table_name text, column_name text, clustering_order text, \
     column_name_bytes blob, kind text, position int, type text, \
     PRIMARY KEY (keyspace_name, table_name, column_name))",
    "CREATE TABLE types (keyspace_name text, type_name text, field_names frozen<list<text>>, \
     field_types frozen<list<text>>, PRIMARY KEY (keyspace_name, type_name))",
    "CREATE TABLE functions (keyspace_name text, function_name text, argument_types frozen<list<text>>, \
     argument_names frozen<list<text>>, body text, called_on_null_input boolean, language text, \
     return_type text, PRIMARY KEY (keyspace_name, function_name, argument_types))",
    "CREATE TABLE aggregates (keyspace_name text, aggregate_name text, argument_types frozen<list<text>>, \
     final_func text, initcond text, return_type text, state_func text, state_type text, \
     PRIMARY KEY (keyspace_name, aggregate_name, argument_types))",
    "CREATE TABLE indexes (keyspace_name text, table_name text, index_name text, kind text, \
     options frozen<map<text, text>>, PRIMARY KEY (keyspace_name, table_name, index_name))",
    "CREATE TABLE views (keyspace_name text, view_name text, base_table_id uuid, base_table_name text, \
     bloom_filter_fp_chance double, caching frozen<map<text, text>>, cdc boolean, comment text, \
     compaction frozen<map<text, text>>, compression frozen<map<text, text>>, crc_check_chance double, \
     dclocal_read_repair_chance double, default_time_to_live int, extensions frozen<map<text, blob>>, \
     gc_grace_seconds int, id uuid, include_all_columns boolean, max_index_interval int, \
     memtable_flush_period_in_ms int, min_index_interval int, read_repair_chance double, \
     speculative_retry text, where_clause text, PRIMARY KEY (keyspace_name, view_name))",
    "CREATE TABLE triggers (keyspace_name text, table_name text, trigger_name text, \
     options frozen<map<text, text>>, PRIMARY KEY (keyspace_name, table_name, trigger_name))",
    "CREATE TABLE dropped_columns (keyspace_name text, table_name text, column_name text, \
     dropped_time timestamp, type text, PRIMARY KEY (keyspace_name, table_name, column_name))",
];

/// A stable id per built-in table (name-based), so `system_schema.tables.id` never changes.
fn system_table_id(keyspace: &str, table: &str) -> uuid::Uuid {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("percore.{keyspace}.{table}").as_bytes())
}

fn keyspace(name: &str, ddl: &[&str]) -> KeyspaceDef {
    let tables = ddl
        .iter()
        .map(|text| {
            let parsed = parse_statement(text).unwrap_or_else(|e| panic!("built-in table DDL must parse: {e}: {text}"));
            let Statement::CreateTable(create) = parsed.statement else { panic!("built-in DDL is CREATE TABLE") };
            let t = table_from_create(TypeScope::without_types(name), &create)
                .unwrap_or_else(|e| panic!("built-in table must be valid: {}", e.message));
            let id = system_table_id(name, &t.name);
            let t = TableDef::new(id, t.keyspace, t.name, t.columns, t.options, true);
            (t.name.clone(), Arc::new(t))
        })
        .collect();
    let replication = BTreeMap::from([("class".to_string(), "org.apache.cassandra.locator.LocalStrategy".to_string())]);
    KeyspaceDef {
        name: name.into(),
        replication,
        durable_writes: true,
        tables,
        types: Default::default(),
        is_system: true,
        indexes: Default::default(),
    }
}

/// The built-in keyspaces.
pub fn definitions() -> BTreeMap<String, Arc<KeyspaceDef>> {
    [keyspace(SYSTEM, SYSTEM_TABLES), keyspace(SYSTEM_SCHEMA, SYSTEM_SCHEMA_TABLES)]
        .into_iter()
        .map(|k| (k.name.clone(), Arc::new(k)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_tables_are_defined() {
        let ks = definitions();
        assert!(ks["system"].tables.contains_key("local"));
        assert!(ks["system_schema"].tables.contains_key("columns"));
        assert_eq!(ks["system_schema"].tables.len(), 10);
    }
}
