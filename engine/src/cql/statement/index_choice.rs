//! The SELECT planner's use of secondary indexes: an `=` restriction on an indexed column
//! answers the query without ALLOW FILTERING. With the whole partition key restricted it
//! is checked row by row within the partitions; otherwise the query becomes an index read
//! (the index partition of the value, then each base row it lists). The other restrictions
//! are analysed as usual, so filtering on further regular columns still needs ALLOW
//! FILTERING, as in Cassandra.

use std::sync::Arc;

use percore_protocol::cql::ast::{Operator, Relation};

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::term::{analyze_term, Receiver};
use crate::schema::{IndexDef, IndexKind, TableDef};
use percore_protocol::types::CqlType;

use super::restrictions::{self, ColumnValues, FilterPlan, RestrictionContext, Restrictions};

/// An index read: the index, its backing table and the value looked up.
#[derive(Debug, Clone)]
pub struct IndexPlan {
    pub index: IndexDef,
    pub backing: Arc<TableDef>,
    pub value: ValueExpr,
}

/// The first `col = value` relation on an indexed column: (relation position, index).
pub fn choose<'a>(
    relations: &[Relation],
    table: &TableDef,
    indexes: &'a [(IndexDef, Arc<TableDef>)],
) -> Option<(usize, &'a (IndexDef, Arc<TableDef>))> {
    if table.is_virtual {
        return None;
    }
    // An index on part of the partition key is not needed once the whole key is named.
    let whole_partition_key = table.partition_key.iter().all(|&pk| {
        let name = &table.column(pk).name;
        relations.iter().any(|r| match r {
            Relation::Simple { column, op: Operator::Eq, .. } | Relation::In { column, .. } => column == name,
            _ => false,
        })
    });
    relations.iter().enumerate().find_map(|(i, r)| {
        let (column, kinds): (&String, &[IndexKind]) = match r {
            Relation::Simple { column, op: Operator::Eq, .. } => (column, &[IndexKind::Simple, IndexKind::Full]),
            Relation::Simple { column, op: Operator::Contains, .. } => (column, &[IndexKind::Values]),
            Relation::Simple { column, op: Operator::ContainsKey, .. } => (column, &[IndexKind::Keys]),
            Relation::MapElement { column, op: Operator::Eq, .. } => (column, &[IndexKind::Entries]),
            _ => return None,
        };
        let id = table.column_id(column)?;
        if whole_partition_key && table.column(id).kind == crate::schema::ColumnKind::PartitionKey {
            return None;
        }
        indexes.iter().find(|(index, _)| index.column == id && kinds.contains(&index.kind)).map(|found| (i, found))
    })
}

/// The restrictions of a WHERE clause, using an index when one applies.
pub fn analyze(
    relations: &[Relation],
    ctx: RestrictionContext<'_>,
    indexes: &[(IndexDef, Arc<TableDef>)],
) -> Result<(Restrictions, Option<IndexPlan>), CqlError> {
    let table = ctx.table;
    let Some((position, (index, backing))) = choose(relations, table, indexes) else {
        return Ok((restrictions::analyze(relations, ctx)?, None));
    };
    let rest: Vec<Relation> =
        relations.iter().enumerate().filter(|(i, _)| *i != position).map(|(_, r)| r.clone()).collect();
    let column = table.column(index.column);
    let receiver =
        |name: String, ty: CqlType| Receiver { keyspace: table.keyspace.clone(), table: table.name.clone(), name, ty };
    // The value looked up in the index, and the row filter that checks each base row.
    let (expr, filter) = match &relations[position] {
        Relation::Simple { value, op, .. } => {
            let ty = index.kind.value_type(&column.ty);
            let expr = analyze_term(value, &receiver(column.name.clone(), ty.clone()), ctx.binds)?;
            let filter = FilterPlan {
                map_key: None,
                width: 0,
                column: index.column,
                op: *op,
                ty,
                values: ColumnValues::Eq(expr.clone()),
            };
            (expr, filter)
        }
        Relation::MapElement { key, value, .. } => {
            let CqlType::Map(key_ty, value_ty) = column.ty.unfrozen() else {
                return Ok((restrictions::analyze(relations, ctx)?, None));
            };
            let key = analyze_term(key, &receiver(format!("key({})", column.name), (**key_ty).clone()), ctx.binds)?;
            let value =
                analyze_term(value, &receiver(format!("value({})", column.name), (**value_ty).clone()), ctx.binds)?;
            let filter = FilterPlan {
                map_key: Some(key.clone()),
                width: 0,
                column: index.column,
                op: Operator::Eq,
                ty: (**value_ty).clone(),
                values: ColumnValues::Eq(value.clone()),
            };
            let entry = ValueExpr::Composite(Box::new(index.kind.value_type(&column.ty)), vec![key, value]);
            (entry, filter)
        }
        _ => return Ok((restrictions::analyze(relations, ctx)?, None)),
    };
    let mut restrictions = restrictions::analyze(&rest, ctx)?;
    restrictions.row_filters.push(filter);
    let plan = restrictions.partition.is_none().then(|| IndexPlan {
        index: index.clone(),
        backing: backing.clone(),
        value: expr,
    });
    Ok((restrictions, plan))
}

#[cfg(test)]
mod tests {
    use percore_protocol::cql::ast::Statement;
    use percore_protocol::cql::parse_statement;

    use super::*;
    use crate::cql::term::BindSpecs;
    use crate::schema::change::{apply, DdlOutcome};
    use crate::schema::{system_keyspaces, Schema};

    fn plan(where_clause: &str) -> Result<(Restrictions, Option<IndexPlan>), CqlError> {
        let mut schema = Schema::new(system_keyspaces::definitions());
        for cql in [
            "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            "CREATE TABLE ks.t (k int, c int, v int, w int, PRIMARY KEY (k, c))",
            "CREATE INDEX i ON ks.t (v)",
        ] {
            if let DdlOutcome::Changed { schema: next, .. } =
                apply(&schema, &parse_statement(cql).unwrap().statement, None, "dc1").unwrap()
            {
                schema = next;
            }
        }
        let table = schema.table("ks", "t").unwrap().clone();
        let Statement::Select(s) =
            parse_statement(&format!("SELECT * FROM ks.t WHERE {where_clause}")).unwrap().statement
        else {
            panic!("not a select")
        };
        let mut binds = BindSpecs::new(vec![]);
        let ctx =
            RestrictionContext { table: &table, binds: &mut binds, for_read: true, allow_filtering: s.allow_filtering };
        analyze(&s.where_clause, ctx, schema.indexes_on(&table.id))
    }

    #[test]
    fn an_indexed_equality_plans_an_index_read_unless_the_partition_is_known() {
        let (r, index) = plan("v = 1").unwrap();
        assert_eq!(index.map(|i| i.index.name), Some("i".to_string()));
        assert!(r.partition.is_none() && r.row_filters.len() == 1);
        let (r, index) = plan("k = 1 AND v = 1").unwrap();
        assert!(index.is_none() && r.partition.is_some() && r.row_filters.len() == 1);
        assert!(plan("v = 1 AND w = 2").unwrap_err().message.contains("ALLOW FILTERING"));
        assert!(plan("w = 2").unwrap_err().message.contains("ALLOW FILTERING"));
        assert!(plan("v > 1").unwrap_err().message.contains("ALLOW FILTERING"));
    }
}
