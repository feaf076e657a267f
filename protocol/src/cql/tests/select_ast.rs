//! AST of `SELECT` statements, relations and terms.

use super::{parse_ok, statement};
use crate::cql::{
    BindMarker, BindMarkerInfo, InValues, Literal, Operator, Ordering, QualifiedName, Relation, SelectStatement,
    Selection, Selector, SelectorExpr, Statement, Term, TypeExpr,
};

fn select(text: &str) -> SelectStatement {
    match statement(text) {
        Statement::Select(select) => select,
        other => panic!("not a select: {other:?}"),
    }
}

fn string(s: &str) -> Term {
    Term::Literal(Literal::String(s.into()))
}

fn int(s: &str) -> Term {
    Term::Literal(Literal::Integer(s.into()))
}

fn bind(index: usize) -> Term {
    Term::Bind(BindMarker { index, name: None })
}

fn column(name: &str) -> Selector {
    Selector { expr: SelectorExpr::Column(name.into()), alias: None }
}

#[test]
fn system_local_query() {
    let s = select("SELECT * FROM system.local WHERE key='local'");
    assert_eq!(
        s,
        SelectStatement {
            json: false,
            distinct: false,
            selection: Selection::All,
            from: QualifiedName::qualified("system", "local"),
            where_clause: vec![Relation::Simple { column: "key".into(), op: Operator::Eq, value: string("local") }],
            group_by: vec![],
            order_by: vec![],
            per_partition_limit: None,
            limit: None,
            allow_filtering: false,
            bypass_cache: false,
            timeout: None,
        }
    );
}

#[test]
fn driver_metadata_query_with_in_marker_and_timeout() {
    let parsed = parse_ok("SELECT * FROM system_schema.keyspaces WHERE keyspace_name IN ? USING TIMEOUT 120000ms");
    assert_eq!(parsed.bind_markers, vec![BindMarkerInfo { name: None }]);
    let Statement::Select(s) = parsed.statement else {
        panic!("not a select");
    };
    assert_eq!(s.from, QualifiedName::qualified("system_schema", "keyspaces"));
    assert_eq!(
        s.where_clause,
        vec![Relation::In {
            column: "keyspace_name".into(),
            values: InValues::Marker(BindMarker { index: 0, name: None }),
        }]
    );
    assert_eq!(s.timeout, Some(Term::Literal(Literal::Duration("120000ms".into()))));
}

#[test]
fn peers_selectors() {
    let s = select(
        "SELECT peer, data_center, host_id, rack, release_version, rpc_address, schema_version, tokens FROM system.peers",
    );
    let names =
        ["peer", "data_center", "host_id", "rack", "release_version", "rpc_address", "schema_version", "tokens"];
    assert_eq!(s.selection, Selection::Selectors(names.iter().map(|n| column(n)).collect()));
    assert_eq!(s.from, QualifiedName::qualified("system", "peers"));
}

#[test]
fn stress_select_with_uppercase_key_and_quoted_table() {
    let s = select("SELECT * FROM \"standard1\" WHERE KEY=?");
    assert_eq!(s.from, QualifiedName::unqualified("standard1"));
    assert_eq!(s.where_clause, vec![Relation::Simple { column: "key".into(), op: Operator::Eq, value: bind(0) }]);
}

#[test]
fn identifiers_fold_case_unless_quoted() {
    let s = select("SELECT MyCol, \"MyCol\", \"a\"\"b\" FROM MyKs.\"MyTable\"");
    assert_eq!(s.selection, Selection::Selectors(vec![column("mycol"), column("MyCol"), column("a\"b")]));
    assert_eq!(s.from, QualifiedName::qualified("myks", "MyTable"));
}

#[test]
fn json_and_distinct_are_keywords_or_columns() {
    let s = select("SELECT JSON DISTINCT a FROM t");
    assert!(s.json && s.distinct);
    assert_eq!(s.selection, Selection::Selectors(vec![column("a")]));
    let s = select("SELECT json, distinct FROM t");
    assert!(!s.json && !s.distinct);
    assert_eq!(s.selection, Selection::Selectors(vec![column("json"), column("distinct")]));
    let s = select("SELECT json FROM t");
    assert!(!s.json);
    let s = select("SELECT JSON json FROM t");
    assert!(s.json);
    assert_eq!(s.selection, Selection::Selectors(vec![column("json")]));
}

#[test]
fn selector_kinds() {
    let s = select(
        "SELECT COUNT(*), count(1) AS n, count(a), writetime(b), TTL(b), CAST(c AS text), u.f, m['k'], ks.fn(a, 1), 'lit' FROM t",
    );
    let Selection::Selectors(selectors) = s.selection else {
        panic!("expected selectors");
    };
    let exprs: Vec<SelectorExpr> = selectors.iter().map(|s| s.expr.clone()).collect();
    assert_eq!(
        exprs,
        vec![
            SelectorExpr::CountAll,
            SelectorExpr::CountAll,
            SelectorExpr::FunctionCall {
                name: QualifiedName::unqualified("count"),
                args: vec![SelectorExpr::Column("a".into())],
            },
            SelectorExpr::WriteTime("b".into()),
            SelectorExpr::Ttl("b".into()),
            SelectorExpr::Cast {
                expr: Box::new(SelectorExpr::Column("c".into())),
                ty: TypeExpr::Native("text".into()),
            },
            SelectorExpr::FieldAccess { expr: Box::new(SelectorExpr::Column("u".into())), field: "f".into() },
            SelectorExpr::ElementAccess { expr: Box::new(SelectorExpr::Column("m".into())), key: string("k") },
            SelectorExpr::FunctionCall {
                name: QualifiedName::qualified("ks", "fn"),
                args: vec![SelectorExpr::Column("a".into()), SelectorExpr::Term(int("1")),],
            },
            SelectorExpr::Term(string("lit")),
        ]
    );
    assert_eq!(selectors.get(1).and_then(|s| s.alias.clone()), Some("n".into()));
}

#[test]
fn token_and_multi_column_relations() {
    let s = select(
        "SELECT a FROM t WHERE token(a, b) > token(?, ?) AND (c, d) >= (1, ?) AND (c, d) IN ((1, 2), ?) AND e IN (3, ?)",
    );
    assert_eq!(
        s.where_clause,
        vec![
            Relation::Token {
                columns: vec!["a".into(), "b".into()],
                op: Operator::Gt,
                value: Term::FunctionCall { name: QualifiedName::unqualified("token"), args: vec![bind(0), bind(1)] },
            },
            Relation::MultiColumn {
                columns: vec!["c".into(), "d".into()],
                op: Operator::Gte,
                value: Term::Tuple(vec![int("1"), bind(2)]),
            },
            Relation::MultiColumnIn {
                columns: vec!["c".into(), "d".into()],
                values: InValues::List(vec![Term::Tuple(vec![int("1"), int("2")]), bind(3)]),
            },
            Relation::In { column: "e".into(), values: InValues::List(vec![int("3"), bind(4)]) },
        ]
    );
}

#[test]
fn other_relations() {
    let s = select(
        "SELECT a FROM t WHERE m CONTAINS KEY 'k' AND l CONTAINS 1 AND n['k'] != 2 AND s LIKE 'a%' AND x IS NOT NULL AND (y < 3)",
    );
    assert_eq!(
        s.where_clause,
        vec![
            Relation::Simple { column: "m".into(), op: Operator::ContainsKey, value: string("k") },
            Relation::Simple { column: "l".into(), op: Operator::Contains, value: int("1") },
            Relation::MapElement { column: "n".into(), key: string("k"), op: Operator::Neq, value: int("2") },
            Relation::Simple { column: "s".into(), op: Operator::Like, value: string("a%") },
            Relation::IsNotNull { column: "x".into() },
            Relation::Simple { column: "y".into(), op: Operator::Lt, value: int("3") },
        ]
    );
}

#[test]
fn trailing_clauses() {
    let s = select(
        "SELECT a FROM t WHERE a = 1 GROUP BY a, B ORDER BY b DESC, c PER PARTITION LIMIT 2 LIMIT ? ALLOW FILTERING BYPASS CACHE USING TIMEOUT :t",
    );
    assert_eq!(s.group_by, vec!["a".to_string(), "b".to_string()]);
    assert_eq!(s.order_by, vec![("b".into(), Ordering::Desc), ("c".into(), Ordering::Asc)]);
    assert_eq!(s.per_partition_limit, Some(int("2")));
    assert_eq!(s.limit, Some(bind(0)));
    assert!(s.allow_filtering && s.bypass_cache);
    assert_eq!(s.timeout, Some(Term::Bind(BindMarker { index: 1, name: Some("t".into()) })));
}

#[test]
fn literal_kinds() {
    let s = select(
        "SELECT * FROM t WHERE a = -12 AND b = 1.5e-3 AND c = NaN AND d = -Infinity AND e = TRUE \
         AND f = 0xCAFE AND g = 123e4567-e89b-12d3-a456-426655440000 AND h = 1h30m AND i = P2W \
         AND j = $$it's$$ AND k = 'it''s' AND l = null AND m = -NaN AND n = Infinity AND o = 0x",
    );
    let values: Vec<Term> = s
        .where_clause
        .into_iter()
        .map(|r| match r {
            Relation::Simple { value, .. } => value,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let lit = Term::Literal;
    assert_eq!(
        values,
        vec![
            lit(Literal::Integer("-12".into())),
            lit(Literal::Float("1.5e-3".into())),
            lit(Literal::Float("NaN".into())),
            lit(Literal::Float("-Infinity".into())),
            lit(Literal::Boolean(true)),
            lit(Literal::Blob(vec![0xca, 0xfe])),
            lit(Literal::Uuid("123e4567-e89b-12d3-a456-426655440000".into())),
            lit(Literal::Duration("1h30m".into())),
            lit(Literal::Duration("P2W".into())),
            lit(Literal::String("it's".into())),
            lit(Literal::String("it's".into())),
            lit(Literal::Null),
            lit(Literal::Float("NaN".into())),
            lit(Literal::Float("Infinity".into())),
            lit(Literal::Blob(vec![])),
        ]
    );
}

#[test]
fn collection_and_udt_terms() {
    let s = select(
        "SELECT * FROM t WHERE a = [1, 2] AND b = {1, 2} AND c = {'k': 1} AND d = {} AND e = {f: 1, \"G\": 'x'} AND g = (1, 'x') AND h = (int) ? AND i = toTimestamp(now()) AND j = (frozen<map<int, text>>) {}",
    );
    let values: Vec<Term> = s
        .where_clause
        .into_iter()
        .map(|r| match r {
            Relation::Simple { value, .. } => value,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        values,
        vec![
            Term::List(vec![int("1"), int("2")]),
            Term::Set(vec![int("1"), int("2")]),
            Term::Map(vec![(string("k"), int("1"))]),
            Term::EmptyBraces,
            Term::Udt(vec![("f".into(), int("1")), ("G".into(), string("x"))]),
            Term::Tuple(vec![int("1"), string("x")]),
            Term::TypeCast { ty: TypeExpr::Native("int".into()), term: Box::new(bind(0)) },
            Term::FunctionCall {
                name: QualifiedName::unqualified("totimestamp"),
                args: vec![Term::FunctionCall { name: QualifiedName::unqualified("now"), args: vec![] }],
            },
            Term::TypeCast {
                ty: TypeExpr::Frozen(Box::new(TypeExpr::Map(
                    Box::new(TypeExpr::Native("int".into())),
                    Box::new(TypeExpr::Native("text".into())),
                ))),
                term: Box::new(Term::EmptyBraces),
            },
        ]
    );
}

#[test]
fn named_markers_are_recorded_in_order() {
    let parsed = parse_ok("SELECT * FROM t WHERE a = :First AND b = ? AND c = :\"Second\" LIMIT :lim");
    assert_eq!(
        parsed.bind_markers,
        vec![
            BindMarkerInfo { name: Some("first".into()) },
            BindMarkerInfo { name: None },
            BindMarkerInfo { name: Some("Second".into()) },
            BindMarkerInfo { name: Some("lim".into()) },
        ]
    );
}

#[test]
fn markers_inside_backtracked_syntax_are_counted_once() {
    // `SELECT JSON ?` is tried as a JSON select before being read as a column selection.
    let parsed = parse_ok("SELECT JSON ?, a FROM t WHERE a = (int) ? AND b = (?, ?)");
    assert_eq!(parsed.bind_markers.len(), 4);
    let Statement::Select(s) = parsed.statement else {
        panic!("not a select");
    };
    assert_eq!(
        s.where_clause.get(1),
        Some(&Relation::Simple { column: "b".into(), op: Operator::Eq, value: Term::Tuple(vec![bind(2), bind(3)]) })
    );
}
