//! AST of `INSERT`, `UPDATE`, `DELETE` and `BATCH`.

use super::{parse_err, parse_ok, statement};
use crate::cql::{
    Assignment, BatchKind, BindMarker, BindMarkerInfo, Condition, ConditionTarget, DeleteSelector, InValues,
    InsertValues, Literal, Operator, QualifiedName, Relation, Statement, Term, UsingClause,
};

fn int(s: &str) -> Term {
    Term::Literal(Literal::Integer(s.into()))
}

fn bind(index: usize) -> Term {
    Term::Bind(BindMarker { index, name: None })
}

#[test]
fn insert_with_options() {
    let Statement::Insert(insert) = statement(
        "INSERT INTO ks.t (a, \"B\") VALUES (?, [1]) IF NOT EXISTS USING TTL ? AND TIMESTAMP 5 AND TIMEOUT 1s",
    ) else {
        panic!("not an insert");
    };
    assert_eq!(insert.table, QualifiedName::qualified("ks", "t"));
    assert_eq!(
        insert.values,
        InsertValues::Columns {
            columns: vec!["a".into(), "B".into()],
            values: vec![bind(0), Term::List(vec![int("1")])],
        }
    );
    assert!(insert.if_not_exists);
    assert_eq!(
        insert.using,
        UsingClause {
            ttl: Some(bind(1)),
            timestamp: Some(int("5")),
            timeout: Some(Term::Literal(Literal::Duration("1s".into()))),
        }
    );
}

#[test]
fn insert_json() {
    let Statement::Insert(insert) = statement("INSERT INTO t JSON ? DEFAULT UNSET") else {
        panic!("not an insert");
    };
    assert_eq!(insert.values, InsertValues::Json { value: bind(0), default_unset: true });
    let Statement::Insert(insert) = statement("INSERT INTO t JSON '{}'") else {
        panic!("not an insert");
    };
    assert_eq!(
        insert.values,
        InsertValues::Json { value: Term::Literal(Literal::String("{}".into())), default_unset: false }
    );
}

#[test]
fn stress_counter_update() {
    let parsed = parse_ok("UPDATE counter1 SET \"C0\"=\"C0\"+?,\"C1\"=\"C1\"+? WHERE KEY=?");
    assert_eq!(parsed.bind_markers.len(), 3);
    let Statement::Update(update) = parsed.statement else {
        panic!("not an update");
    };
    assert_eq!(update.table, QualifiedName::unqualified("counter1"));
    assert_eq!(
        update.assignments,
        vec![
            Assignment::Add { column: "C0".into(), value: bind(0) },
            Assignment::Add { column: "C1".into(), value: bind(1) },
        ]
    );
    assert_eq!(update.where_clause, vec![Relation::Simple { column: "key".into(), op: Operator::Eq, value: bind(2) }]);
}

#[test]
fn assignment_kinds() {
    let Statement::Update(update) = statement(
        "UPDATE t USING TTL 5 SET a = 1, b = b + {1}, c = c - {2}, d = [0] + d, e = e -1, f += 2, g -= ?, m['k'] = 'v', u.f = 3 WHERE k = 1",
    ) else {
        panic!("not an update");
    };
    assert_eq!(update.using.ttl, Some(int("5")));
    assert_eq!(
        update.assignments,
        vec![
            Assignment::Set { column: "a".into(), value: int("1") },
            Assignment::Add { column: "b".into(), value: Term::Set(vec![int("1")]) },
            Assignment::Subtract { column: "c".into(), value: Term::Set(vec![int("2")]) },
            Assignment::Prepend { column: "d".into(), value: Term::List(vec![int("0")]) },
            Assignment::Add { column: "e".into(), value: int("-1") },
            Assignment::Add { column: "f".into(), value: int("2") },
            Assignment::Subtract { column: "g".into(), value: bind(0) },
            Assignment::SetElement {
                column: "m".into(),
                key: Term::Literal(Literal::String("k".into())),
                value: Term::Literal(Literal::String("v".into())),
            },
            Assignment::SetField { column: "u".into(), field: "f".into(), value: int("3") },
        ]
    );
}

#[test]
fn assignment_must_refer_to_its_own_column() {
    let error = parse_err("UPDATE t SET a = b + 1 WHERE k = 1");
    assert_eq!((error.line, error.column), (1, 17));
    assert!(error.message.contains("X = X + <value>"), "{error}");
    let error = parse_err("UPDATE t SET a = [1] + b WHERE k = 1");
    assert!(error.message.contains("X = <value> + X"), "{error}");
}

#[test]
fn update_conditions() {
    let Statement::Update(update) = statement(
        "UPDATE t SET v = 1 WHERE k = 1 IF a = 1 AND b[2] > 3 AND c IN (1, 2) AND d.f != 'x' AND e IN ? AND l CONTAINS 4",
    ) else {
        panic!("not an update");
    };
    assert!(!update.if_exists);
    assert_eq!(
        update.conditions,
        vec![
            Condition::Compare { target: ConditionTarget::Column("a".into()), op: Operator::Eq, value: int("1") },
            Condition::Compare {
                target: ConditionTarget::Element { column: "b".into(), key: int("2") },
                op: Operator::Gt,
                value: int("3")
            },
            Condition::In {
                target: ConditionTarget::Column("c".into()),
                values: InValues::List(vec![int("1"), int("2")])
            },
            Condition::Compare {
                target: ConditionTarget::Field { column: "d".into(), field: "f".into() },
                op: Operator::Neq,
                value: Term::Literal(Literal::String("x".into()))
            },
            Condition::In {
                target: ConditionTarget::Column("e".into()),
                values: InValues::Marker(BindMarker { index: 0, name: None })
            },
            Condition::Compare { target: ConditionTarget::Column("l".into()), op: Operator::Contains, value: int("4") },
        ]
    );
}

#[test]
fn if_exists_versus_column_named_exists() {
    let Statement::Update(update) = statement("UPDATE t SET v = 1 WHERE k = 1 IF EXISTS") else {
        panic!("not an update");
    };
    assert!(update.if_exists && update.conditions.is_empty());
    let Statement::Update(update) = statement("UPDATE t SET v = 1 WHERE k = 1 IF exists = 1") else {
        panic!("not an update");
    };
    assert!(!update.if_exists);
    assert_eq!(update.conditions.len(), 1);
}

#[test]
fn delete_forms() {
    let Statement::Delete(delete) =
        statement("DELETE a, b[?], c.f FROM ks.t USING TIMESTAMP 1 AND TIMEOUT 2s WHERE k = ? IF EXISTS")
    else {
        panic!("not a delete");
    };
    assert_eq!(
        delete.columns,
        vec![
            DeleteSelector::Column("a".into()),
            DeleteSelector::Element { column: "b".into(), key: bind(0) },
            DeleteSelector::Field { column: "c".into(), field: "f".into() },
        ]
    );
    assert_eq!(delete.table, QualifiedName::qualified("ks", "t"));
    assert_eq!(delete.using.timestamp, Some(int("1")));
    assert!(delete.using.timeout.is_some());
    assert!(delete.if_exists);
    let Statement::Delete(delete) = statement("DELETE FROM t WHERE k = 1") else {
        panic!("not a delete");
    };
    assert!(delete.columns.is_empty());
}

#[test]
fn delete_takes_no_ttl() {
    let error = parse_err("DELETE FROM t USING TTL 1 WHERE k = 1");
    assert_eq!((error.line, error.column), (1, 20));
}

#[test]
fn duplicate_using_items_are_rejected() {
    let error = parse_err("INSERT INTO t (a) VALUES (1) USING TTL 1 AND TTL 2");
    assert_eq!((error.line, error.column), (1, 45));
}

#[test]
fn batch_numbers_markers_across_statements() {
    let parsed = parse_ok(
        "BEGIN UNLOGGED BATCH USING TIMESTAMP ? \
         INSERT INTO t (a, b) VALUES (?, ?); \
         UPDATE t SET b = :b WHERE a = ? \
         DELETE FROM t WHERE a = ?; \
         APPLY BATCH;",
    );
    assert_eq!(
        parsed.bind_markers,
        vec![
            BindMarkerInfo { name: None },
            BindMarkerInfo { name: None },
            BindMarkerInfo { name: None },
            BindMarkerInfo { name: Some("b".into()) },
            BindMarkerInfo { name: None },
            BindMarkerInfo { name: None },
        ]
    );
    let Statement::Batch(batch) = parsed.statement else {
        panic!("not a batch");
    };
    assert_eq!(batch.kind, BatchKind::Unlogged);
    assert_eq!(batch.using.timestamp, Some(bind(0)));
    assert_eq!(batch.statements.len(), 3);
    let Some(Statement::Delete(delete)) = batch.statements.get(2) else {
        panic!("third statement is not a delete");
    };
    assert_eq!(delete.where_clause, vec![Relation::Simple { column: "a".into(), op: Operator::Eq, value: bind(5) }]);
    let Statement::Batch(batch) = statement("BEGIN COUNTER BATCH APPLY BATCH") else {
        panic!("not a batch");
    };
    assert_eq!(batch.kind, BatchKind::Counter);
    let Statement::Batch(batch) = statement("BEGIN BATCH APPLY BATCH") else {
        panic!("not a batch");
    };
    assert_eq!(batch.kind, BatchKind::Logged);
}

#[test]
fn batch_rejects_other_statements() {
    let error = parse_err("BEGIN BATCH SELECT * FROM t APPLY BATCH");
    assert_eq!((error.line, error.column), (1, 12));
    assert!(error.message.starts_with("mismatched input 'SELECT' expecting K_APPLY"), "{error}");
}
