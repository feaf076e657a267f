//! cassandra.yaml's `seed_provider`, in the form tools that generate that file write it:
//!
//! ```yaml
//! seed_provider:
//!   - class_name: org.apache.cassandra.locator.SimpleSeedProvider
//!     parameters:
//!       - seeds: "127.0.0.1,127.0.0.2:7000"
//! ```
//!
//! Seeds are addresses (an optional `:port` is accepted and must be the storage port's
//! job to agree with; it is ignored) or host names, resolved once at start-up. No seeds,
//! or only the node itself, makes a one-node cluster.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use serde::Deserialize;

use super::ConfigError;

/// The one provider Percore has (Cassandra's and ScyllaDB's default).
pub const SIMPLE_SEED_PROVIDER: &str = "org.apache.cassandra.locator.SimpleSeedProvider";

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SeedProvider {
    pub class_name: String,
    #[serde(default)]
    pub parameters: Vec<SeedParameters>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SeedParameters {
    /// Comma-separated addresses or host names.
    pub seeds: String,
}

impl SeedProvider {
    /// `SimpleSeedProvider` with these comma-separated seeds.
    pub fn simple(seeds: &str) -> SeedProvider {
        SeedProvider {
            class_name: SIMPLE_SEED_PROVIDER.to_string(),
            parameters: vec![SeedParameters { seeds: seeds.to_string() }],
        }
    }
}

fn is_simple(provider: &SeedProvider) -> bool {
    provider.class_name == SIMPLE_SEED_PROVIDER || provider.class_name == "SimpleSeedProvider"
}

/// Each entry of every provider's `seeds` string, trimmed, empty ones left out.
fn entries(providers: &[SeedProvider]) -> impl Iterator<Item = &str> {
    providers
        .iter()
        .flat_map(|p| p.parameters.iter())
        .flat_map(|p| p.seeds.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

pub fn validate(providers: &[SeedProvider]) -> Result<(), ConfigError> {
    if let Some(other) = providers.iter().find(|p| !is_simple(p)) {
        return Err(ConfigError::Invalid {
            key: "seed_provider",
            reason: format!("unknown class_name '{}' (only {SIMPLE_SEED_PROVIDER} exists)", other.class_name),
        });
    }
    Ok(())
}

/// The seeds' addresses, in the order given, without repeats.
pub fn resolve(providers: &[SeedProvider]) -> Result<Vec<IpAddr>, ConfigError> {
    let mut out: Vec<IpAddr> = Vec::new();
    for entry in entries(providers) {
        let address = resolve_one(entry).ok_or_else(|| ConfigError::Invalid {
            key: "seed_provider",
            reason: format!("seed '{entry}' is neither an address nor a host name that resolves"),
        })?;
        if !out.contains(&address) {
            out.push(address);
        }
    }
    Ok(out)
}

fn resolve_one(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = entry.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    let with_port = if entry.contains(':') { entry.to_string() } else { format!("{entry}:0") };
    // Start-up only (before any executor runs): a blocking name lookup is fine here.
    with_port.to_socket_addrs().ok()?.next().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const CASSANDRA_YAML_FORM: &str = "seed_provider:\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n    parameters:\n      - seeds: \"127.0.0.1, 127.0.0.2:7000,127.0.0.1\"\n";

    #[test]
    fn cassandra_yaml_form_parses_and_resolves() {
        let c: Config = serde_yaml::from_str(CASSANDRA_YAML_FORM).unwrap();
        validate(&c.seed_provider).unwrap();
        let seeds = c.seeds().unwrap();
        assert_eq!(seeds, vec!["127.0.0.1".parse::<IpAddr>().unwrap(), "127.0.0.2".parse().unwrap()]);
    }

    #[test]
    fn no_seeds_is_a_one_node_cluster() {
        assert!(Config::default().seeds().unwrap().is_empty());
    }

    #[test]
    fn unknown_provider_and_bad_seed_are_refused() {
        let other = vec![SeedProvider { class_name: "com.example.Custom".into(), parameters: vec![] }];
        assert!(validate(&other).is_err());
        let bad = vec![SeedProvider {
            class_name: SIMPLE_SEED_PROVIDER.into(),
            parameters: vec![SeedParameters { seeds: "no such host.invalid".into() }],
        }];
        assert!(resolve(&bad).is_err());
    }
}
