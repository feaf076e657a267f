//! `system.local`: what drivers read about the node at connect time (DRIVERS.md). The node
//! presents itself as ScyllaDB so drivers take their Scylla paths.

use super::values::{inet, int, text, text_collection, uuid};
use super::VirtualRow;
use crate::cql::shard::Shard;
use crate::cql::CQL_VERSION;
use crate::model::token::PARTITIONER;
use crate::schema::Schema;

pub const RELEASE_VERSION: &str = "3.0.8";
pub const NATIVE_PROTOCOL_VERSION: &str = "4";
/// The single token of this single node: it owns the whole ring.
pub const NODE_TOKEN: &str = "0";

pub fn local(shard: &Shard, schema: &Schema) -> Vec<VirtualRow> {
    let config = &shard.node.config;
    let table = schema.table("system", "local").expect("system.local is built in");
    let mut row = vec![None; table.columns.len()];
    let mut set = |name: &str, value| {
        if let Some(id) = table.column_id(name) {
            row[id as usize] = value;
        }
    };
    set("key", text("local"));
    set("bootstrapped", text("COMPLETED"));
    set("broadcast_address", inet(config.listen_address));
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
    set("rpc_address", inet(config.rpc_address()));
    set("rpc_port", int(config.native_transport_port as i32));
    set("schema_version", uuid(schema.version()));
    set("thrift_version", text("20.1.0"));
    set("tokens", text_collection(&[NODE_TOKEN]));
    vec![row]
}
