//! Workloads: a definition (DDL, named CQL operations with weights, column
//! generators) is prepared once against the session into a [`Workload`] whose
//! operations the load loop picks by weight.

mod counter;
mod mixed;
mod read;
pub mod user;
mod write;

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use scylla::client::session::Session;
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::Consistency;

use crate::args::{RunArgs, WorkloadKind};
use crate::keys::Dist;
use crate::rng::Rng;
use crate::schema::SchemaOpts;
use crate::values::{ColumnGen, ColumnSpec, Encoding, Pool};

/// One named operation before preparation.
#[derive(Clone, Debug)]
pub struct OpDef {
    pub name: String,
    pub cql: String,
    pub weight: f64,
    /// Count returned rows (reads).
    pub reads_rows: bool,
}

/// A workload before it meets the server.
#[derive(Clone, Debug)]
pub struct WorkloadDef {
    /// DDL run in order before preparing (skipped with `--no-schema`).
    pub setup: Vec<String>,
    pub ops: Vec<OpDef>,
    /// Generators by column name (bind-marker names from the prepared metadata).
    pub columns: HashMap<String, ColumnSpec>,
    /// For columns not listed.
    pub default_column: ColumnSpec,
}

/// A prepared operation.
pub struct Op {
    pub name: String,
    pub cql: String,
    /// `None` when the server refused to prepare it: each execution then
    /// re-attempts the PREPARE and counts the server's error.
    pub stmt: Option<PreparedStatement>,
    pub gens: Vec<ColumnGen>,
    pub reads_rows: bool,
}

/// Prepared operations, weights and the shared filler pool.
pub struct Workload {
    pub ops: Vec<Op>,
    cumulative: Vec<f64>,
    pub pool: Pool,
}

impl Workload {
    /// Pick an operation index by weight.
    #[inline]
    pub fn choose(&self, rng: &mut Rng) -> usize {
        if self.cumulative.len() == 1 {
            return 0;
        }
        let total = *self.cumulative.last().unwrap();
        let x = rng.next_f64() * total;
        self.cumulative.iter().position(|&c| x < c).unwrap_or(self.cumulative.len() - 1)
    }

    pub fn op_names(&self) -> Vec<String> {
        self.ops.iter().map(|o| o.name.clone()).collect()
    }
}

pub fn schema_opts(a: &RunArgs) -> SchemaOpts {
    SchemaOpts {
        keyspace: a.keyspace.clone(),
        replication: a.replication.clone(),
        compaction: a.compaction.clone(),
        compression: a.compression.clone(),
    }
}

/// The key population `1..=partitions` with the `--dist` shape.
pub fn key_dist(a: &RunArgs) -> Result<Dist> {
    let n = crate::keys::parse_count(&a.partitions)?.max(1);
    Dist::parse(&a.dist, (1, n)).context("--dist")
}

/// `--col-size`: a number means fixed.
pub fn size_dist(s: &str) -> Result<Dist> {
    match crate::keys::parse_count(s) {
        Ok(n) => Dist::parse(&format!("fixed({n})"), (0, 0)),
        Err(_) => Dist::parse(s, (1, 1)).context("--col-size"),
    }
}

/// Column specs of the standard (cassandra-stress) tables.
pub fn standard_columns(a: &RunArgs) -> Result<(HashMap<String, ColumnSpec>, ColumnSpec)> {
    let mut cols = HashMap::new();
    cols.insert("key".to_string(), ColumnSpec { population: key_dist(a)?, size: Dist::parse("fixed(10)", (0, 0))? });
    if a.rows_per_partition > 1 {
        cols.insert(
            "ck".to_string(),
            ColumnSpec {
                population: Dist::parse("uniform", (0, a.rows_per_partition - 1))?,
                size: Dist::parse("fixed(8)", (0, 0))?,
            },
        );
    }
    let value = ColumnSpec { population: Dist::parse("uniform(1..100B)", (0, 0))?, size: size_dist(&a.col_size)? };
    Ok((cols, value))
}

/// Apply `--ratio name=w,...` to the definition's weights.
pub fn apply_ratio(def: &mut WorkloadDef, ratio: Option<&str>) -> Result<()> {
    let Some(ratio) = ratio else { return Ok(()) };
    let mut seen = HashMap::new();
    for part in ratio.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, w) = part.split_once('=').with_context(|| format!("bad ratio {part:?}"))?;
        let w: f64 = w.trim().parse().with_context(|| format!("bad weight in {part:?}"))?;
        seen.insert(name.trim().to_ascii_lowercase(), w);
    }
    for (name, _) in seen.iter() {
        if !def.ops.iter().any(|o| o.name.eq_ignore_ascii_case(name)) {
            let known: Vec<&str> = def.ops.iter().map(|o| o.name.as_str()).collect();
            bail!("--ratio names unknown operation {name:?} (have {known:?})");
        }
    }
    for op in &mut def.ops {
        op.weight = seen.get(&op.name.to_ascii_lowercase()).copied().unwrap_or(0.0);
    }
    def.ops.retain(|o| o.weight > 0.0);
    if def.ops.is_empty() {
        bail!("--ratio leaves no operation with a positive weight");
    }
    Ok(())
}

/// Build the definition for a workload kind.
pub fn define(kind: WorkloadKind, a: &RunArgs) -> Result<WorkloadDef> {
    let mut def = match kind {
        WorkloadKind::Write => write::define(a)?,
        WorkloadKind::Read => read::define(a)?,
        WorkloadKind::Mixed => mixed::define(a)?,
        WorkloadKind::Counter => counter::define(a)?,
        WorkloadKind::User => {
            let path = a.yaml.as_ref().context("`user` needs --yaml FILE")?;
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            user::define(&user::parse(&text)?, a)?
        }
    };
    apply_ratio(&mut def, a.ratio.as_deref())?;
    Ok(def)
}

pub fn parse_consistency(s: &str) -> Result<Consistency> {
    Ok(match s.to_ascii_uppercase().replace('-', "_").as_str() {
        "ANY" => Consistency::Any,
        "ONE" => Consistency::One,
        "TWO" => Consistency::Two,
        "THREE" => Consistency::Three,
        "QUORUM" => Consistency::Quorum,
        "ALL" => Consistency::All,
        "LOCAL_QUORUM" => Consistency::LocalQuorum,
        "EACH_QUORUM" => Consistency::EachQuorum,
        "LOCAL_ONE" => Consistency::LocalOne,
        other => bail!("unknown consistency {other:?}"),
    })
}

/// Run the DDL (unless skipped) and prepare every operation.
pub async fn prepare(session: &Session, def: &WorkloadDef, a: &RunArgs) -> Result<Workload> {
    if !a.no_schema {
        for ddl in &def.setup {
            session.query_unpaged(ddl.as_str(), ()).await.with_context(|| format!("schema: {ddl}"))?;
        }
    }
    let consistency = parse_consistency(&a.consistency)?;
    let mut ops = Vec::new();
    let mut max_size = 0;
    for d in &def.ops {
        let mut stmt = match session.prepare(d.cql.as_str()).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "warning: the server refused to prepare {:?} ({e}); every {} operation \
                     will be attempted and counted as an error",
                    d.cql, d.name
                );
                ops.push(Op {
                    name: d.name.clone(),
                    cql: d.cql.clone(),
                    stmt: None,
                    gens: Vec::new(),
                    reads_rows: d.reads_rows,
                });
                continue;
            }
        };
        stmt.set_consistency(consistency);
        stmt.set_page_size(a.page_size);
        let mut gens = Vec::new();
        for spec in stmt.get_variable_col_specs().iter() {
            let name = spec.name();
            let enc = Encoding::of(spec.typ()).with_context(|| format!("bind marker {name:?} of {:?}", d.name))?;
            let cs = def
                .columns
                .get(name)
                .or_else(|| def.columns.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
                .unwrap_or(&def.default_column);
            let g = ColumnGen::new(name, enc, cs.clone());
            max_size = max_size.max(g.max_size() as usize);
            gens.push(g);
        }
        ops.push(Op { name: d.name.clone(), cql: d.cql.clone(), stmt: Some(stmt), gens, reads_rows: d.reads_rows });
    }
    let mut acc = 0.0;
    let cumulative = def
        .ops
        .iter()
        .map(|o| {
            acc += o.weight;
            acc
        })
        .collect();
    Ok(Workload {
        ops,
        cumulative,
        // Small enough to stay in L1/L2: filler is read at random offsets.
        pool: Pool::new((2 * max_size + 64).max(16 << 10), a.seed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;

    pub fn args(extra: &[&str]) -> RunArgs {
        let mut v = vec!["percore-bench", "write"];
        v.extend_from_slice(extra);
        let Command::Write(a) = Cli::try_parse_from(v).unwrap().cmd else { unreachable!() };
        a
    }

    #[test]
    fn standard_definitions() {
        let a = args(&[]);
        let w = define(WorkloadKind::Write, &a).unwrap();
        assert_eq!(w.ops.len(), 1);
        assert_eq!(
            w.ops[0].cql,
            "UPDATE keyspace1.standard1 SET \"C0\" = ?, \"C1\" = ?, \"C2\" = ?, \"C3\" = ?, \"C4\" = ? WHERE KEY = ?"
        );
        let r = define(WorkloadKind::Read, &a).unwrap();
        assert_eq!(r.ops[0].cql, "SELECT * FROM keyspace1.standard1 WHERE KEY = ?");
        let m = define(WorkloadKind::Mixed, &args(&["--ratio", "write=1,read=3"])).unwrap();
        assert_eq!(m.ops.iter().map(|o| o.weight).collect::<Vec<_>>(), vec![1.0, 3.0]);
        assert!(define(WorkloadKind::Mixed, &args(&["--ratio", "nope=1"])).is_err());
        let c = define(WorkloadKind::Counter, &a).unwrap();
        assert!(c.ops[0].cql.contains("\"C0\" = \"C0\" + ?"));
        let i = define(WorkloadKind::Write, &args(&["--write-stmt", "insert", "--rows-per-partition", "10"])).unwrap();
        assert!(i.ops[0].cql.starts_with("INSERT INTO keyspace1.standard1_rows (key, ck, \"C0\""));
    }
}
