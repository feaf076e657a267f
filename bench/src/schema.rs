//! cassandra-stress-style schema: keyspace and table DDL created on demand.
//!
//! `--replication`, `--compaction` and `--compression` take either a raw CQL map
//! (`{'class': 'SimpleStrategy', 'replication_factor': 1}`), `key=value` pairs,
//! or a bare value (an RF number, a compaction class, a compressor name).

/// Schema knobs shared by every workload.
#[derive(Clone, Debug)]
pub struct SchemaOpts {
    pub keyspace: String,
    pub replication: String,
    pub compaction: Option<String>,
    pub compression: Option<String>,
}

/// Turn a user option into a CQL map literal. `bare_key` names the key a bare value fills.
pub fn cql_map(s: &str, bare_key: &str) -> String {
    let s = s.trim();
    if s.starts_with('{') {
        return s.to_string();
    }
    let quote = |v: &str| {
        let v = v.trim().trim_matches('\'');
        if v.parse::<f64>().is_ok() {
            v.to_string()
        } else {
            format!("'{v}'")
        }
    };
    let pairs: Vec<String> = if s.contains('=') {
        s.split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| format!("'{}': {}", k.trim().trim_matches('\''), quote(v)))
            .collect()
    } else {
        vec![format!("'{bare_key}': {}", quote(s))]
    };
    format!("{{{}}}", pairs.join(", "))
}

/// Replication map: a bare number is NetworkTopologyStrategy with that factor.
pub fn replication_map(s: &str) -> String {
    let s = s.trim();
    if s.parse::<u32>().is_ok() {
        return format!("{{'class': 'NetworkTopologyStrategy', 'replication_factor': {s}}}");
    }
    let m = cql_map(s, "class");
    if m.contains("'class'") {
        m
    } else {
        format!("{{'class': 'NetworkTopologyStrategy', {}", &m[1..])
    }
}

impl SchemaOpts {
    pub fn keyspace_ddl(&self) -> String {
        format!(
            "CREATE KEYSPACE IF NOT EXISTS \"{}\" WITH replication = {} AND durable_writes = true",
            self.keyspace,
            replication_map(&self.replication)
        )
    }

    /// `CREATE TABLE IF NOT EXISTS ks.table (body) [WITH compaction = .. AND compression = ..]`.
    pub fn table_ddl(&self, table: &str, body: &str) -> String {
        let mut with = Vec::new();
        if let Some(c) = &self.compaction {
            with.push(format!("compaction = {}", cql_map(c, "class")));
        }
        if let Some(c) = &self.compression {
            let m = if c.trim().is_empty() || c.trim() == "{}" || c.eq_ignore_ascii_case("none") {
                "{}".to_string()
            } else {
                cql_map(c, "sstable_compression")
            };
            with.push(format!("compression = {m}"));
        }
        let mut ddl = format!("CREATE TABLE IF NOT EXISTS {}.{table} ({body})", self.keyspace);
        if !with.is_empty() {
            ddl.push_str(" WITH ");
            ddl.push_str(&with.join(" AND "));
        }
        ddl
    }

    /// `standard1` (or `standard1_rows` with a clustering column `ck` when rows > 1).
    pub fn standard_table(&self, columns: usize, clustered: bool) -> (String, String) {
        let cols: Vec<String> = (0..columns).map(|i| format!("\"C{i}\" blob")).collect();
        if clustered {
            let body = format!("key blob, ck bigint, {}, PRIMARY KEY (key, ck)", cols.join(", "));
            ("standard1_rows".into(), self.table_ddl("standard1_rows", &body))
        } else {
            let body = format!("key blob PRIMARY KEY, {}", cols.join(", "));
            ("standard1".into(), self.table_ddl("standard1", &body))
        }
    }

    pub fn counter_table(&self, columns: usize) -> String {
        let cols: Vec<String> = (0..columns).map(|i| format!("\"C{i}\" counter")).collect();
        self.table_ddl("counter1", &format!("key blob PRIMARY KEY, {}", cols.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> SchemaOpts {
        SchemaOpts { keyspace: "keyspace1".into(), replication: "1".into(), compaction: None, compression: None }
    }

    #[test]
    fn cassandra_stress_ddl() {
        assert_eq!(
            opts().keyspace_ddl(),
            "CREATE KEYSPACE IF NOT EXISTS \"keyspace1\" WITH replication = \
             {'class': 'NetworkTopologyStrategy', 'replication_factor': 1} AND durable_writes = true"
        );
        let (t, ddl) = opts().standard_table(5, false);
        assert_eq!(t, "standard1");
        assert_eq!(
            ddl,
            "CREATE TABLE IF NOT EXISTS keyspace1.standard1 (key blob PRIMARY KEY, \"C0\" blob, \
             \"C1\" blob, \"C2\" blob, \"C3\" blob, \"C4\" blob)"
        );
    }

    #[test]
    fn maps() {
        assert_eq!(cql_map("LZ4Compressor", "sstable_compression"), "{'sstable_compression': 'LZ4Compressor'}");
        assert_eq!(
            replication_map("class=SimpleStrategy,replication_factor=3"),
            "{'class': 'SimpleStrategy', 'replication_factor': 3}"
        );
        assert_eq!(
            replication_map("replication_factor=2"),
            "{'class': 'NetworkTopologyStrategy', 'replication_factor': 2}"
        );
        let mut o = opts();
        o.compression = Some("none".into());
        o.compaction = Some("LeveledCompactionStrategy".into());
        assert!(o
            .table_ddl("t", "k int PRIMARY KEY")
            .ends_with("WITH compaction = {'class': 'LeveledCompactionStrategy'} AND compression = {}"));
    }
}
