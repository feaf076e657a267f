//! The admin paths that read the ring (listed in [`super::nodetool_api`]): every answer comes
//! from the shard's [`RingCache`](crate::cluster::ring::RingCache) — group 0's NORMAL
//! members and the keyspace's replication map made into an effective replication map — and
//! the failure detector's verdicts.
//!
//! * `GET /storage_service/ring_info[/<keyspace>]` — [`RingView`].
//! * `GET /storage_service/describe_ring/<keyspace>` — [`TokenRangeView`]s in ring order.
//! * `GET /storage_service/natural_endpoints/<keyspace>?cf=<table>&key=<key>` — the key's
//!   replicas' addresses in placement order.
//!
//! Ownership follows Cassandra's `StorageService.effectiveOwnership`: for the keyspace given,
//! else for the non-system keyspaces when they all replicate alike; otherwise (and for
//! LocalStrategy keyspaces) no member's ownership is shown and a note says why.

use std::sync::Arc;

use bytes::Bytes;
use percore_protocol::types::{json_value_to_bytes, CqlType, JsonValue};

use crate::cluster::placement::ownership::effective_ownership;
use crate::cluster::placement::replication::strategy::STRATEGY_PACKAGE;
use crate::cluster::placement::{EffectiveReplicationMap, ReplicationStrategy};
use crate::cql::shard::Shard;
use crate::model::token::Token;
use crate::schema::{KeyspaceDef, Schema};

use super::nodetool_api::{percent_decode, query_param, ApiError};
use super::ring_views::{KeyspaceReplication, MemberView, RingView};
use super::views::{EndpointDetails, TokenRangeView};

/// Cassandra's notes when effective ownership is not shown.
const NOTE_LOCAL_STRATEGY: &str = "Ownership values for keyspaces with LocalStrategy are meaningless";
const NOTE_DIFFERENT_SETTINGS: &str =
    "Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless";
/// Where Cassandra falls back to `system_traces`, which Percore does not have.
const NOTE_NO_USER_KEYSPACES: &str =
    "There are no non-system keyspaces, effective ownership information is meaningless (name a keyspace)";
/// The blob literal prefix `fromJson` wants; Cassandra's `getendpoints` takes bare hex.
const BLOB_PREFIX: &str = "0x";

/// Whose replicas the "Owns" column counts.
enum OwnershipChoice<'a> {
    Effective(&'a KeyspaceDef),
    Note(&'static str),
}

/// Cassandra's choice of keyspace for effective ownership.
fn ownership_choice<'a>(schema: &'a Schema, keyspace: Option<&str>) -> Result<OwnershipChoice<'a>, ApiError> {
    if let Some(name) = keyspace {
        let ks = schema.keyspace(name).ok_or_else(|| ApiError::KeyspaceDoesNotExist(name.to_string()))?;
        let local =
            ReplicationStrategy::from_replication_map(&ks.replication).is_ok_and(|s| s == ReplicationStrategy::Local);
        return Ok(if local { OwnershipChoice::Note(NOTE_LOCAL_STRATEGY) } else { OwnershipChoice::Effective(ks) });
    }
    let mut user = schema.keyspaces().filter(|ks| !ks.is_system);
    let Some(first) = user.next() else { return Ok(OwnershipChoice::Note(NOTE_NO_USER_KEYSPACES)) };
    Ok(if user.all(|ks| ks.replication == first.replication) {
        OwnershipChoice::Effective(first)
    } else {
        OwnershipChoice::Note(NOTE_DIFFERENT_SETTINGS)
    })
}

/// The ring's members with their ownership for `keyspace` (see the module doc).
pub fn ring_info(shard: &Shard, keyspace: Option<&str>) -> Result<RingView, ApiError> {
    let schema = shard.schema();
    let (shares, ownership_note) = match ownership_choice(&schema, keyspace)? {
        OwnershipChoice::Effective(ks) => {
            let map = shard.coordinator.ring.replication_map(&shard.cluster, ks)?;
            (Some(effective_shares(&map)), None)
        }
        OwnershipChoice::Note(note) => (None, Some(note.to_string())),
    };
    let state = shard.cluster.state();
    let members = state
        .normal_nodes()
        .map(|n| MemberView {
            host_id: n.host_id,
            address: n.address.to_string(),
            rpc_address: n.rpc_address.to_string(),
            data_center: n.data_center.clone(),
            rack: n.rack.clone(),
            tokens: n.tokens.clone(),
            up: shard.cluster.is_up(n.host_id),
            release_version: n.release_version.clone(),
            owns: shares.as_ref().map(|s| s.iter().find(|(id, _)| *id == n.host_id).map_or(0.0, |(_, f)| *f)),
        })
        .collect();
    Ok(RingView {
        schema_version: schema.version(),
        storage_port: shard.node.config.storage_port,
        members,
        ownership_note,
        keyspaces: keyspace_replications(&schema),
    })
}

/// Each ring member's effective share under `map`, by host id.
fn effective_shares(map: &EffectiveReplicationMap) -> Vec<(uuid::Uuid, f64)> {
    let ring = map.token_metadata();
    effective_ownership(map).iter().map(|o| (ring.endpoint(o.node).host_id, o.fraction())).collect()
}

fn keyspace_replications(schema: &Schema) -> Vec<KeyspaceReplication> {
    schema
        .keyspaces()
        .map(|ks| {
            let class = ks.replication.get("class").map(String::as_str).unwrap_or_default();
            KeyspaceReplication {
                name: ks.name.clone(),
                class: class.strip_prefix(STRATEGY_PACKAGE).unwrap_or(class).to_string(),
                options: ks
                    .replication
                    .iter()
                    .filter(|(k, _)| *k != "class")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            }
        })
        .collect()
}

/// The replication map of a keyspace that has a ring (Cassandra refuses LocalStrategy ones).
fn ring_map(shard: &Shard, keyspace: &str) -> Result<Arc<EffectiveReplicationMap>, ApiError> {
    let schema = shard.schema();
    let ks = schema.keyspace(keyspace).ok_or_else(|| ApiError::UnknownKeyspace(keyspace.to_string()))?;
    let map = shard.coordinator.ring.replication_map(&shard.cluster, ks)?;
    if *map.strategy() == ReplicationStrategy::Local {
        return Err(ApiError::NoRing(keyspace.to_string()));
    }
    Ok(map)
}

/// Every range of the ring with its replicas for `keyspace`, in ring order.
pub fn describe_ring(shard: &Shard, keyspace: &str) -> Result<Vec<TokenRangeView>, ApiError> {
    let map = ring_map(shard, keyspace)?;
    let ring = map.token_metadata();
    let state = shard.cluster.state();
    let rpc_addresses: Vec<String> = ring
        .nodes()
        .iter()
        .map(|n| state.node(n.endpoint.host_id).map_or(n.endpoint.address, |r| r.rpc_address).to_string())
        .collect();
    Ok(map
        .range_replicas()
        .map(|(range, replicas)| TokenRangeView {
            start_token: range.start.to_string(),
            end_token: range.end.to_string(),
            endpoints: replicas.iter().map(|&r| ring.endpoint(r).address.to_string()).collect(),
            rpc_endpoints: replicas.iter().map(|&r| rpc_addresses[r.get()].clone()).collect(),
            endpoint_details: replicas
                .iter()
                .map(|&r| {
                    let e = ring.endpoint(r);
                    EndpointDetails {
                        host: e.address.to_string(),
                        datacenter: e.datacenter.clone(),
                        rack: e.rack.clone(),
                    }
                })
                .collect(),
        })
        .collect())
}

/// The replicas of a key of `keyspace.cf` in placement order: its token computed with the
/// partitioner, then the effective replication map's list for that token.
pub fn natural_endpoints(shard: &Shard, keyspace: &str, query: &str) -> Result<Vec<String>, ApiError> {
    let table_name = query_param(query, "cf").map(percent_decode).ok_or(ApiError::MissingParameter("cf"))?;
    let key = query_param(query, "key").map(percent_decode).ok_or(ApiError::MissingParameter("key"))?;
    let schema = shard.schema();
    let ks = schema.keyspace(keyspace).ok_or_else(|| ApiError::UnknownKeyspace(keyspace.to_string()))?;
    let table =
        ks.user_table(&table_name).ok_or_else(|| ApiError::UnknownTable(keyspace.to_string(), table_name.clone()))?;
    let types: Vec<_> = table.partition_key.iter().map(|&id| &table.column(id).ty).collect();
    let token = key_token(&types, &key)?;
    let map = shard.coordinator.ring.replication_map(&shard.cluster, ks)?;
    Ok(map.endpoints_for_token(token).map(|e| e.address.to_string()).collect())
}

/// The token of a key given on the command line.
fn key_token(types: &[&CqlType], key: &str) -> Result<Token, ApiError> {
    let components = partition_key_components(types, key)?;
    Ok(crate::schema::keys::partition_position(&components).token)
}

/// A key given on the command line as the serialized partition key components: one per
/// key column, `:`-separated as Cassandra's `getendpoints` takes composite keys; blobs as
/// hex, with or without `0x`.
pub fn partition_key_components(types: &[&CqlType], key: &str) -> Result<Vec<Bytes>, ApiError> {
    let parts: Vec<&str> = if types.len() == 1 { vec![key] } else { key.split(':').collect() };
    let invalid = |reason: String| ApiError::InvalidKey { key: key.to_string(), columns: types.len(), reason };
    if parts.len() != types.len() {
        return Err(invalid(format!("{} component(s) given", parts.len())));
    }
    types
        .iter()
        .zip(parts)
        .map(|(ty, part)| {
            let text = match ty {
                CqlType::Blob if !part.starts_with(BLOB_PREFIX) => format!("{BLOB_PREFIX}{part}"),
                _ => part.to_string(),
            };
            match json_value_to_bytes(ty, &JsonValue::String(text)) {
                Ok(Some(bytes)) => Ok(Bytes::from(bytes)),
                Ok(None) => Err(invalid("null".to_string())),
                Err(e) => Err(invalid(e.to_string())),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::change::{apply, DdlOutcome};
    use crate::schema::system_keyspaces;
    use percore_protocol::cql::parse_statement;

    fn schema_of(ddl: &[&str]) -> Schema {
        let mut schema = Schema::new(system_keyspaces::definitions());
        for text in ddl {
            let parsed = parse_statement(text).unwrap();
            if let DdlOutcome::Changed { schema: next, .. } =
                apply(&schema, &parsed.statement, None, "datacenter1").unwrap()
            {
                schema = next;
            }
        }
        schema
    }

    fn chosen(schema: &Schema, keyspace: Option<&str>) -> Result<String, String> {
        match ownership_choice(schema, keyspace).map_err(|e| e.to_string())? {
            OwnershipChoice::Effective(ks) => Ok(ks.name.clone()),
            OwnershipChoice::Note(note) => Err(note.to_string()),
        }
    }

    const RF1: &str = "WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";

    #[test]
    fn ownership_is_effective_as_cassandra_decides() {
        let none = schema_of(&[]);
        assert_eq!(chosen(&none, None), Err(NOTE_NO_USER_KEYSPACES.to_string()));
        assert_eq!(chosen(&none, Some("system")), Err(NOTE_LOCAL_STRATEGY.to_string()));
        assert_eq!(chosen(&none, Some("nope")), Err("The keyspace nope, does not exist".to_string()));

        let alike = schema_of(&[&format!("CREATE KEYSPACE a {RF1}"), &format!("CREATE KEYSPACE b {RF1}")]);
        assert_eq!(chosen(&alike, None), Ok("a".to_string()), "all alike: the first one's");
        assert_eq!(chosen(&alike, Some("b")), Ok("b".to_string()));

        let differ = schema_of(&[
            &format!("CREATE KEYSPACE a {RF1}"),
            "CREATE KEYSPACE b WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}",
        ]);
        assert_eq!(chosen(&differ, None), Err(NOTE_DIFFERENT_SETTINGS.to_string()));
        assert_eq!(chosen(&differ, Some("b")), Ok("b".to_string()));
    }

    #[test]
    fn replication_is_listed_without_the_class_package() {
        let listed = keyspace_replications(&schema_of(&[&format!("CREATE KEYSPACE a {RF1}")]));
        let a = listed.iter().find(|k| k.name == "a").unwrap();
        assert_eq!(
            (a.class.as_str(), a.options.get("replication_factor").map(String::as_str)),
            ("SimpleStrategy", Some("1"))
        );
        let system = listed.iter().find(|k| k.name == "system").unwrap();
        assert_eq!((system.class.as_str(), system.options.len()), ("LocalStrategy", 0));
    }

    #[test]
    fn keys_become_partition_key_components() {
        let int = partition_key_components(&[&CqlType::Int], "42").unwrap();
        assert_eq!(int, vec![Bytes::from_static(&[0, 0, 0, 42])]);
        let text = partition_key_components(&[&CqlType::Text], "a:b").unwrap();
        assert_eq!(text, vec![Bytes::from_static(b"a:b")], "one column: the colon is part of the key");
        let both = partition_key_components(&[&CqlType::Text, &CqlType::Int], "x:7").unwrap();
        assert_eq!(both, vec![Bytes::from_static(b"x"), Bytes::from_static(&[0, 0, 0, 7])]);
        for blob in ["cafe", "0xcafe"] {
            let bytes = partition_key_components(&[&CqlType::Blob], blob).unwrap();
            assert_eq!(bytes, vec![Bytes::from_static(&[0xca, 0xfe])], "{blob}");
        }
        assert!(matches!(
            partition_key_components(&[&CqlType::Int], "nope"),
            Err(ApiError::InvalidKey { columns: 1, .. })
        ));
        assert!(partition_key_components(&[&CqlType::Text, &CqlType::Int], "x").is_err());
        assert!(partition_key_components(&[&CqlType::Blob], "xyz").is_err());
    }
}
