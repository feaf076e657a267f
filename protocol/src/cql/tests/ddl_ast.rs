//! AST of schema statements and `DESCRIBE`.

use super::{parse_err, statement};
use crate::cql::{
    AlterTableAction, AlterTypeAction, ColumnDef, DescribeStatement, DescribeTarget, IndexTarget, IndexTargetKind,
    Literal, OptionValue, Ordering, QualifiedName, Statement, TypeExpr,
};

fn native(name: &str) -> TypeExpr {
    TypeExpr::Native(name.into())
}

fn string(s: &str) -> Literal {
    Literal::String(s.into())
}

#[test]
fn stress_create_keyspace() {
    let Statement::CreateKeyspace(ks) = statement(
        "CREATE KEYSPACE IF NOT EXISTS \"keyspace1\" WITH replication = {'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'replication_factor' : '1'} AND durable_writes = true;",
    ) else {
        panic!("not a create keyspace");
    };
    assert_eq!(ks.name, "keyspace1");
    assert!(ks.if_not_exists);
    assert_eq!(
        ks.options,
        vec![
            (
                "replication".to_string(),
                OptionValue::Map(vec![
                    (string("class"), string("org.apache.cassandra.locator.NetworkTopologyStrategy")),
                    (string("replication_factor"), string("1")),
                ])
            ),
            ("durable_writes".to_string(), OptionValue::Constant(Literal::Boolean(true))),
        ]
    );
}

#[test]
fn stress_create_table() {
    let Statement::CreateTable(table) = statement(
        "CREATE TABLE IF NOT EXISTS standard1 (key blob PRIMARY KEY, \"C0\" blob, \"C1\" blob) WITH compression = {}",
    ) else {
        panic!("not a create table");
    };
    assert_eq!(table.name, QualifiedName::unqualified("standard1"));
    assert!(table.if_not_exists);
    let column = |name: &str| ColumnDef { name: name.into(), ty: native("blob"), is_static: false };
    assert_eq!(table.columns, vec![column("key"), column("C0"), column("C1")]);
    assert_eq!(table.partition_key, vec!["key".to_string()]);
    assert!(table.clustering_key.is_empty());
    assert_eq!(table.options, vec![("compression".to_string(), OptionValue::Map(vec![]))]);
}

#[test]
fn create_table_with_composite_key_and_properties() {
    let Statement::CreateTable(table) = statement(
        "CREATE TABLE ks.t (a int, b text, c timeuuid, d frozen<map<text, list<int>>>, s set<int> static, v vector<float, 3>, \
         PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC) AND COMPACT STORAGE AND comment = 'x' \
         AND compaction = {'class': 'LeveledCompactionStrategy', 'sstable_size_in_mb': 160} AND speculative_retry = NONE",
    ) else {
        panic!("not a create table");
    };
    assert_eq!(table.name, QualifiedName::qualified("ks", "t"));
    assert_eq!(table.partition_key, vec!["a".to_string(), "b".to_string()]);
    assert_eq!(table.clustering_key, vec!["c".to_string()]);
    assert_eq!(table.clustering_order, vec![("c".to_string(), Ordering::Desc)]);
    assert!(table.compact_storage);
    let types: Vec<(String, TypeExpr, bool)> =
        table.columns.iter().map(|c| (c.name.clone(), c.ty.clone(), c.is_static)).collect();
    assert_eq!(
        types,
        vec![
            ("a".into(), native("int"), false),
            ("b".into(), native("text"), false),
            ("c".into(), native("timeuuid"), false),
            (
                "d".into(),
                TypeExpr::Frozen(Box::new(TypeExpr::Map(
                    Box::new(native("text")),
                    Box::new(TypeExpr::List(Box::new(native("int"))))
                ))),
                false
            ),
            ("s".into(), TypeExpr::Set(Box::new(native("int"))), true),
            ("v".into(), TypeExpr::Vector(Box::new(native("float")), 3), false),
        ]
    );
    assert_eq!(
        table.options,
        vec![
            ("comment".to_string(), OptionValue::Constant(string("x"))),
            (
                "compaction".to_string(),
                OptionValue::Map(vec![
                    (string("class"), string("LeveledCompactionStrategy")),
                    (string("sstable_size_in_mb"), Literal::Integer("160".into())),
                ])
            ),
            ("speculative_retry".to_string(), OptionValue::Identifier("NONE".into())),
        ]
    );
}

#[test]
fn other_type_expressions() {
    let Statement::CreateTable(table) = statement(
        "CREATE TABLE t (k int PRIMARY KEY, a tuple<int, text>, b ks.address, c \"Addr\", d 'org.apache.cassandra.db.marshal.BytesType', e VARCHAR)",
    ) else {
        panic!("not a create table");
    };
    let types: Vec<TypeExpr> = table.columns.iter().map(|c| c.ty.clone()).collect();
    assert_eq!(
        types,
        vec![
            native("int"),
            TypeExpr::Tuple(vec![native("int"), native("text")]),
            TypeExpr::UserDefined(QualifiedName::qualified("ks", "address")),
            TypeExpr::UserDefined(QualifiedName::unqualified("Addr")),
            TypeExpr::Custom("org.apache.cassandra.db.marshal.BytesType".into()),
            native("varchar"),
        ]
    );
}

#[test]
fn exactly_one_primary_key() {
    let error = parse_err("CREATE TABLE t (a int PRIMARY KEY, b int, PRIMARY KEY (b))");
    assert_eq!((error.line, error.column), (1, 42));
    assert!(error.message.contains("Multiple PRIMARY KEYs"), "{error}");
    let error = parse_err("CREATE TABLE t (a int, b int)");
    assert_eq!((error.line, error.column), (1, 28));
    assert!(error.message.contains("No PRIMARY KEY"), "{error}");
}

#[test]
fn duplicate_properties_are_rejected() {
    let error = parse_err("CREATE KEYSPACE ks WITH durable_writes = true AND durable_writes = false");
    assert_eq!((error.line, error.column), (1, 50));
}

#[test]
fn bind_markers_are_not_allowed_in_ddl() {
    let error = parse_err("CREATE KEYSPACE ks WITH replication = {'class': ?}");
    assert_eq!((error.line, error.column), (1, 48));
    let error = parse_err("CREATE TABLE ?.t (a int PRIMARY KEY)");
    assert!(error.message.contains("keyspace names"), "{error}");
}

#[test]
fn alter_table_actions() {
    let action = |text: &str| match statement(text) {
        Statement::AlterTable(alter) => alter.action,
        other => panic!("not an alter table: {other:?}"),
    };
    assert_eq!(
        action("ALTER TABLE t ADD (c int, d text STATIC)"),
        AlterTableAction::Add(vec![
            ColumnDef { name: "c".into(), ty: native("int"), is_static: false },
            ColumnDef { name: "d".into(), ty: native("text"), is_static: true },
        ])
    );
    assert_eq!(
        action("ALTER TABLE t DROP (c, \"D\")"),
        AlterTableAction::Drop { columns: vec!["c".into(), "D".into()], timestamp: None }
    );
    assert_eq!(
        action("ALTER TABLE t DROP compact"),
        AlterTableAction::Drop { columns: vec!["compact".into()], timestamp: None }
    );
    assert_eq!(
        action("ALTER TABLE t DROP c USING TIMESTAMP 1700000000000000"),
        AlterTableAction::Drop { columns: vec!["c".into()], timestamp: Some(1_700_000_000_000_000) }
    );
    assert_eq!(action("ALTER TABLE t DROP COMPACT STORAGE"), AlterTableAction::DropCompactStorage);
    assert_eq!(
        action("ALTER TABLE t RENAME a TO b AND c TO d"),
        AlterTableAction::Rename(vec![("a".into(), "b".into()), ("c".into(), "d".into())])
    );
    assert_eq!(action("ALTER TABLE t ALTER c TYPE blob"), AlterTableAction::AlterType("c".into(), native("blob")));
    assert_eq!(
        action("ALTER TABLE t WITH gc_grace_seconds = 10"),
        AlterTableAction::WithOptions(vec![(
            "gc_grace_seconds".into(),
            OptionValue::Constant(Literal::Integer("10".into()))
        )])
    );
}

#[test]
fn type_statements() {
    let Statement::CreateType(create) = statement("CREATE TYPE IF NOT EXISTS ks.address (street text, zip int,)")
    else {
        panic!("not a create type");
    };
    assert_eq!(create.name, QualifiedName::qualified("ks", "address"));
    assert!(create.if_not_exists);
    assert_eq!(create.fields, vec![("street".into(), native("text")), ("zip".into(), native("int"))]);
    let Statement::AlterType(alter) = statement("ALTER TYPE address ADD country text") else {
        panic!("not an alter type");
    };
    assert_eq!(alter.action, AlterTypeAction::Add("country".into(), native("text")));
    let Statement::DropType(drop) = statement("DROP TYPE IF EXISTS address") else {
        panic!("not a drop type");
    };
    assert!(drop.if_exists);
    let error = parse_err("CREATE TYPE byte (a int)");
    assert!(error.message.contains("reserved"), "{error}");
}

#[test]
fn index_statements() {
    let Statement::CreateIndex(index) = statement(
        "CREATE CUSTOM INDEX IF NOT EXISTS idx ON ks.t (KEYS(m)) USING 'some.Class' WITH OPTIONS = {'mode': 'CONTAINS'}",
    ) else {
        panic!("not a create index");
    };
    assert_eq!(index.name, Some("idx".into()));
    assert_eq!(index.table, QualifiedName::qualified("ks", "t"));
    assert_eq!(index.target, IndexTarget { column: "m".into(), kind: IndexTargetKind::Keys });
    assert!(index.if_not_exists && index.custom);
    assert_eq!(index.custom_class, Some("some.Class".into()));
    assert_eq!(index.options.len(), 1);
    let Statement::CreateIndex(index) = statement("CREATE INDEX ON t (values)") else {
        panic!("not a create index");
    };
    assert_eq!(index.name, None);
    assert_eq!(index.target, IndexTarget { column: "values".into(), kind: IndexTargetKind::Simple });
    let Statement::DropIndex(drop) = statement("DROP INDEX IF EXISTS ks.idx") else {
        panic!("not a drop index");
    };
    assert_eq!(drop.name, QualifiedName::qualified("ks", "idx"));
    assert!(drop.if_exists);
}

#[test]
fn keyspace_and_table_drops_and_use() {
    assert!(matches!(
        statement("DROP SCHEMA IF EXISTS ks"),
        Statement::DropKeyspace(d) if d.if_exists && d.name == "ks"
    ));
    assert!(matches!(
        statement("DROP TABLE ks.t"),
        Statement::DropTable(d) if !d.if_exists && d.name == QualifiedName::qualified("ks", "t")
    ));
    assert!(matches!(
        statement("TRUNCATE COLUMNFAMILY t"),
        Statement::Truncate(t) if t.name == QualifiedName::unqualified("t")
    ));
    assert!(matches!(
        statement("use \"Ks\""),
        Statement::Use(u) if u.keyspace == "Ks"
    ));
    assert!(matches!(
        statement("ALTER KEYSPACE ks WITH durable_writes = false"),
        Statement::AlterKeyspace(a) if a.name == "ks" && a.options.len() == 1
    ));
}

#[test]
fn describe_targets() {
    let describe = |text: &str| match statement(text) {
        Statement::Describe(d) => d,
        other => panic!("not a describe: {other:?}"),
    };
    let target = |text: &str| describe(text).target;
    assert_eq!(target("DESCRIBE CLUSTER"), DescribeTarget::Cluster);
    assert_eq!(target("DESC KEYSPACES"), DescribeTarget::Keyspaces);
    assert_eq!(target("DESCRIBE SCHEMA"), DescribeTarget::Schema { full: false });
    assert_eq!(target("DESCRIBE FULL SCHEMA"), DescribeTarget::Schema { full: true });
    assert_eq!(target("DESCRIBE KEYSPACE"), DescribeTarget::Keyspace { name: None, only: false });
    assert_eq!(target("DESC ONLY KEYSPACE Ks"), DescribeTarget::Keyspace { name: Some("ks".into()), only: true });
    assert_eq!(target("DESCRIBE TABLES"), DescribeTarget::Tables);
    assert_eq!(target("DESCRIBE TABLE ks.t"), DescribeTarget::Table(QualifiedName::qualified("ks", "t")));
    assert_eq!(target("DESCRIBE COLUMNFAMILY t"), DescribeTarget::Table(QualifiedName::unqualified("t")));
    assert_eq!(target("DESCRIBE TYPES"), DescribeTarget::Types);
    assert_eq!(target("DESCRIBE TYPE address"), DescribeTarget::Type(QualifiedName::unqualified("address")));
    assert_eq!(target("DESCRIBE FUNCTIONS"), DescribeTarget::Functions);
    assert_eq!(target("DESCRIBE FUNCTION ks.f"), DescribeTarget::Function(QualifiedName::qualified("ks", "f")));
    assert_eq!(target("DESCRIBE AGGREGATES"), DescribeTarget::Aggregates);
    assert_eq!(target("DESCRIBE INDEX idx"), DescribeTarget::Index(QualifiedName::unqualified("idx")));
    assert_eq!(
        target("DESCRIBE MATERIALIZED VIEW ks.mv"),
        DescribeTarget::MaterializedView(QualifiedName::qualified("ks", "mv"))
    );
    assert_eq!(target("DESCRIBE ks.\"T\""), DescribeTarget::Generic(QualifiedName::qualified("ks", "T")));
    assert_eq!(
        describe("DESCRIBE KEYSPACE ks WITH INTERNALS"),
        DescribeStatement {
            target: DescribeTarget::Keyspace { name: Some("ks".into()), only: false },
            with_internals: true
        }
    );
}
