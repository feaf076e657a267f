//! Server-side `DESCRIBE`, answered as Cassandra 4.0+ (`DescribeStatement.java`) and
//! ScyllaDB 5+ answer it, so cqlsh and drivers get the schema as CQL text from the server.
//!
//! Every form returns rows of the pseudo-table `system.describe`:
//! - listings (`KEYSPACES`, `TABLES`, `TYPES`, `FUNCTIONS`, `AGGREGATES`): `keyspace_name`,
//!   `type`, `name`;
//! - elements (`[FULL] SCHEMA`, `[ONLY] KEYSPACE`, `TABLE`, the generic `DESCRIBE x`, …):
//!   the same plus `create_statement`, a CQL statement ending in `;`;
//! - `CLUSTER`: `cluster`, `partitioner`, `snitch`, plus `range_ownership` when the session
//!   has a non-system keyspace.
//!
//! Names are quoted where CQL needs it; keyspaces and the elements of each are ordered by
//! name, ignoring case. A keyspace is followed by its tables. System keyspaces appear in
//! `KEYSPACES`, `FULL SCHEMA` and keyspace-less listings, not in `SCHEMA`. A keyspace's user
//! types follow it (each after the types it uses), then its tables, each followed by its
//! secondary indexes (`CREATE INDEX`, element type `index`). There are no functions,
//! aggregates or views: their listings are empty and naming one gives Cassandra's
//! "not found" error. Everything is resolved against the schema at
//! execution time, with the session keyspace of that moment.

use std::cmp::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use percore_protocol::cql::ast::{DescribeStatement, DescribeTarget, QualifiedName};
use percore_protocol::response::{ColumnSpec, RowsMetadata};
use percore_protocol::types::{CqlType, UdtType};
use percore_protocol::wire::write_bytes;

use crate::config::Config;
use crate::cql::error::CqlError;
use crate::cql::result::RowsResult;
use crate::cql::system_tables::values::{text, text_collection};
use crate::model::token::PARTITIONER;
use crate::schema::describe::{create_keyspace, create_table, create_type, quote_name};
use crate::schema::indexes::create_index_cql;
use crate::schema::user_types::dependency_order;
use crate::schema::{IndexDef, KeyspaceDef, Schema, TableDef};

/// The pseudo-table DESCRIBE results claim to come from (`system.describe`).
const RESULT_KEYSPACE: &str = "system";
const RESULT_TABLE: &str = "describe";

/// The columns of listings.
const LISTING_COLUMNS: [&str; 3] = ["keyspace_name", "type", "name"];
/// The columns of elements: a listing's plus the CQL that creates the element.
const ELEMENT_COLUMNS: [&str; 4] = ["keyspace_name", "type", "name", "create_statement"];

/// What `DESCRIBE CLUSTER` shows about the cluster and its token ring.
#[derive(Debug, Clone)]
pub struct ClusterInfo {
    pub cluster_name: String,
    /// Partitioner class, without the `org.apache.cassandra.dht.` prefix (as Cassandra).
    pub partitioner: String,
    /// Snitch class, without the `org.apache.cassandra.locator.` prefix (as Cassandra).
    pub snitch: String,
    /// Each token range's end token and the endpoints that replicate it for the session's
    /// keyspace, in ring order (see [`crate::cql::cluster_info`]).
    pub ring: Vec<(String, Vec<String>)>,
}

impl ClusterInfo {
    /// The node's cluster with `ring` as the session keyspace's range ownership.
    pub fn new(config: &Config, ring: Vec<(String, Vec<String>)>) -> ClusterInfo {
        let trim = |s: &str, prefix: &str| s.strip_prefix(prefix).unwrap_or(s).to_string();
        ClusterInfo {
            cluster_name: config.cluster_name.clone(),
            partitioner: trim(PARTITIONER, "org.apache.cassandra.dht."),
            snitch: trim(&config.endpoint_snitch, "org.apache.cassandra.locator."),
            ring,
        }
    }
}

/// The answer to a DESCRIBE: its columns and all its rows, returned as one page.
#[derive(Debug)]
pub struct DescribeRows {
    pub columns: Arc<[ColumnSpec]>,
    pub rows: Vec<Vec<Option<Bytes>>>,
}

impl DescribeRows {
    /// The rows as a RESULT frame's content. Metadata is always sent: a prepared DESCRIBE
    /// announces no result columns, because they depend on the session at execution.
    pub fn into_result(self) -> RowsResult {
        let mut content = Vec::new();
        for cell in self.rows.iter().flatten() {
            write_bytes(&mut content, cell.as_deref());
        }
        RowsResult {
            metadata: RowsMetadata { columns: self.columns, paging_state: None, no_metadata: false },
            count: self.rows.len() as i32,
            content,
        }
    }
}

/// A schema element DESCRIBE shows (Cassandra's `SchemaElement`).
#[derive(Debug, Clone, Copy)]
enum Element<'a> {
    Keyspace(&'a KeyspaceDef),
    Type(&'a UdtType),
    Table(&'a TableDef),
    /// A secondary index (after its table, as Cassandra lists it), with its base table.
    Index(&'a TableDef, &'a IndexDef),
}

impl Element<'_> {
    fn keyspace(&self) -> &str {
        match self {
            Element::Keyspace(ks) => &ks.name,
            Element::Type(t) => &t.keyspace,
            Element::Table(t) | Element::Index(t, _) => &t.keyspace,
        }
    }

    /// The `type` column: Cassandra's `SchemaElementType` in lower case.
    fn kind(&self) -> &'static str {
        match self {
            Element::Keyspace(_) => "keyspace",
            Element::Type(_) => "type",
            Element::Table(_) => "table",
            Element::Index(..) => "index",
        }
    }

    fn name(&self) -> &str {
        match self {
            Element::Keyspace(ks) => &ks.name,
            Element::Type(t) => &t.name,
            Element::Table(t) => &t.name,
            Element::Index(_, i) => &i.name,
        }
    }

    /// `WITH INTERNALS` adds the table id.
    fn create_statement(&self, with_internals: bool) -> String {
        match self {
            Element::Keyspace(ks) => create_keyspace(ks),
            Element::Type(t) => create_type(t),
            Element::Table(t) => create_table(t, with_internals),
            Element::Index(t, i) => create_index_cql(t, i),
        }
    }

    fn listing_row(&self) -> Vec<Option<Bytes>> {
        vec![text(&quote_name(self.keyspace())), text(self.kind()), text(&quote_name(self.name()))]
    }

    fn element_row(&self, with_internals: bool) -> Vec<Option<Bytes>> {
        let mut row = self.listing_row();
        row.push(text(&self.create_statement(with_internals)));
        row
    }
}

/// What a DESCRIBE resolves to, before it becomes rows.
enum Answer<'a> {
    Listing(Vec<Element<'a>>),
    Elements(Vec<Element<'a>>),
    Cluster,
}

/// Runs a DESCRIBE against `schema`, with the session's current keyspace.
pub fn describe(
    statement: &DescribeStatement,
    schema: &Schema,
    session_keyspace: Option<&str>,
    cluster: &ClusterInfo,
) -> Result<DescribeRows, CqlError> {
    Ok(match resolve(&statement.target, schema, session_keyspace)? {
        Answer::Listing(elements) => DescribeRows {
            columns: text_columns(&LISTING_COLUMNS),
            rows: elements.iter().map(Element::listing_row).collect(),
        },
        Answer::Elements(elements) => DescribeRows {
            columns: text_columns(&ELEMENT_COLUMNS),
            rows: elements.iter().map(|e| e.element_row(statement.with_internals)).collect(),
        },
        Answer::Cluster => describe_cluster(cluster, schema, session_keyspace),
    })
}

fn resolve<'a>(target: &DescribeTarget, schema: &'a Schema, session: Option<&str>) -> Result<Answer<'a>, CqlError> {
    Ok(match target {
        DescribeTarget::Cluster => Answer::Cluster,
        DescribeTarget::Keyspaces => {
            Answer::Listing(sorted_keyspaces(schema).into_iter().map(Element::Keyspace).collect())
        }
        DescribeTarget::Schema { full } => Answer::Elements(
            sorted_keyspaces(schema)
                .into_iter()
                .filter(|ks| *full || !ks.is_system)
                .flat_map(|ks| keyspace_elements(ks, false))
                .collect(),
        ),
        DescribeTarget::Keyspace { name, only } => {
            let ks = known_keyspace(schema, element_keyspace(name.as_deref(), session)?)?;
            Answer::Elements(keyspace_elements(ks, *only))
        }
        DescribeTarget::Tables => {
            Answer::Listing(listing(schema, session, |ks| sorted_tables(ks).into_iter().map(Element::Table).collect())?)
        }
        DescribeTarget::Types => Answer::Listing(listing(schema, session, |ks| {
            let mut types: Vec<&UdtType> = ks.types.values().collect();
            types.sort_by(|a, b| by_name(&a.name, &b.name));
            types.into_iter().map(Element::Type).collect()
        })?),
        DescribeTarget::Functions | DescribeTarget::Aggregates => {
            Answer::Listing(listing(schema, session, |_| Vec::new())?)
        }
        DescribeTarget::Table(name) => {
            let ks = known_keyspace(schema, element_keyspace(name.keyspace.as_deref(), session)?)?;
            let table = ks.user_table(&name.name).ok_or_else(|| {
                CqlError::invalid(format!("Table '{}' not found in keyspace '{}'", name.name, ks.name))
            })?;
            Answer::Elements(table_with_indexes(ks, table))
        }
        DescribeTarget::Type(name) => {
            let ks = known_keyspace(schema, element_keyspace(name.keyspace.as_deref(), session)?)?;
            let ty = ks.types.get(&name.name).ok_or_else(|| {
                CqlError::invalid(format!("User defined type '{}' not found in '{}'", name.name, ks.name))
            })?;
            Answer::Elements(vec![Element::Type(ty)])
        }
        DescribeTarget::Function(name) => return Err(absent(schema, name, session, "User defined function")),
        DescribeTarget::Aggregate(name) => return Err(absent(schema, name, session, "User defined aggregate")),
        DescribeTarget::Index(name) => {
            let ks = known_keyspace(schema, element_keyspace(name.keyspace.as_deref(), session)?)?;
            let found = ks.indexes.get(&name.name).and_then(|i| ks.user_table(&i.table).map(|t| (t, i)));
            let Some((table, index)) = found else {
                return Err(absent(schema, name, session, "Table for existing index"));
            };
            Answer::Elements(vec![Element::Index(table, index)])
        }
        DescribeTarget::MaterializedView(name) => return Err(absent(schema, name, session, "Materialized view")),
        DescribeTarget::Generic(name) => generic(schema, name, session)?,
    })
}

/// `DESCRIBE [ks.]x`: a keyspace (when unqualified), else a table of the keyspace (indexes
/// and views, which Cassandra tries next, do not exist here).
fn generic<'a>(schema: &'a Schema, name: &QualifiedName, session: Option<&str>) -> Result<Answer<'a>, CqlError> {
    let keyspace = match (&name.keyspace, schema.keyspace(&name.name)) {
        (Some(keyspace), _) => keyspace.as_str(),
        (None, Some(ks)) => return Ok(Answer::Elements(keyspace_elements(ks, false))),
        // Without a session keyspace the name is taken as a keyspace's, hence the error.
        (None, None) => session.unwrap_or(&name.name),
    };
    let ks = known_keyspace(schema, keyspace)?;
    match ks.user_table(&name.name) {
        Some(table) => Ok(Answer::Elements(table_with_indexes(ks, table))),
        None => Err(CqlError::invalid(format!("'{}' not found in keyspace '{}'", name.name, ks.name))),
    }
}

/// The error for a named element of a kind that never exists, once its keyspace checks out.
fn absent(schema: &Schema, name: &QualifiedName, session: Option<&str>, kind: &str) -> CqlError {
    match element_keyspace(name.keyspace.as_deref(), session).and_then(|ks| known_keyspace(schema, ks)) {
        Ok(ks) => CqlError::invalid(format!("{kind} '{}' not found in '{}'", name.name, ks.name)),
        Err(e) => e,
    }
}

/// A listing: of the session keyspace, or of every keyspace (system ones too) without one.
fn listing<'a>(
    schema: &'a Schema,
    session: Option<&str>,
    elements_of: impl Fn(&'a KeyspaceDef) -> Vec<Element<'a>>,
) -> Result<Vec<Element<'a>>, CqlError> {
    match session {
        Some(keyspace) => Ok(elements_of(known_keyspace(schema, keyspace)?)),
        None => Ok(sorted_keyspaces(schema).into_iter().flat_map(elements_of).collect()),
    }
}

/// The keyspace an element is looked up in: the named one, else the session's.
fn element_keyspace<'a>(named: Option<&'a str>, session: Option<&'a str>) -> Result<&'a str, CqlError> {
    named.or(session).ok_or_else(|| CqlError::invalid("No keyspace specified and no current keyspace".into()))
}

fn known_keyspace<'a>(schema: &'a Schema, name: &str) -> Result<&'a KeyspaceDef, CqlError> {
    schema
        .keyspace(name)
        .map(|ks| ks.as_ref())
        .ok_or_else(|| CqlError::invalid(format!("'{name}' not found in keyspaces")))
}

/// A keyspace, then (unless `only`) its types and its tables.
fn keyspace_elements(ks: &KeyspaceDef, only: bool) -> Vec<Element<'_>> {
    let mut elements = vec![Element::Keyspace(ks)];
    if !only {
        elements.extend(dependency_order(&ks.types).into_iter().map(Element::Type));
        elements.extend(sorted_tables(ks).into_iter().flat_map(|t| table_with_indexes(ks, t)));
    }
    elements
}

/// A table followed by its indexes (by name), as DESCRIBE TABLE and KEYSPACE show them.
fn table_with_indexes<'a>(ks: &'a KeyspaceDef, table: &'a TableDef) -> Vec<Element<'a>> {
    let mut elements = vec![Element::Table(table)];
    elements.extend(ks.indexes_on(&table.name).map(|i| Element::Index(table, i)));
    elements
}

/// Cassandra's `SchemaElement.NAME_COMPARATOR`: by name, ignoring case.
fn by_name(a: &str, b: &str) -> Ordering {
    a.chars().flat_map(char::to_lowercase).cmp(b.chars().flat_map(char::to_lowercase))
}

fn sorted_keyspaces(schema: &Schema) -> Vec<&KeyspaceDef> {
    let mut keyspaces: Vec<&KeyspaceDef> = schema.keyspaces().map(|ks| ks.as_ref()).collect();
    keyspaces.sort_by(|a, b| by_name(&a.name, &b.name));
    keyspaces
}

fn sorted_tables(ks: &KeyspaceDef) -> Vec<&TableDef> {
    let mut tables: Vec<&TableDef> = ks.user_tables().map(|t| t.as_ref()).collect();
    tables.sort_by(|a, b| by_name(&a.name, &b.name));
    tables
}

/// `DESCRIBE CLUSTER`; the ring is shown for a session keyspace that is not a system one.
fn describe_cluster(cluster: &ClusterInfo, schema: &Schema, session: Option<&str>) -> DescribeRows {
    let mut columns = text_columns(&["cluster", "partitioner", "snitch"]).to_vec();
    let mut row = vec![text(&cluster.cluster_name), text(&cluster.partitioner), text(&cluster.snitch)];
    let system = |name: &str| schema.keyspace(name).is_some_and(|ks| ks.is_system);
    if session.is_some_and(|ks| !system(ks)) {
        let list = CqlType::Frozen(Box::new(CqlType::List(Box::new(CqlType::Text))));
        columns.push(column("range_ownership", CqlType::Map(Box::new(CqlType::Text), Box::new(list))));
        row.push(ring_map(&cluster.ring));
    }
    DescribeRows { columns: columns.into(), rows: vec![row] }
}

/// `map<text, frozen<list<text>>>`: end token → endpoints.
fn ring_map(ring: &[(String, Vec<String>)]) -> Option<Bytes> {
    let mut out = (ring.len() as i32).to_be_bytes().to_vec();
    for (token, endpoints) in ring {
        write_bytes(&mut out, Some(token.as_bytes()));
        write_bytes(&mut out, text_collection(endpoints).as_deref());
    }
    Some(Bytes::from(out))
}

fn column(name: &str, ty: CqlType) -> ColumnSpec {
    ColumnSpec { keyspace: RESULT_KEYSPACE.into(), table: RESULT_TABLE.into(), name: name.into(), ty }
}

fn text_columns(names: &[&str]) -> Arc<[ColumnSpec]> {
    names.iter().map(|name| column(name, CqlType::Text)).collect()
}

#[cfg(test)]
mod tests {
    use percore_protocol::cql::ast::Statement;
    use percore_protocol::cql::parse_statement;

    use super::*;
    use crate::schema::change::{apply, DdlOutcome};
    use crate::schema::system_keyspaces;

    const KS: &str = "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}";

    fn schema_of(ddl: &[&str]) -> Schema {
        let mut schema = Schema::new(system_keyspaces::definitions());
        for text in ddl {
            let parsed = parse_statement(text).unwrap();
            match apply(&schema, &parsed.statement, None, "datacenter1").unwrap() {
                DdlOutcome::Changed { schema: next, .. } => schema = next,
                DdlOutcome::Unchanged => {}
            }
        }
        schema
    }

    fn schema() -> Schema {
        schema_of(&[
            KS,
            "CREATE KEYSPACE \"Other\" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            "CREATE TABLE ks.zeta (k int PRIMARY KEY, v text)",
            "CREATE TABLE ks.\"Beta\" (k int, c text, s int static, v blob, PRIMARY KEY (k, c)) \
             WITH CLUSTERING ORDER BY (c DESC) AND comment = 'it''s'",
            "CREATE TABLE ks.alpha (a int, b int, PRIMARY KEY ((a, b)))",
        ])
    }

    /// Two ranges: (200, -100] and (-100, 200].
    fn cluster() -> ClusterInfo {
        let ring = vec![
            ("-100".to_string(), vec!["127.0.0.1".to_string(), "127.0.0.2".to_string()]),
            ("200".to_string(), vec!["127.0.0.2".to_string(), "127.0.0.1".to_string()]),
        ];
        ClusterInfo::new(&Config::default(), ring)
    }

    fn run(schema: &Schema, cql: &str, session: Option<&str>) -> Result<DescribeRows, CqlError> {
        let Statement::Describe(statement) = parse_statement(cql).unwrap().statement else {
            panic!("not a DESCRIBE: {cql}");
        };
        describe(&statement, schema, session, &cluster())
    }

    /// The rows as text (every cell of these results is text).
    fn rows(schema: &Schema, cql: &str, session: Option<&str>) -> Vec<Vec<String>> {
        let answer = run(schema, cql, session).unwrap();
        answer
            .rows
            .iter()
            .map(|row| {
                assert_eq!(row.len(), answer.columns.len());
                row.iter().map(|c| String::from_utf8(c.clone().unwrap().to_vec()).unwrap()).collect()
            })
            .collect()
    }

    fn column_names(answer: &DescribeRows) -> Vec<&str> {
        answer.columns.iter().map(|c| c.name.as_str()).collect()
    }

    fn error(schema: &Schema, cql: &str, session: Option<&str>) -> CqlError {
        run(schema, cql, session).unwrap_err()
    }

    fn names(rows: &[Vec<String>]) -> Vec<(&str, &str, &str)> {
        rows.iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str())).collect()
    }

    fn table_text(schema: &Schema, ks: &str, table: &str) -> String {
        create_table(schema.table(ks, table).unwrap(), false)
    }

    #[test]
    fn keyspaces_lists_every_keyspace_by_name_ignoring_case() {
        let s = schema();
        let answer = run(&s, "DESCRIBE KEYSPACES", Some("ks")).unwrap();
        assert_eq!(column_names(&answer), ["keyspace_name", "type", "name"]);
        assert!(answer.columns.iter().all(|c| c.keyspace == "system" && c.table == "describe"));
        assert_eq!(
            names(&rows(&s, "DESC KEYSPACES", None)),
            [
                ("ks", "keyspace", "ks"),
                ("\"Other\"", "keyspace", "\"Other\""),
                ("system", "keyspace", "system"),
                ("system_schema", "keyspace", "system_schema"),
            ]
        );
    }

    #[test]
    fn table_gives_its_create_statement() {
        let s = schema();
        let expected = table_text(&s, "ks", "Beta");
        assert!(expected.starts_with("CREATE TABLE ks.\"Beta\" (\n    k int,\n    c text,\n    s int static,"));
        assert!(expected.contains(") WITH CLUSTERING ORDER BY (c DESC)\n    AND bloom_filter_fp_chance = 0.01"));
        assert!(expected.contains("comment = 'it''s'"));
        assert!(expected.ends_with(';'));
        let answer = run(&s, "DESCRIBE TABLE ks.\"Beta\"", None).unwrap();
        assert_eq!(column_names(&answer), ["keyspace_name", "type", "name", "create_statement"]);
        let want = vec![vec!["ks".to_string(), "table".into(), "\"Beta\"".into(), expected]];
        for (cql, session) in [
            ("DESCRIBE TABLE ks.\"Beta\"", None),
            ("DESC COLUMNFAMILY \"Beta\"", Some("ks")),
            ("DESCRIBE ks.\"Beta\"", Some("Other")),
            ("describe \"Beta\"", Some("ks")),
        ] {
            assert_eq!(rows(&s, cql, session), want, "{cql}");
        }
    }

    #[test]
    fn with_internals_adds_the_table_id() {
        let s = schema();
        let rows = rows(&s, "DESCRIBE TABLE ks.zeta WITH INTERNALS", None);
        assert_eq!(rows[0][3], create_table(s.table("ks", "zeta").unwrap(), true));
        assert!(rows[0][3].contains(&s.table("ks", "zeta").unwrap().id.to_string()));
    }

    #[test]
    fn keyspace_is_followed_by_its_tables() {
        let s = schema();
        let expected = vec![
            ("ks", "keyspace", "ks"),
            ("ks", "table", "alpha"),
            ("ks", "table", "\"Beta\""),
            ("ks", "table", "zeta"),
        ];
        for (cql, session) in
            [("DESCRIBE KEYSPACE ks", None), ("DESC KEYSPACE", Some("ks")), ("DESCRIBE ks", Some("Other"))]
        {
            let rows = rows(&s, cql, session);
            assert_eq!(names(&rows), expected, "{cql}");
            assert_eq!(rows[0][3], create_keyspace(s.keyspace("ks").unwrap()));
            assert_eq!(rows[2][3], table_text(&s, "ks", "Beta"));
            assert!(rows.iter().all(|r| r[3].ends_with(';')));
        }
        assert_eq!(names(&rows(&s, "DESCRIBE ONLY KEYSPACE ks", None)), [("ks", "keyspace", "ks")]);
        assert_eq!(names(&rows(&s, "DESCRIBE KEYSPACE \"Other\"", None)), [("\"Other\"", "keyspace", "\"Other\"")]);
    }

    #[test]
    fn schema_leaves_out_system_keyspaces_unless_full() {
        let s = schema();
        let user = rows(&s, "DESCRIBE SCHEMA", Some("system"));
        let mut expected = rows(&s, "DESCRIBE KEYSPACE ks", None);
        expected.extend(rows(&s, "DESCRIBE KEYSPACE \"Other\"", None));
        assert_eq!(user, expected);
        let full = rows(&s, "DESCRIBE FULL SCHEMA", None);
        let keyspaces: Vec<&str> = full.iter().filter(|r| r[1] == "keyspace").map(|r| r[0].as_str()).collect();
        assert_eq!(keyspaces, ["ks", "\"Other\"", "system", "system_schema"]);
        assert!(full
            .iter()
            .any(|r| r[0] == "system" && r[2] == "local" && r[3].starts_with("CREATE TABLE system.local (")));
    }

    #[test]
    fn tables_lists_the_session_keyspace_or_all() {
        let s = schema();
        assert_eq!(
            names(&rows(&s, "DESCRIBE TABLES", Some("ks"))),
            [("ks", "table", "alpha"), ("ks", "table", "\"Beta\""), ("ks", "table", "zeta")]
        );
        assert!(rows(&s, "DESC COLUMNFAMILIES", Some("Other")).is_empty());
        let all = rows(&s, "DESCRIBE TABLES", None);
        assert_eq!(all.len(), 3 + 4 + 10, "user tables, system (local, peers, peers_v2, clients), system_schema");
        assert_eq!(all[0][0], "ks");
        assert!(all.iter().any(|r| r[0] == "system_schema" && r[2] == "columns"));
        assert_eq!(error(&s, "DESCRIBE TABLES", Some("gone")).message, "'gone' not found in keyspaces");
    }

    #[test]
    fn types_functions_and_aggregates_are_empty_listings() {
        let s = schema();
        for cql in ["DESCRIBE TYPES", "DESCRIBE FUNCTIONS", "DESC AGGREGATES"] {
            let answer = run(&s, cql, Some("ks")).unwrap();
            assert_eq!(column_names(&answer), ["keyspace_name", "type", "name"]);
            assert!(answer.rows.is_empty(), "{cql}");
            assert!(run(&s, cql, None).unwrap().rows.is_empty(), "{cql}");
        }
    }

    #[test]
    fn not_found_errors_are_cassandras() {
        let s = schema();
        let invalid = percore_protocol::error::ErrorCode::INVALID.0;
        for (cql, session, message) in [
            ("DESCRIBE KEYSPACE nope", None, "'nope' not found in keyspaces"),
            ("DESCRIBE nope", None, "'nope' not found in keyspaces"),
            ("DESCRIBE nope", Some("ks"), "'nope' not found in keyspace 'ks'"),
            ("DESCRIBE ks.nope", None, "'nope' not found in keyspace 'ks'"),
            ("DESCRIBE nope.t", Some("ks"), "'nope' not found in keyspaces"),
            ("DESCRIBE TABLE ks.nope", None, "Table 'nope' not found in keyspace 'ks'"),
            ("DESCRIBE TABLE ks.beta", None, "Table 'beta' not found in keyspace 'ks'"),
            ("DESCRIBE TABLE nope.t", None, "'nope' not found in keyspaces"),
            ("DESCRIBE TABLE t", None, "No keyspace specified and no current keyspace"),
            ("DESCRIBE KEYSPACE", None, "No keyspace specified and no current keyspace"),
            ("DESCRIBE TYPE ks.x", None, "User defined type 'x' not found in 'ks'"),
            ("DESCRIBE TYPE x", None, "No keyspace specified and no current keyspace"),
            ("DESCRIBE TYPE nope.x", None, "'nope' not found in keyspaces"),
            ("DESCRIBE FUNCTION f", Some("ks"), "User defined function 'f' not found in 'ks'"),
            ("DESCRIBE AGGREGATE ks.a", None, "User defined aggregate 'a' not found in 'ks'"),
            ("DESCRIBE INDEX ks.i", None, "Table for existing index 'i' not found in 'ks'"),
            ("DESCRIBE MATERIALIZED VIEW ks.v", None, "Materialized view 'v' not found in 'ks'"),
        ] {
            let e = error(&s, cql, session);
            assert_eq!((e.code, e.message.as_str()), (invalid, message), "{cql}");
        }
    }

    #[test]
    fn cluster_shows_the_ring_only_for_a_user_keyspace() {
        let s = schema();
        let plain = rows(&s, "DESCRIBE CLUSTER", None);
        assert_eq!(plain, [["Percore Cluster", "Murmur3Partitioner", "SimpleSnitch"]]);
        assert_eq!(rows(&s, "DESCRIBE CLUSTER", Some("system")), plain);
        let answer = run(&s, "DESCRIBE CLUSTER", Some("ks")).unwrap();
        assert_eq!(column_names(&answer), ["cluster", "partitioner", "snitch", "range_ownership"]);
        assert_eq!(answer.columns[3].ty.cql_name(), "map<text, frozen<list<text>>>");
        // {'-100': [.1, .2], '200': [.2, .1]}: entry count, then each key and value as [bytes].
        let list = |addresses: [&[u8]; 2]| {
            let mut list = 2i32.to_be_bytes().to_vec();
            for address in addresses {
                write_bytes(&mut list, Some(address));
            }
            list
        };
        let mut expected = 2i32.to_be_bytes().to_vec();
        write_bytes(&mut expected, Some(b"-100"));
        write_bytes(&mut expected, Some(&list([b"127.0.0.1", b"127.0.0.2"])));
        write_bytes(&mut expected, Some(b"200"));
        write_bytes(&mut expected, Some(&list([b"127.0.0.2", b"127.0.0.1"])));
        assert_eq!(answer.rows[0][3].as_deref(), Some(&expected[..]));
    }

    #[test]
    fn into_result_encodes_every_row_in_one_page() {
        let s = schema();
        let answer = run(&s, "DESCRIBE KEYSPACES", None).unwrap();
        let cells: Vec<Vec<u8>> = answer.rows.iter().flatten().map(|c| c.clone().unwrap().to_vec()).collect();
        let result = answer.into_result();
        assert_eq!(result.count, 4);
        assert!(result.metadata.paging_state.is_none() && !result.metadata.no_metadata);
        let mut expected = Vec::new();
        for cell in &cells {
            write_bytes(&mut expected, Some(cell));
        }
        assert_eq!(result.content, expected);
    }
}
