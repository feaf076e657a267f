//! `user`: a workload from a YAML profile in the spirit of cassandra-stress
//! user profiles — schema, per-column generators, named weighted queries.
//!
//! ```yaml
//! keyspace: ks1                 # default: --keyspace
//! keyspace_definition: |        # default: CREATE KEYSPACE IF NOT EXISTS with --replication
//!   CREATE KEYSPACE IF NOT EXISTS ks1 WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 1}
//! table: t1
//! table_definition: |
//!   CREATE TABLE IF NOT EXISTS ks1.t1 (pk blob, ck int, v text, PRIMARY KEY (pk, ck))
//! columnspec:
//!   - name: pk
//!     population: uniform(1..100k)   # which values (default uniform(1..100B))
//!     size: fixed(16)                # blob/text length (default uniform(4..8))
//!   - name: v
//!     size: uniform(50..500)
//! queries:
//!   insert: { cql: "INSERT INTO ks1.t1 (pk, ck, v) VALUES (?, ?, ?)", weight: 1 }
//!   read:   { cql: "SELECT * FROM ks1.t1 WHERE pk = ?", weight: 3 }
//! ```
//! Unqualified table names work too: the session switches to `keyspace`.

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::{OpDef, WorkloadDef};
use crate::args::RunArgs;
use crate::keys::Dist;
use crate::values::ColumnSpec;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub keyspace: Option<String>,
    pub keyspace_definition: Option<String>,
    pub table: Option<String>,
    pub table_definition: Option<String>,
    #[serde(default)]
    pub columnspec: Vec<ColumnYaml>,
    pub queries: BTreeMap<String, QueryYaml>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ColumnYaml {
    pub name: String,
    pub population: Option<String>,
    pub size: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
pub struct QueryYaml {
    pub cql: String,
    #[serde(default = "one")]
    pub weight: f64,
    /// Informational in cassandra-stress (`samerow`/`multirow`); accepted and ignored.
    #[serde(default)]
    pub fields: Option<String>,
}

fn one() -> f64 {
    1.0
}

pub fn parse(text: &str) -> Result<Profile> {
    let p: Profile = serde_yaml::from_str(text).context("parsing YAML profile")?;
    if p.queries.is_empty() {
        bail!("profile has no queries");
    }
    Ok(p)
}

const DEFAULT_POPULATION: &str = "uniform(1..100B)";
const DEFAULT_SIZE: &str = "uniform(4..8)";

pub fn define(p: &Profile, a: &RunArgs) -> Result<WorkloadDef> {
    let ks = p.keyspace.clone().unwrap_or_else(|| a.keyspace.clone());
    let mut setup = vec![match &p.keyspace_definition {
        Some(d) => d.trim().trim_end_matches(';').to_string(),
        None => {
            let mut s = super::schema_opts(a);
            s.keyspace = ks.clone();
            s.keyspace_ddl()
        }
    }];
    setup.push(format!("USE \"{ks}\""));
    if let Some(t) = &p.table_definition {
        setup.push(t.trim().trim_end_matches(';').to_string());
    }
    let mut columns = HashMap::new();
    for c in &p.columnspec {
        let population = Dist::parse(c.population.as_deref().unwrap_or(DEFAULT_POPULATION), (1, 1))
            .with_context(|| format!("columnspec {:?} population", c.name))?;
        let size = super::size_dist(c.size.as_deref().unwrap_or(DEFAULT_SIZE))
            .with_context(|| format!("columnspec {:?} size", c.name))?;
        columns.insert(c.name.clone(), ColumnSpec { population, size });
    }
    let ops = p
        .queries
        .iter()
        .map(|(name, q)| {
            let cql = q.cql.trim().trim_end_matches(';').to_string();
            let reads_rows = cql.to_ascii_uppercase().starts_with("SELECT");
            OpDef { name: name.clone(), cql, weight: q.weight, reads_rows }
        })
        .filter(|o| o.weight > 0.0)
        .collect();
    Ok(WorkloadDef {
        setup,
        ops,
        columns,
        default_column: ColumnSpec {
            population: Dist::parse(DEFAULT_POPULATION, (1, 1))?,
            size: Dist::parse(DEFAULT_SIZE, (1, 1))?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"
keyspace: ks1
table: t1
table_definition: |
  CREATE TABLE IF NOT EXISTS t1 (pk blob, ck int, v text, PRIMARY KEY (pk, ck));
columnspec:
  - name: pk
    population: uniform(1..100k)
    size: fixed(16)
  - name: v
    size: uniform(50..500)
queries:
  insert:
    cql: INSERT INTO t1 (pk, ck, v) VALUES (?, ?, ?)
    weight: 1
  read:
    cql: SELECT * FROM t1 WHERE pk = ?
    weight: 3
    fields: samerow
"#;

    #[test]
    fn parses_profile() {
        let p = parse(YAML).unwrap();
        assert_eq!(p.keyspace.as_deref(), Some("ks1"));
        assert_eq!(p.columnspec.len(), 2);
        assert_eq!(p.queries["read"].weight, 3.0);
        let a = super::super::tests::args(&[]);
        let d = define(&p, &a).unwrap();
        assert_eq!(d.setup.len(), 3);
        assert!(d.setup[0].starts_with("CREATE KEYSPACE IF NOT EXISTS \"ks1\""));
        assert_eq!(d.setup[1], "USE \"ks1\"");
        assert!(!d.setup[2].ends_with(';'));
        let names: Vec<_> = d.ops.iter().map(|o| (o.name.as_str(), o.reads_rows)).collect();
        assert_eq!(names, vec![("insert", false), ("read", true)]);
        assert_eq!(d.columns["pk"].population.max, 100_000);
        assert_eq!(d.columns["v"].size.min, 50);
    }

    #[test]
    fn rejects_bad_profiles() {
        assert!(parse("queries: {}").is_err());
        assert!(parse("bogus: 1\nqueries: {a: {cql: x}}").is_err());
        let p = parse("queries: {a: {cql: 'SELECT 1'}}\ncolumnspec: [{name: x, size: 'what(1)'}]").unwrap();
        assert!(define(&p, &super::super::tests::args(&[])).is_err());
    }
}
