//! The handshake: the first frame each way on a new connection. The client says who it is
//! ([`Hello`]); the server checks the protocol version and the cluster name and answers
//! with who it is and which shard serves the connection, or with a refusal and its reason
//! before closing ([`HelloReply`]).
//!
//! The protocol version is the payload's first field and is read on its own first, so a
//! peer speaking a later version — whose hello may be laid out differently — is still told
//! why it is refused. Later versions may append fields to a hello: bytes after the fields
//! this version knows are ignored.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::limits;

use super::config::MessagingConfig;
use super::payload::{self, PayloadError};
use super::verb::ConnectionClass;

/// The messaging protocol (verbs, payload types, handshake) this node speaks.
pub const PROTOCOL_VERSION: u16 = 1;
/// The oldest protocol version this node accepts from a peer.
pub const PROTOCOL_VERSION_MIN: u16 = 1;

/// The client's first frame (after the version, which precedes it on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub cluster_name: String,
    pub host_id: Uuid,
    /// The address the client's node is known by.
    pub broadcast_address: IpAddr,
    pub nr_shards: u32,
    /// The shard the client would like to be served by (its own shard number).
    pub wanted_shard: u32,
    /// `ConnectionClass` as its number.
    pub class: u8,
}

/// The server's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HelloReply {
    Accepted { host_id: Uuid, nr_shards: u32, serving_shard: u32 },
    Refused { reason: String },
}

/// Why a server refuses a connection; its text is sent to the client and logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    ProtocolVersion { theirs: u16 },
    ClusterName { theirs: String, ours: String },
    ClusterNameTooLong { bytes: usize },
    UnknownClass(u8),
    NoShards,
    Malformed(PayloadError),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ProtocolVersion { theirs } => write!(
                f,
                "messaging protocol version {theirs} is not supported (this node speaks {PROTOCOL_VERSION_MIN} to {PROTOCOL_VERSION})"
            ),
            Refusal::ClusterName { theirs, ours } => write!(f, "cluster name '{theirs}' is not '{ours}'"),
            Refusal::ClusterNameTooLong { bytes } => write!(
                f,
                "cluster name of {bytes} bytes is longer than {} bytes",
                limits::MESSAGING_CLUSTER_NAME_BYTES_MAX
            ),
            Refusal::UnknownClass(class) => write!(f, "unknown connection class {class}"),
            Refusal::NoShards => f.write_str("a node with 0 shards"),
            Refusal::Malformed(error) => write!(f, "malformed handshake: {error}"),
        }
    }
}

/// The payload of the client's handshake frame.
pub fn encode_hello(hello: &Hello) -> Result<Vec<u8>, PayloadError> {
    let mut out = payload::encode(&PROTOCOL_VERSION)?;
    payload::encode_into(hello, &mut out)?;
    Ok(out)
}

/// What the server makes of a handshake payload: the hello and its class, or a refusal.
pub fn check_hello(bytes: &[u8], config: &MessagingConfig) -> Result<(Hello, ConnectionClass), Refusal> {
    let (version, rest) = payload::decode_prefix::<u16>(bytes).map_err(Refusal::Malformed)?;
    if !(PROTOCOL_VERSION_MIN..=PROTOCOL_VERSION).contains(&version) {
        return Err(Refusal::ProtocolVersion { theirs: version });
    }
    let (hello, _later_fields) = payload::decode_prefix::<Hello>(rest).map_err(Refusal::Malformed)?;
    if hello.cluster_name.len() > limits::MESSAGING_CLUSTER_NAME_BYTES_MAX {
        return Err(Refusal::ClusterNameTooLong { bytes: hello.cluster_name.len() });
    }
    if hello.cluster_name != config.cluster_name {
        return Err(Refusal::ClusterName { theirs: hello.cluster_name, ours: config.cluster_name.clone() });
    }
    if hello.nr_shards == 0 {
        return Err(Refusal::NoShards);
    }
    let class = ConnectionClass::try_from(hello.class).map_err(Refusal::UnknownClass)?;
    Ok((hello, class))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> MessagingConfig {
        MessagingConfig {
            cluster_name: "Percore Cluster".into(),
            listen_address: "127.0.0.1".parse().unwrap(),
            storage_port: 7000,
            host_id: Uuid::from_u128(1),
            nr_shards: 2,
            shard: 0,
        }
    }

    fn hello() -> Hello {
        Hello {
            cluster_name: "Percore Cluster".into(),
            host_id: Uuid::from_u128(2),
            broadcast_address: "127.0.0.2".parse().unwrap(),
            nr_shards: 3,
            wanted_shard: 1,
            class: ConnectionClass::Read as u8,
        }
    }

    #[test]
    fn a_hello_of_this_cluster_is_accepted() {
        let bytes = encode_hello(&hello()).unwrap();
        assert_eq!(check_hello(&bytes, &config()), Ok((hello(), ConnectionClass::Read)));
    }

    #[test]
    fn another_cluster_is_refused_with_both_names() {
        let bytes = encode_hello(&Hello { cluster_name: "other".into(), ..hello() }).unwrap();
        let refusal = check_hello(&bytes, &config()).unwrap_err();
        assert_eq!(refusal.to_string(), "cluster name 'other' is not 'Percore Cluster'");
    }

    #[test]
    fn a_later_protocol_version_is_refused_whatever_follows() {
        let mut bytes = payload::encode(&(PROTOCOL_VERSION + 1)).unwrap();
        bytes.extend_from_slice(&[0xff; 10]); // a layout this version cannot read
        let refusal = check_hello(&bytes, &config()).unwrap_err();
        assert_eq!(refusal, Refusal::ProtocolVersion { theirs: PROTOCOL_VERSION + 1 });
        assert!(refusal.to_string().contains("protocol version 2 is not supported"));
    }

    #[test]
    fn fields_appended_by_a_later_version_are_ignored() {
        let mut bytes = encode_hello(&hello()).unwrap();
        bytes.extend_from_slice(&[1, 2, 3]);
        assert!(check_hello(&bytes, &config()).is_ok());
    }

    #[test]
    fn malformed_hellos_are_refused() {
        assert!(matches!(check_hello(&[], &config()), Err(Refusal::Malformed(_))));
        let bytes = encode_hello(&hello()).unwrap();
        assert!(matches!(check_hello(&bytes[..bytes.len() - 1], &config()), Err(Refusal::Malformed(_))));
        let bytes = encode_hello(&Hello { class: 9, ..hello() }).unwrap();
        assert_eq!(check_hello(&bytes, &config()), Err(Refusal::UnknownClass(9)));
        let bytes = encode_hello(&Hello { nr_shards: 0, ..hello() }).unwrap();
        assert_eq!(check_hello(&bytes, &config()), Err(Refusal::NoShards));
    }

    #[test]
    fn replies_round_trip() {
        for reply in [
            HelloReply::Accepted { host_id: Uuid::from_u128(3), nr_shards: 4, serving_shard: 2 },
            HelloReply::Refused { reason: "no".into() },
        ] {
            let bytes = payload::encode(&reply).unwrap();
            assert_eq!(payload::decode::<HelloReply>(&bytes).unwrap(), reply);
        }
    }
}
