//! User-defined types: CREATE, ALTER and DROP TYPE applied to a keyspace with Cassandra's
//! refusals. Column types embed the types they use, so ALTER TYPE rewrites every table and
//! type of the keyspace that refers to the altered one. Also: finding references to a type,
//! and ordering types so that each comes after the types it uses (DESCRIBE, persistence).

use std::collections::BTreeMap;
use std::sync::Arc;

use percore_protocol::cql::ast::{AlterTypeAction, AlterTypeStatement, CreateTypeStatement, TypeExpr};
use percore_protocol::types::{CqlType, UdtType};

use super::error::SchemaError;

use super::build::{resolve_type, TypeScope};
use super::definitions::{ColumnKind, KeyspaceDef, TableDef};

/// `CREATE TYPE`: the keyspace with the new type; `None` when `IF NOT EXISTS` found it.
pub fn create(ks: &KeyspaceDef, stmt: &CreateTypeStatement) -> Result<Option<KeyspaceDef>, SchemaError> {
    let name = &stmt.name.name;
    if ks.types.contains_key(name) {
        if stmt.if_not_exists {
            return Ok(None);
        }
        return Err(SchemaError::invalid(format!("A user type with name '{name}' already exists")));
    }
    for (i, (field, _)) in stmt.fields.iter().enumerate() {
        if stmt.fields[..i].iter().any(|(f, _)| f == field) {
            return Err(SchemaError::invalid(format!("Duplicate field name '{field}' in type '{name}'")));
        }
    }
    let scope = TypeScope { keyspace: &ks.name, types: &ks.types };
    let fields = stmt
        .fields
        .iter()
        .map(|(field, expr)| Ok((field.clone(), field_type(expr, scope)?)))
        .collect::<Result<Vec<_>, SchemaError>>()?;
    let mut ks = ks.clone();
    ks.types.insert(name.clone(), UdtType { keyspace: ks.name.clone(), name: name.clone(), fields });
    Ok(Some(ks))
}

/// The type of a field: no counters, and user types only frozen (checked as written, before
/// the type is looked up, as Cassandra does).
fn field_type(expr: &TypeExpr, scope: TypeScope<'_>) -> Result<CqlType, SchemaError> {
    match expr {
        TypeExpr::Native(n) if n.eq_ignore_ascii_case("counter") => {
            Err(SchemaError::invalid("A user type cannot contain counters".into()))
        }
        TypeExpr::UserDefined(_) => Err(SchemaError::invalid("A user type cannot contain non-frozen UDTs".into())),
        _ => resolve_type(expr, scope),
    }
}

pub fn unknown_type(keyspace: &str, name: &str) -> SchemaError {
    SchemaError::invalid(format!("No user type named {keyspace}.{name} exists."))
}

/// `ALTER TYPE`: the keyspace with the type altered, in its tables and other types too.
pub fn alter(ks: &KeyspaceDef, stmt: &AlterTypeStatement) -> Result<KeyspaceDef, SchemaError> {
    let name = &stmt.name.name;
    let old = ks.types.get(name).ok_or_else(|| unknown_type(&ks.name, name))?;
    let full_name = format!("{}.{name}", ks.name);
    let mut fields = old.fields.clone();
    match &stmt.action {
        AlterTypeAction::Add(field, expr) => {
            if fields.iter().any(|(f, _)| f == field) {
                return Err(SchemaError::invalid(format!(
                    "Cannot add new field {field} to type {full_name}: a field of the same name already exists"
                )));
            }
            let ty = field_type(expr, TypeScope { keyspace: &ks.name, types: &ks.types })?;
            if references(&ty, &ks.name, name) {
                return Err(SchemaError::invalid(format!(
                    "Cannot add new field {field} of type {} to type {full_name} as this would create a circular reference",
                    ty.cql_name()
                )));
            }
            check_addition(ks, old, field, &ty, &full_name)?;
            fields.push((field.clone(), ty));
        }
        AlterTypeAction::Rename(renames) => {
            for (from, to) in renames {
                let slot = fields
                    .iter_mut()
                    .find(|(f, _)| f == from)
                    .ok_or_else(|| SchemaError::invalid(format!("Unknown field {from} in type {full_name}")))?;
                slot.0 = to.clone();
            }
            for (i, (field, _)) in fields.iter().enumerate() {
                if fields[..i].iter().any(|(f, _)| f == field) {
                    return Err(SchemaError::invalid(format!("Duplicate field name {field} in type {name}")));
                }
            }
        }
        AlterTypeAction::AlterField(..) => {
            return Err(SchemaError::invalid("Altering field types is no longer supported".into()))
        }
    }
    let updated = UdtType { fields, ..old.clone() };
    Ok(with_type_replaced(ks, &updated))
}

/// What adding a field would break: partition keys (their values, hence tokens, would
/// change) and non-frozen uses when the new field is a non-frozen collection.
fn check_addition(
    ks: &KeyspaceDef,
    old: &UdtType,
    field: &str,
    ty: &CqlType,
    full_name: &str,
) -> Result<(), SchemaError> {
    let in_partition_key: Vec<String> = ks
        .tables
        .values()
        .filter(|t| {
            t.columns.iter().any(|c| c.kind == ColumnKind::PartitionKey && references(&c.ty, &ks.name, &old.name))
        })
        .map(|t| format!("{}.{}", t.keyspace, t.name))
        .collect();
    if !in_partition_key.is_empty() {
        return Err(SchemaError::invalid(format!(
            "Cannot add new field {field} of type {} to user type {full_name} as the type is being used in partition key by the following tables: {}",
            ty.cql_name(),
            in_partition_key.join(", ")
        )));
    }
    let used_non_frozen = ks.tables.values().flat_map(|t| &t.columns).any(|c| is_this_type(&c.ty, old));
    if used_non_frozen && ty.is_multi_cell() {
        return Err(SchemaError::invalid(
            "Non-frozen UDTs with nested non-frozen collections are not supported".into(),
        ));
    }
    Ok(())
}

fn is_this_type(ty: &CqlType, udt: &UdtType) -> bool {
    matches!(ty, CqlType::Udt(u) if u.keyspace == udt.keyspace && u.name == udt.name)
}

/// `DROP TYPE` of an existing type: refused while a type or table uses it.
pub fn drop(ks: &KeyspaceDef, name: &str) -> Result<KeyspaceDef, SchemaError> {
    let full_name = format!("{}.{name}", ks.name);
    if let Some(user) =
        ks.types.values().find(|t| t.name != name && t.fields.iter().any(|(_, ty)| references(ty, &ks.name, name)))
    {
        return Err(SchemaError::invalid(format!(
            "Cannot drop user type {full_name} as it is still used by user type {}",
            user.name
        )));
    }
    if let Some(table) = ks.tables.values().find(|t| t.columns.iter().any(|c| references(&c.ty, &ks.name, name))) {
        return Err(SchemaError::invalid(format!(
            "Cannot drop user type {full_name} as it is still used by table {}.{}",
            table.keyspace, table.name
        )));
    }
    let mut ks = ks.clone();
    ks.types.remove(name);
    Ok(ks)
}

/// Whether `ty` is, or contains, the user type `keyspace.name`.
pub fn references(ty: &CqlType, keyspace: &str, name: &str) -> bool {
    match ty {
        CqlType::Udt(u) => {
            (u.keyspace == keyspace && u.name == name) || u.fields.iter().any(|(_, t)| references(t, keyspace, name))
        }
        CqlType::Frozen(t) | CqlType::List(t) | CqlType::Set(t) | CqlType::Vector(t, _) => {
            references(t, keyspace, name)
        }
        CqlType::Map(k, v) => references(k, keyspace, name) || references(v, keyspace, name),
        CqlType::Tuple(items) => items.iter().any(|t| references(t, keyspace, name)),
        _ => false,
    }
}

/// `ty` with every occurrence of the user type `updated` names replaced by `updated`.
pub fn replace(ty: &CqlType, updated: &UdtType) -> CqlType {
    let boxed = |t: &CqlType| Box::new(replace(t, updated));
    match ty {
        CqlType::Udt(u) if u.keyspace == updated.keyspace && u.name == updated.name => CqlType::Udt(updated.clone()),
        CqlType::Udt(u) => CqlType::Udt(UdtType {
            fields: u.fields.iter().map(|(n, t)| (n.clone(), replace(t, updated))).collect(),
            ..u.clone()
        }),
        CqlType::Frozen(t) => CqlType::Frozen(boxed(t)),
        CqlType::List(t) => CqlType::List(boxed(t)),
        CqlType::Set(t) => CqlType::Set(boxed(t)),
        CqlType::Map(k, v) => CqlType::Map(boxed(k), boxed(v)),
        CqlType::Tuple(items) => CqlType::Tuple(items.iter().map(|t| replace(t, updated)).collect()),
        CqlType::Vector(t, dimension) => CqlType::Vector(boxed(t), *dimension),
        other => other.clone(),
    }
}

/// The keyspace with `updated` installed and propagated to the types and tables using it.
fn with_type_replaced(ks: &KeyspaceDef, updated: &UdtType) -> KeyspaceDef {
    let mut ks = ks.clone();
    for t in ks.types.values_mut() {
        t.fields = t.fields.iter().map(|(n, ty)| (n.clone(), replace(ty, updated))).collect();
    }
    ks.types.insert(updated.name.clone(), updated.clone());
    let tables: Vec<Arc<TableDef>> = ks
        .tables
        .values()
        .filter(|t| t.columns.iter().any(|c| references(&c.ty, &updated.keyspace, &updated.name)))
        .cloned()
        .collect();
    for table in tables {
        let mut columns = table.columns.clone();
        for c in &mut columns {
            c.ty = replace(&c.ty, updated);
        }
        let mut altered = TableDef::new(
            table.id,
            table.keyspace.clone(),
            table.name.clone(),
            columns,
            table.options.clone(),
            table.is_virtual,
        );
        altered.is_index_backing = table.is_index_backing;
        ks.tables.insert(altered.name.clone(), Arc::new(altered));
    }
    ks
}

/// The keyspace's types, each after the types it uses (by name otherwise).
pub fn dependency_order(types: &BTreeMap<String, UdtType>) -> Vec<&UdtType> {
    let mut ordered: Vec<&UdtType> = Vec::with_capacity(types.len());
    let mut pending: Vec<&UdtType> = types.values().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut i = 0;
        while i < pending.len() {
            let t = pending[i];
            let ready = pending.iter().all(|other| {
                other.name == t.name || !t.fields.iter().any(|(_, f)| references(f, &other.keyspace, &other.name))
            });
            if ready {
                ordered.push(t);
                pending.remove(i);
            } else {
                i += 1;
            }
        }
        if pending.len() == before {
            // A cycle cannot be created; keep whatever is left rather than loop.
            ordered.append(&mut pending);
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::change::{apply, DdlOutcome};
    use crate::schema::snapshot::Schema;
    use crate::schema::system_keyspaces;
    use percore_protocol::cql::parse_statement;

    fn run(schema: &Schema, cql: &str) -> Result<Schema, SchemaError> {
        let parsed = parse_statement(cql).unwrap();
        match apply(schema, &parsed.statement, Some("ks"), "dc1")? {
            DdlOutcome::Changed { schema, .. } => Ok(schema),
            DdlOutcome::Unchanged => Ok(schema.clone()),
        }
    }

    fn schema(ddl: &[&str]) -> Schema {
        let mut s = Schema::new(system_keyspaces::definitions());
        s = run(&s, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
            .unwrap();
        for cql in ddl {
            s = run(&s, cql).unwrap();
        }
        s
    }

    fn error(schema: &Schema, cql: &str) -> String {
        run(schema, cql).err().map(|e| e.message).unwrap_or_else(|| panic!("{cql} succeeded"))
    }

    #[test]
    fn create_refuses_what_cassandra_refuses() {
        let s = schema(&["CREATE TYPE t (a int)"]);
        assert_eq!(error(&s, "CREATE TYPE t (b int)"), "A user type with name 't' already exists");
        assert!(run(&s, "CREATE TYPE IF NOT EXISTS t (b int)").is_ok());
        assert_eq!(error(&s, "CREATE TYPE u (a int, a text)"), "Duplicate field name 'a' in type 'u'");
        assert_eq!(error(&s, "CREATE TYPE u (a counter)"), "A user type cannot contain counters");
        assert_eq!(error(&s, "CREATE TYPE u (a t)"), "A user type cannot contain non-frozen UDTs");
        assert_eq!(error(&s, "CREATE TYPE u (a frozen<nope>)"), "Unknown type ks.nope");
        assert_eq!(
            error(&s, "CREATE TYPE u (a list<t>)"),
            "Non-frozen UDTs are not allowed inside collections: list<t>"
        );
        assert!(run(&s, "CREATE TYPE u (a frozen<t>, b list<int>)").is_ok());
    }

    #[test]
    fn columns_use_types_by_their_rules() {
        let s = schema(&["CREATE TYPE t (a int)", "CREATE TYPE withlist (l list<int>)"]);
        assert_eq!(
            error(&s, "CREATE TABLE x (k t PRIMARY KEY)"),
            "Invalid non-frozen user-defined type for PRIMARY KEY component k"
        );
        assert_eq!(
            error(&s, "CREATE TABLE x (k int PRIMARY KEY, v withlist)"),
            "Non-frozen UDTs with nested non-frozen collections are not supported"
        );
        assert_eq!(
            error(&s, "CREATE TABLE x (k int PRIMARY KEY, v frozen<other.t>)"),
            "Statement on keyspace ks cannot refer to a user type in keyspace other; user types can only be used in the keyspace they are defined in"
        );
        let s =
            run(&s, "CREATE TABLE x (k frozen<t> PRIMARY KEY, v t, l list<frozen<t>>, f frozen<map<int, t>>)").unwrap();
        let x = s.table("ks", "x").unwrap();
        let names: Vec<String> = x.columns.iter().map(|c| c.ty.cql_name()).collect();
        assert_eq!(names, ["frozen<t>", "t", "list<frozen<t>>", "frozen<map<int, frozen<t>>>"]);
    }

    #[test]
    fn alter_propagates_to_tables_and_types() {
        let s = schema(&[
            "CREATE TYPE t (a int)",
            "CREATE TYPE outer_t (inner frozen<t>)",
            "CREATE TABLE x (k int PRIMARY KEY, v t, o frozen<outer_t>)",
        ]);
        let s = run(&s, "ALTER TYPE t ADD b text").unwrap();
        let s = run(&s, "ALTER TYPE t RENAME a TO z").unwrap();
        let expected = UdtType {
            keyspace: "ks".into(),
            name: "t".into(),
            fields: vec![("z".into(), CqlType::Int), ("b".into(), CqlType::Text)],
        };
        let ks = s.keyspace("ks").unwrap();
        assert_eq!(ks.types["t"], expected);
        let inner = CqlType::Frozen(Box::new(CqlType::Udt(expected.clone())));
        assert_eq!(ks.types["outer_t"].fields[0].1, inner);
        let x = s.table("ks", "x").unwrap();
        assert_eq!(x.column(x.column_id("v").unwrap()).ty, CqlType::Udt(expected));
        let o = &x.column(x.column_id("o").unwrap()).ty;
        assert!(matches!(o.unfrozen(), CqlType::Udt(u) if u.fields[0].1 == inner));
    }

    #[test]
    fn alter_refusals() {
        let s = schema(&[
            "CREATE TYPE t (a int)",
            "CREATE TYPE u (x frozen<t>)",
            "CREATE TABLE x (k int PRIMARY KEY, v t)",
        ]);
        assert_eq!(error(&s, "ALTER TYPE nope ADD b int"), "No user type named ks.nope exists.");
        assert_eq!(
            error(&s, "ALTER TYPE t ADD a int"),
            "Cannot add new field a to type ks.t: a field of the same name already exists"
        );
        assert!(error(&s, "ALTER TYPE t ADD c frozen<u>").contains("would create a circular reference"));
        assert_eq!(error(&s, "ALTER TYPE t RENAME nope TO b"), "Unknown field nope in type ks.t");
        assert_eq!(
            error(&s, "ALTER TYPE t ADD l list<int>"),
            "Non-frozen UDTs with nested non-frozen collections are not supported"
        );
        let s = run(&s, "CREATE TABLE pk (k frozen<u> PRIMARY KEY)").unwrap();
        assert!(error(&s, "ALTER TYPE t ADD z int").contains("used in partition key by the following tables: ks.pk"));
    }

    #[test]
    fn drop_refuses_types_in_use() {
        let s = schema(&[
            "CREATE TYPE t (a int)",
            "CREATE TYPE u (x frozen<t>)",
            "CREATE TABLE x (k int PRIMARY KEY, v u)",
        ]);
        assert_eq!(error(&s, "DROP TYPE t"), "Cannot drop user type ks.t as it is still used by user type u");
        assert_eq!(error(&s, "DROP TYPE u"), "Cannot drop user type ks.u as it is still used by table ks.x");
        assert_eq!(error(&s, "DROP TYPE nope"), "No user type named ks.nope exists.");
        assert!(run(&s, "DROP TYPE IF EXISTS nope").is_ok());
        let s = run(&s, "DROP TABLE x").unwrap();
        let s = run(&s, "DROP TYPE u").unwrap();
        let s = run(&s, "DROP TYPE t").unwrap();
        assert!(s.keyspace("ks").unwrap().types.is_empty());
    }

    #[test]
    fn dependency_order_puts_used_types_first() {
        let s = schema(&["CREATE TYPE b (a int)", "CREATE TYPE a (x frozen<b>)", "CREATE TYPE c (y frozen<a>)"]);
        let order: Vec<&str> =
            dependency_order(&s.keyspace("ks").unwrap().types).iter().map(|t| t.name.as_str()).collect();
        assert_eq!(order, ["b", "a", "c"]);
    }
}
