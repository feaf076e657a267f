//! `system.local`, `system.peers` and `system.peers_v2`: what drivers read about the node
//! and its peers at connect time (DRIVERS.md), from the ring as group 0 has it. The node
//! presents itself as ScyllaDB so drivers take their Scylla paths. A peer has a row only
//! while it is a NORMAL member.

use super::values::{inet, int, text, text_collection, uuid};
use super::VirtualRow;
use crate::cql::shard::Shard;
use crate::cql::CQL_VERSION;
use crate::model::token::PARTITIONER;
use crate::schema::Schema;

pub const RELEASE_VERSION: &str = "3.0.8";
pub const NATIVE_PROTOCOL_VERSION: &str = "4";

/// A row of `table` filled by `fill` through a setter by column name.
fn row_of(schema: &Schema, table: &str, fill: impl FnOnce(&mut dyn FnMut(&str, Option<bytes::Bytes>))) -> VirtualRow {
    let table = schema.table("system", table).expect("the node tables are built in");
    let mut row = vec![None; table.columns.len()];
    fill(&mut |name: &str, value| {
        if let Some(id) = table.column_id(name) {
            row[id as usize] = value;
        }
    });
    row
}

fn token_strings(tokens: &[i64]) -> Vec<String> {
    tokens.iter().map(i64::to_string).collect()
}

pub fn local(shard: &Shard, schema: &Schema) -> Vec<VirtualRow> {
    let config = &shard.node.config;
    let tokens = shard.cluster.local().map(|n| token_strings(&n.tokens)).unwrap_or_default();
    vec![row_of(schema, "local", |set| {
        set("key", text("local"));
        set("bootstrapped", text("COMPLETED"));
        set("broadcast_address", inet(config.broadcast_address()));
        set("cluster_name", text(&config.cluster_name));
        set("cql_version", text(CQL_VERSION));
        set("data_center", text(&config.data_center));
        set("gossip_generation", int(0));
        set("host_id", uuid(shard.node.host_id));
        set("listen_address", inet(config.listen_address));
        set("native_protocol_version", text(NATIVE_PROTOCOL_VERSION));
        set("partitioner", text(PARTITIONER));
        set("rack", text(&config.rack));
        set("release_version", text(RELEASE_VERSION));
        set("rpc_address", inet(config.broadcast_rpc_address()));
        set("rpc_port", int(config.native_transport_port as i32));
        set("schema_version", uuid(schema.version()));
        set("thrift_version", text("20.1.0"));
        set("tokens", text_collection(&tokens));
    })]
}

/// `system.peers`: the other NORMAL members. Their schema version is this node's: group 0
/// applies the same schema everywhere (the version is derived from its content).
pub fn peers(shard: &Shard, schema: &Schema) -> Vec<VirtualRow> {
    shard
        .cluster
        .peers()
        .iter()
        .map(|peer| {
            row_of(schema, "peers", |set| {
                set("peer", inet(peer.address));
                set("data_center", text(&peer.data_center));
                set("host_id", uuid(peer.host_id));
                set("preferred_ip", inet(peer.address));
                set("rack", text(&peer.rack));
                set("release_version", text(&peer.release_version));
                set("rpc_address", inet(peer.rpc_address));
                set("schema_version", uuid(schema.version()));
                set("tokens", text_collection(&token_strings(&peer.tokens)));
            })
        })
        .collect()
}

/// `system.peers_v2` (Cassandra 4's form, with ports).
pub fn peers_v2(shard: &Shard, schema: &Schema) -> Vec<VirtualRow> {
    let config = &shard.node.config;
    shard
        .cluster
        .peers()
        .iter()
        .map(|peer| {
            row_of(schema, "peers_v2", |set| {
                set("peer", inet(peer.address));
                set("peer_port", int(config.storage_port as i32));
                set("data_center", text(&peer.data_center));
                set("host_id", uuid(peer.host_id));
                set("native_address", inet(peer.rpc_address));
                set("native_port", int(config.native_transport_port as i32));
                set("preferred_ip", inet(peer.address));
                set("preferred_port", int(config.storage_port as i32));
                set("rack", text(&peer.rack));
                set("release_version", text(&peer.release_version));
                set("schema_version", uuid(schema.version()));
                set("tokens", text_collection(&token_strings(&peer.tokens)));
            })
        })
        .collect()
}
