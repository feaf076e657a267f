//! The first pass of WHERE analysis: each relation read into what it restricts, column by
//! column, before the primary key's shape is checked (`key_shape`). Relations on one
//! column are read in `single_column`, tuples in `multi_column`, `token(...)` in `token`.

use std::borrow::Cow;

use percore_protocol::cql::ast::{Relation, Term};

use crate::cql::error::CqlError;
use crate::schema::{ColumnKind, TableDef};

use super::{ColumnValues, RestrictionContext, Restrictions, Slice};

/// What the relations restrict, before the primary key's shape is checked.
pub(super) struct Collected {
    /// The equality or IN on each partition key column, by position.
    pub partition: Vec<Option<ColumnValues>>,
    /// The equality (in modifications also IN) on each clustering column, by position.
    pub clustering_eq: Vec<Option<ColumnValues>>,
    /// Slices by the position of their first clustering column.
    pub slices: Vec<(usize, Slice)>,
    /// Positions of the clustering columns a read restricts by IN (filtered row by row).
    pub clustering_in: Vec<usize>,
    /// The restrictions complete as soon as a relation is read: token, filters, row filters.
    pub out: Restrictions,
}

impl Collected {
    pub fn new(table: &TableDef) -> Collected {
        Collected {
            partition: vec![None; table.partition_key.len()],
            clustering_eq: vec![None; table.clustering_key.len()],
            slices: Vec::new(),
            clustering_in: Vec::new(),
            out: Restrictions::default(),
        }
    }

    /// Reads one relation, refusing what Cassandra refuses for it alone.
    pub fn add(&mut self, relation: &Relation, ctx: &mut RestrictionContext<'_>) -> Result<(), CqlError> {
        match relation {
            Relation::Simple { column, op, value } => self.add_simple(ctx, column, *op, value),
            Relation::In { column, values } => self.add_in(ctx, column, values),
            Relation::Token { columns, op, value } => self.add_token(ctx, columns, *op, value),
            Relation::MultiColumn { columns, op, value } => self.add_multi_column(ctx, columns, *op, value),
            Relation::MapElement { column, key, op, value } => self.add_map_element(ctx, column, key, *op, value),
            Relation::MultiColumnIn { columns, values } => self.add_multi_column_in(ctx, columns, values),
            other => Err(CqlError::invalid(format!(
                "This restriction is not supported yet: {}",
                crate::cql::statement::cql_text::relation_text(other)
            ))),
        }
    }

    /// The slice starting at clustering position `position`, created empty if none yet.
    pub fn slice_at(&mut self, position: usize) -> &mut Slice {
        let index = match self.slices.iter().position(|(p, _)| *p == position) {
            Some(index) => index,
            None => {
                self.slices.push((position, Slice::default()));
                self.slices.len() - 1
            }
        };
        &mut self.slices[index].1
    }

    /// Whether the clustering column at `position` has a slice starting on it.
    pub fn is_sliced(&self, position: usize) -> bool {
        self.slices.iter().any(|(p, _)| *p == position)
    }

    /// Whether any relation restricts the clustering column at `position` (or starts there).
    pub fn restricts_clustering(&self, position: usize) -> bool {
        self.clustering_eq[position].is_some() || self.clustering_in.contains(&position) || self.is_sliced(position)
    }
}

/// A key column restricted by `=` or `IN` may have no other `=` or `IN`.
pub(super) fn restrict_once(
    slot: &mut Option<ColumnValues>,
    column: &str,
    values: ColumnValues,
) -> Result<(), CqlError> {
    if slot.is_some() {
        return Err(CqlError::invalid(format!(
            "{column} cannot be restricted by more than one relation if it includes an Equal"
        )));
    }
    *slot = Some(values);
    Ok(())
}

/// `(c) op (x)` on one clustering column is `c op x`, as Cassandra reads it.
pub(super) fn single_column_tuple<'a>(table: &TableDef, relation: &'a Relation) -> Cow<'a, Relation> {
    if let Relation::MultiColumn { columns, op, value: Term::Tuple(items) } = relation {
        if let ([column], [value]) = (columns.as_slice(), items.as_slice()) {
            if table.column_id(column).is_some_and(|id| table.column(id).kind == ColumnKind::Clustering) {
                return Cow::Owned(Relation::Simple { column: column.clone(), op: *op, value: value.clone() });
            }
        }
    }
    Cow::Borrowed(relation)
}
