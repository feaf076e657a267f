//! WHERE clauses analysed against the primary key: equalities or IN on the partition key,
//! a token range, equalities on a clustering prefix followed by an optional slice, and —
//! for virtual tables only — equality filters on any column. What Cassandra refuses
//! (skipped clustering columns, partial partition keys without ALLOW FILTERING) is refused
//! with Cassandra's message.

use bytes::Bytes;
use percore_protocol::cql::ast::{InValues, Operator, Relation, Term};
use percore_protocol::types::CqlType;

use crate::cql::bind::{BoundValues, Evaluated, ValueExpr};
use crate::cql::error::CqlError;
use crate::cql::statement::operation::term_text;
use crate::cql::term::{analyze_term, BindSpecs, Receiver};
use crate::model::mutation::ColumnId;
use crate::schema::{ColumnKind, TableDef};

/// Values restricting one partition key column.
#[derive(Debug, Clone)]
pub enum ColumnValues {
    Eq(ValueExpr),
    In(InList),
}

/// The right side of `IN`: a literal list or one marker bound to a list.
#[derive(Debug, Clone)]
pub enum InList {
    Values(Vec<ValueExpr>),
    Marker(usize),
}

/// One end of a slice: the value and whether it is included.
#[derive(Debug, Clone)]
pub struct SliceBound {
    pub value: ValueExpr,
    pub inclusive: bool,
    /// Clustering columns the value covers: 1, or a tuple's arity for `(a, b) > (x, y)`.
    pub width: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Slice {
    pub lower: Option<SliceBound>,
    pub upper: Option<SliceBound>,
}

#[derive(Debug, Clone, Default)]
pub struct Restrictions {
    /// One entry per partition key column, when all are restricted.
    pub partition: Option<Vec<ColumnValues>>,
    /// `token(pk) > x AND token(pk) <= y`.
    pub token: Slice,
    /// Equalities on the first clustering columns; in modifications also `IN` lists, which
    /// name one row per combination (reads filter clustering `IN` row by row instead).
    pub clustering_prefix: Vec<ColumnValues>,
    /// A slice on the clustering column after the prefix.
    pub clustering_slice: Option<Slice>,
    /// Equality/IN filters on other columns (virtual tables).
    pub filters: Vec<(ColumnId, ColumnValues)>,
    /// Restrictions checked row by row on the owner (ALLOW FILTERING, clustering IN).
    pub row_filters: Vec<FilterPlan>,
}

/// One row filter: `column op value` (`IN` is `Eq` with a list); `ty` is the type of the
/// compared value (a collection's element type for CONTAINS, a tuple for a multi-column
/// relation).
#[derive(Debug, Clone)]
pub struct FilterPlan {
    /// For `m[key] op value`: the map key whose value is compared.
    pub map_key: Option<ValueExpr>,
    /// 0 for one column; n for a multi-column relation on the n clustering columns
    /// starting at `column`, whose values are tuples.
    pub width: usize,
    pub column: ColumnId,
    pub op: Operator,
    pub ty: CqlType,
    pub values: ColumnValues,
}

impl Restrictions {
    /// The bound values of a clustering prefix restricted by equalities only (reads and
    /// conditional writes, which refuse clustering `IN` when they are analysed).
    pub fn clustering_values(&self, table: &TableDef, values: &BoundValues) -> Result<Vec<Bytes>, CqlError> {
        self.clustering_prefix
            .iter()
            .zip(&table.clustering_key)
            .map(|(restriction, &id)| {
                let c = table.column(id);
                match restriction {
                    ColumnValues::Eq(e) => key_value(e, values, &c.ty, &c.name),
                    ColumnValues::In(_) => Err(CqlError::invalid(format!(
                        "IN on the clustering key column {} is not supported here",
                        c.name
                    ))),
                }
            })
            .collect()
    }

    /// Every clustering prefix a modification names: the cartesian product of its
    /// equalities and `IN` lists, each prefix as its serialized components.
    pub fn clustering_prefixes(&self, table: &TableDef, values: &BoundValues) -> Result<Vec<Vec<Bytes>>, CqlError> {
        let options = values_per_column(table, &self.clustering_prefix, &table.clustering_key, values)?;
        cartesian_product(options, crate::limits::CLUSTERING_KEYS_PER_MODIFICATION_MAX, "clustering key")
    }
}

pub struct RestrictionContext<'a> {
    pub table: &'a TableDef,
    pub binds: &'a mut BindSpecs,
    /// Whether the statement is a SELECT (reads may leave the partition key open).
    pub for_read: bool,
    pub allow_filtering: bool,
}

fn receiver(table: &TableDef, name: String, ty: CqlType) -> Receiver {
    Receiver { keyspace: table.keyspace.clone(), table: table.name.clone(), name, ty }
}

fn column_receiver(table: &TableDef, id: ColumnId) -> Receiver {
    let c = table.column(id);
    receiver(table, c.name.clone(), c.ty.clone())
}

pub fn column_id(table: &TableDef, name: &str) -> Result<ColumnId, CqlError> {
    table.column_id(name).ok_or_else(|| CqlError::invalid(format!("Undefined column name {name}")))
}

fn analyze_in(values: &InValues, table: &TableDef, id: ColumnId, binds: &mut BindSpecs) -> Result<InList, CqlError> {
    let r = column_receiver(table, id);
    match values {
        InValues::List(terms) => {
            Ok(InList::Values(terms.iter().map(|t| analyze_term(t, &r, binds)).collect::<Result<_, _>>()?))
        }
        InValues::Marker(m) => {
            let list = receiver(table, format!("in({})", r.name), CqlType::List(Box::new(r.ty.clone())));
            analyze_term(&Term::Bind(m.clone()), &list, binds)?;
            Ok(InList::Marker(m.index))
        }
    }
}

pub fn analyze(relations: &[Relation], ctx: RestrictionContext<'_>) -> Result<Restrictions, CqlError> {
    let table = ctx.table;
    let mut partition: Vec<Option<ColumnValues>> = vec![None; table.partition_key.len()];
    let mut clustering_eq: Vec<Option<ColumnValues>> = vec![None; table.clustering_key.len()];
    let mut slices: Vec<(usize, Slice)> = Vec::new();
    let mut clustering_in: Vec<usize> = Vec::new();
    let mut out = Restrictions::default();
    let relations: Vec<Relation> = relations.iter().map(|r| single_column_tuple(table, r)).collect();
    for relation in &relations {
        match relation {
            Relation::Simple { column, op, value } => {
                let id = column_id(table, column)?;
                let def = table.column(id);
                let expr = if matches!(op, Operator::Contains | Operator::ContainsKey) {
                    ValueExpr::Const(None)
                } else {
                    analyze_term(value, &column_receiver(table, id), ctx.binds)?
                };
                match (def.kind, op) {
                    (_, Operator::Eq) if table.is_virtual => out.filters.push((id, ColumnValues::Eq(expr))),
                    (ColumnKind::PartitionKey, Operator::Eq) => {
                        let slot = &mut partition[def.position as usize];
                        restrict_once(slot, column)?;
                        *slot = Some(ColumnValues::Eq(expr));
                    }
                    (ColumnKind::Clustering, Operator::Eq) => {
                        let slot = &mut clustering_eq[def.position as usize];
                        restrict_once(slot, column)?;
                        *slot = Some(ColumnValues::Eq(expr));
                    }
                    (ColumnKind::Clustering, Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte) => {
                        let pos = def.position as usize;
                        let slice = match slices.iter_mut().find(|(p, _)| *p == pos) {
                            Some((_, s)) => s,
                            None => {
                                slices.push((pos, Slice::default()));
                                &mut slices.last_mut().expect("just pushed").1
                            }
                        };
                        let bound =
                            SliceBound { value: expr, inclusive: matches!(op, Operator::Lte | Operator::Gte), width: 1 };
                        let slot = if matches!(op, Operator::Gt | Operator::Gte) { &mut slice.lower } else { &mut slice.upper };
                        if slot.is_some() {
                            return Err(CqlError::invalid(format!("More than one restriction was found for the {} bound on {column}", if matches!(op, Operator::Gt | Operator::Gte) { "start" } else { "end" })));
                        }
                        *slot = Some(bound);
                    }
                    (ColumnKind::PartitionKey, Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte)
                        if !ctx.allow_filtering =>
                    {
                        return Err(CqlError::invalid(
                            "Only EQ and IN relation are supported on the partition key (unless you use the token() function)".into(),
                        ))
                    }
                    (_, Operator::Neq) => {
                        return Err(CqlError::invalid(format!("Unsupported \"!=\" relation: {column} != {}", term_text(value))))
                    }
                    (_, Operator::Like) => {
                        return Err(CqlError::invalid(format!("LIKE restriction is only supported on properly indexed columns. {column} LIKE {} is not valid.", term_text(value))))
                    }
                    (_, Operator::Contains | Operator::ContainsKey) => {
                        let ty = contains_type(def, *op)?;
                        let expr = analyze_term(value, &receiver(table, def.name.clone(), ty.clone()), ctx.binds)?;
                        require_filtering(&ctx, def.kind)?;
                        out.row_filters.push(FilterPlan { map_key: None, width: 0, column: id, op: *op, ty, values: ColumnValues::Eq(expr) });
                    }
                    _ => {
                        if matches!(def.ty.unfrozen(), CqlType::Duration) && *op != Operator::Eq {
                            return Err(CqlError::invalid(
                                "Slice restrictions are not supported on duration columns".into(),
                            ));
                        }
                        require_filtering(&ctx, def.kind)?;
                        out.row_filters.push(FilterPlan { map_key: None, width: 0,
                            column: id,
                            op: *op,
                            ty: def.ty.clone(),
                            values: ColumnValues::Eq(expr),
                        });
                    }
                }
            }
            Relation::In { column, values } => {
                let id = column_id(table, column)?;
                let def = table.column(id);
                let list = analyze_in(values, table, id, ctx.binds)?;
                match def.kind {
                    _ if table.is_virtual => out.filters.push((id, ColumnValues::In(list))),
                    ColumnKind::PartitionKey => {
                        let slot = &mut partition[def.position as usize];
                        restrict_once(slot, column)?;
                        *slot = Some(ColumnValues::In(list));
                    }
                    ColumnKind::Clustering if ctx.for_read => {
                        clustering_in.push(def.position as usize);
                        out.row_filters.push(FilterPlan {
                            map_key: None,
                            width: 0,
                            column: id,
                            op: Operator::Eq,
                            ty: def.ty.clone(),
                            values: ColumnValues::In(list),
                        });
                    }
                    ColumnKind::Clustering => {
                        let slot = &mut clustering_eq[def.position as usize];
                        restrict_once(slot, column)?;
                        *slot = Some(ColumnValues::In(list));
                    }
                    kind => {
                        require_filtering(&ctx, kind)?;
                        out.row_filters.push(FilterPlan {
                            map_key: None,
                            width: 0,
                            column: id,
                            op: Operator::Eq,
                            ty: def.ty.clone(),
                            values: ColumnValues::In(list),
                        });
                    }
                }
            }
            Relation::Token { columns, op, value } => {
                let names: Vec<&str> = table.partition_key.iter().map(|&i| table.column(i).name.as_str()).collect();
                if columns.iter().map(String::as_str).ne(names.iter().copied()) {
                    return Err(CqlError::invalid(format!(
                        "The token function arguments must be in the partition key order: {}",
                        names.join(", ")
                    )));
                }
                let value = match value {
                    Term::FunctionCall { name, args } if name.name.eq_ignore_ascii_case("token") => {
                        token_of_terms(table, args, ctx.binds)?
                    }
                    other => analyze_term(
                        other,
                        &receiver(table, "partition key token".to_string(), CqlType::Bigint),
                        ctx.binds,
                    )?,
                };
                let bound = SliceBound {
                    value,
                    inclusive: matches!(op, Operator::Gte | Operator::Lte | Operator::Eq),
                    width: 1,
                };
                match op {
                    Operator::Gt | Operator::Gte => out.token.lower = Some(bound),
                    Operator::Lt | Operator::Lte => out.token.upper = Some(bound),
                    Operator::Eq => {
                        out.token.lower = Some(bound.clone());
                        out.token.upper = Some(bound);
                    }
                    _ => return Err(CqlError::invalid("Unsupported operator on token()".into())),
                }
            }
            Relation::MultiColumn { columns, op, value } => {
                let (first, expr) = analyze_multi_column(table, columns, value, ctx.binds)?;
                let width = columns.len();
                let slice = match slices.iter_mut().find(|(p, _)| *p == first) {
                    Some((_, s)) => s,
                    None => {
                        slices.push((first, Slice::default()));
                        &mut slices.last_mut().expect("just pushed").1
                    }
                };
                let inclusive = matches!(op, Operator::Eq | Operator::Lte | Operator::Gte);
                let bound = SliceBound { value: expr, inclusive, width };
                match op {
                    Operator::Eq => {
                        slice.lower = Some(bound.clone());
                        slice.upper = Some(bound);
                    }
                    Operator::Gt | Operator::Gte => slice.lower = Some(bound),
                    Operator::Lt | Operator::Lte => slice.upper = Some(bound),
                    _ => {
                        return Err(CqlError::invalid(format!(
                            "Unsupported operator {op:?} in a multi-column relation"
                        )))
                    }
                }
            }
            Relation::MapElement { column, key, op, value } => {
                let id = column_id(table, column)?;
                let def = table.column(id);
                let CqlType::Map(key_ty, value_ty) = def.ty.unfrozen() else {
                    return Err(CqlError::invalid(format!("Invalid element restriction on non-map column {column}")));
                };
                if matches!(op, Operator::Contains | Operator::ContainsKey | Operator::Like) {
                    return Err(CqlError::invalid(format!("Unsupported operator on map element {column}[...]")));
                }
                let key = analyze_term(key, &receiver(table, format!("key({column})"), (**key_ty).clone()), ctx.binds)?;
                let ty = (**value_ty).clone();
                let expr = analyze_term(value, &receiver(table, format!("value({column})"), ty.clone()), ctx.binds)?;
                require_filtering(&ctx, def.kind)?;
                out.row_filters.push(FilterPlan {
                    map_key: Some(key),
                    width: 0,
                    column: id,
                    op: *op,
                    ty,
                    values: ColumnValues::Eq(expr),
                });
            }
            Relation::MultiColumnIn { columns, values } => {
                if !ctx.for_read {
                    return Err(CqlError::invalid(
                        "Multi-column IN restrictions are only supported in SELECT statements".into(),
                    ));
                }
                let (first, types) = multi_column_types(table, columns)?;
                let tuple = CqlType::Tuple(types);
                let name = format!("({})", columns.join(","));
                let list = match values {
                    InValues::List(terms) => {
                        for t in terms {
                            check_tuple_arity(t, columns.len())?;
                        }
                        let r = receiver(table, name, tuple.clone());
                        InList::Values(terms.iter().map(|t| analyze_term(t, &r, ctx.binds)).collect::<Result<_, _>>()?)
                    }
                    InValues::Marker(m) => {
                        let r = receiver(table, format!("in({name})"), CqlType::List(Box::new(tuple.clone())));
                        analyze_term(&Term::Bind(m.clone()), &r, ctx.binds)?;
                        InList::Marker(m.index)
                    }
                };
                clustering_in.extend(first..first + columns.len());
                out.row_filters.push(FilterPlan {
                    map_key: None,
                    width: columns.len(),
                    column: table.clustering_key[first],
                    op: Operator::Eq,
                    ty: tuple,
                    values: ColumnValues::In(list),
                });
            }
            other => {
                return Err(CqlError::invalid(format!(
                    "This restriction is not supported yet: {}",
                    super::cql_text::relation_text(other)
                )))
            }
        }
    }
    if table.is_virtual {
        return Ok(out);
    }
    let restricted = partition.iter().filter(|p| p.is_some()).count();
    if restricted == partition.len() {
        out.partition = Some(partition.into_iter().flatten().collect());
        if out.token.lower.is_some() || out.token.upper.is_some() {
            let names: Vec<&str> = table.partition_key.iter().map(|&i| table.column(i).name.as_str()).collect();
            return Err(CqlError::invalid(format!(
                "Columns \"{}\" cannot be restricted by both a normal relation and a token relation",
                names.join(", ")
            )));
        }
    } else if restricted > 0 || !ctx.for_read {
        let missing: Vec<&str> = table
            .partition_key
            .iter()
            .zip(&partition)
            .filter(|(_, p)| p.is_none())
            .map(|(&i, _)| table.column(i).name.as_str())
            .collect();
        if !ctx.for_read {
            return Err(CqlError::invalid(format!("Some partition key parts are missing: {}", missing.join(", "))));
        }
        if !ctx.allow_filtering {
            return Err(CqlError::invalid(filtering_message()));
        }
        for (&id, values) in table.partition_key.iter().zip(partition) {
            if let Some(values) = values {
                let ty = table.column(id).ty.clone();
                out.row_filters.push(FilterPlan { map_key: None, width: 0, column: id, op: Operator::Eq, ty, values });
            }
        }
    }
    // Clustering: a prefix of equalities, then at most one slice on the next column. From
    // the first IN on (or with a partition key left open), restrictions are row filters.
    let first_in = clustering_in.iter().min().copied();
    if out.partition.is_none() || first_in.is_some() {
        let from = if out.partition.is_none() { 0 } else { first_in.unwrap_or(0) };
        let restricted = |pos: usize| {
            clustering_eq[pos].is_some() || clustering_in.contains(&pos) || slices.iter().any(|(p, _)| *p == pos)
        };
        let any_restricted = (from..table.clustering_key.len()).any(restricted);
        if out.partition.is_none() && any_restricted {
            require_filtering(&ctx, ColumnKind::Clustering)?;
        }
        for (pos, (&id, eq)) in table.clustering_key.iter().zip(clustering_eq.iter_mut()).enumerate().skip(from) {
            let ty = table.column(id).ty.clone();
            if let Some(values) = eq.take() {
                out.row_filters.push(FilterPlan {
                    map_key: None,
                    width: 0,
                    column: id,
                    op: Operator::Eq,
                    ty: ty.clone(),
                    values,
                });
            }
            if let Some(i) = slices.iter().position(|(p, _)| *p == pos) {
                let (_, slice) = slices.remove(i);
                for (bound, strict, loose) in
                    [(slice.lower, Operator::Gt, Operator::Gte), (slice.upper, Operator::Lt, Operator::Lte)]
                {
                    if let Some(b) = bound {
                        let op = if b.inclusive { loose } else { strict };
                        let (width, ty) = if b.width > 1 {
                            let types = table.clustering_key[pos..pos + b.width]
                                .iter()
                                .map(|&c| table.column(c).ty.clone())
                                .collect();
                            (b.width, CqlType::Tuple(types))
                        } else {
                            (0, ty.clone())
                        };
                        out.row_filters.push(FilterPlan {
                            map_key: None,
                            width,
                            column: id,
                            op,
                            ty,
                            values: ColumnValues::Eq(b.value),
                        });
                    }
                }
            }
        }
    }
    let prefix_len = clustering_eq.iter().take_while(|c| c.is_some()).count();
    if let Some(pos) = clustering_eq.iter().skip(prefix_len).position(|c| c.is_some()) {
        let pos = prefix_len + pos;
        if ctx.allow_filtering && ctx.for_read {
            for (p, expr) in clustering_eq.iter_mut().enumerate().skip(prefix_len) {
                if let Some(values) = expr.take() {
                    let id = table.clustering_key[p];
                    let ty = table.column(id).ty.clone();
                    out.row_filters.push(FilterPlan {
                        map_key: None,
                        width: 0,
                        column: id,
                        op: Operator::Eq,
                        ty,
                        values,
                    });
                }
            }
            out.clustering_prefix = clustering_eq.into_iter().take(prefix_len).flatten().collect();
            return Ok(out);
        }
        let sliced = slices.iter().any(|(p, _)| *p == prefix_len);
        return Err(preceding_column_error(table, pos, prefix_len, sliced));
    }
    out.clustering_prefix = clustering_eq.into_iter().flatten().collect();
    match slices.as_slice() {
        [] => {}
        [(pos, slice)] if *pos == prefix_len => out.clustering_slice = Some(slice.clone()),
        _ => {
            if let Some((pos, _)) = slices.iter().find(|(p, _)| *p < prefix_len) {
                return Err(CqlError::invalid(format!(
                    "Column \"{}\" cannot be restricted by both an equality and an inequality relation",
                    table.column(table.clustering_key[*pos]).name
                )));
            }
            let sliced = slices.iter().any(|(p, _)| *p == prefix_len);
            let later = slices.iter().map(|(p, _)| *p).filter(|p| *p > prefix_len).min().unwrap_or(prefix_len);
            return Err(preceding_column_error(table, later, prefix_len, sliced));
        }
    }
    Ok(out)
}

/// Cassandra's refusal of a restricted clustering column after a gap: the preceding column
/// is either restricted by a slice or not restricted at all.
fn preceding_column_error(table: &TableDef, pos: usize, preceding: usize, preceding_sliced: bool) -> CqlError {
    let column = &table.column(table.clustering_key[pos]).name;
    let preceding = &table.column(table.clustering_key[preceding]).name;
    CqlError::invalid(if preceding_sliced {
        format!("Clustering column \"{column}\" cannot be restricted (preceding column \"{preceding}\" is restricted by a non-EQ relation)")
    } else {
        format!("PRIMARY KEY column \"{column}\" cannot be restricted as preceding column \"{preceding}\" is not restricted")
    })
}

/// A key column restricted by `=` or `IN` may have no other `=` or `IN`.
fn restrict_once(slot: &Option<ColumnValues>, column: &str) -> Result<(), CqlError> {
    match slot {
        Some(_) => Err(CqlError::invalid(format!(
            "{column} cannot be restricted by more than one relation if it includes an Equal"
        ))),
        None => Ok(()),
    }
}

/// `(c) op (x)` on one clustering column is `c op x`, as Cassandra reads it.
fn single_column_tuple(table: &TableDef, relation: &Relation) -> Relation {
    if let Relation::MultiColumn { columns, op, value: Term::Tuple(items) } = relation {
        if let ([column], [value]) = (columns.as_slice(), items.as_slice()) {
            if table.column_id(column).is_some_and(|id| table.column(id).kind == ColumnKind::Clustering) {
                return Relation::Simple { column: column.clone(), op: *op, value: value.clone() };
            }
        }
    }
    relation.clone()
}

/// `token(?, ?)` on the right side: a token computed from partition key values.
fn token_of_terms(table: &TableDef, args: &[Term], binds: &mut BindSpecs) -> Result<ValueExpr, CqlError> {
    if args.len() != table.partition_key.len() {
        return Err(CqlError::invalid("Invalid number of arguments to token()".into()));
    }
    let mut exprs = Vec::new();
    for (term, &id) in args.iter().zip(&table.partition_key) {
        exprs.push(analyze_term(term, &column_receiver(table, id), binds)?);
    }
    // Constant keys are folded now; keys with markers are hashed when bound.
    let mut components = Vec::new();
    for e in &exprs {
        match e {
            ValueExpr::Const(Some(b)) => components.push(b.clone()),
            _ => {
                let types = table.partition_key.iter().map(|&id| table.column(id).ty.clone()).collect();
                return Ok(ValueExpr::Function(crate::cql::functions::Function::Token(types), exprs));
            }
        }
    }
    let refs: Vec<&[u8]> = components.iter().map(|b| &b[..]).collect();
    let mut key = Vec::new();
    crate::model::token::serialize_partition_key(&refs, &mut key);
    let token = crate::model::token::token_of(&key);
    Ok(ValueExpr::Const(Some(Bytes::copy_from_slice(&token.to_be_bytes()))))
}

/// `(a, b) op (x, y)`: consecutive clustering columns with one clustering order; returns
/// the first column's position and the tuple value.
fn analyze_multi_column(
    table: &TableDef,
    columns: &[String],
    value: &Term,
    binds: &mut BindSpecs,
) -> Result<(usize, ValueExpr), CqlError> {
    let (start, types) = multi_column_types(table, columns)?;
    check_tuple_arity(value, columns.len())?;
    let name = format!("({})", columns.join(","));
    let expr = analyze_term(value, &receiver(table, name, CqlType::Tuple(types)), binds)?;
    Ok((start, expr))
}

/// A tuple literal on the right of a multi-column relation has one value per column.
fn check_tuple_arity(value: &Term, width: usize) -> Result<(), CqlError> {
    match value {
        Term::Tuple(items) if items.len() != width => Err(CqlError::invalid(format!(
            "Expected {width} elements in value tuple, but got {}: {}",
            items.len(),
            term_text(value)
        ))),
        _ => Ok(()),
    }
}

/// The first position and the types of the clustering columns of a multi-column relation,
/// which must be consecutive, in PRIMARY KEY order, and of one clustering order.
fn multi_column_types(table: &TableDef, columns: &[String]) -> Result<(usize, Vec<CqlType>), CqlError> {
    let mut types = Vec::new();
    let mut first = None;
    for (i, name) in columns.iter().enumerate() {
        let id = column_id(table, name)?;
        let def = table.column(id);
        if def.kind != ColumnKind::Clustering {
            return Err(CqlError::invalid(format!(
                "Multi-column relations can only be applied to clustering columns but was applied to: {name}"
            )));
        }
        let position = def.position as usize;
        let start = *first.get_or_insert(position);
        if position != start + i {
            return Err(CqlError::invalid(format!(
                "Clustering columns must appear in the PRIMARY KEY order in multi-column relations: ({})",
                columns.join(", ")
            )));
        }
        if def.order != table.column(table.clustering_key[start]).order {
            return Err(CqlError::invalid(
                "Multi-column relations over columns of mixed clustering orders are not supported yet".into(),
            ));
        }
        types.push(def.ty.clone());
    }
    let start = first.ok_or_else(|| CqlError::invalid("Empty multi-column relation".into()))?;
    Ok((start, types))
}

/// Restrictions that need filtering are refused without ALLOW FILTERING (and in writes).
fn require_filtering(ctx: &RestrictionContext<'_>, kind: ColumnKind) -> Result<(), CqlError> {
    if !ctx.for_read {
        return Err(CqlError::invalid(match kind {
            ColumnKind::Regular | ColumnKind::Static => "Non PRIMARY KEY columns found in where clause".to_string(),
            _ => "Invalid restrictions in a modification statement".to_string(),
        }));
    }
    if !ctx.allow_filtering {
        return Err(CqlError::invalid(filtering_message()));
    }
    Ok(())
}

/// The type CONTAINS (elements or map values) / CONTAINS KEY (map keys) compares with.
fn contains_type(def: &crate::schema::ColumnDef, op: Operator) -> Result<CqlType, CqlError> {
    match (def.ty.unfrozen(), op) {
        (CqlType::List(e) | CqlType::Set(e), Operator::Contains) => Ok((**e).clone()),
        (CqlType::Map(_, v), Operator::Contains) => Ok((**v).clone()),
        (CqlType::Map(k, _), Operator::ContainsKey) => Ok((**k).clone()),
        (_, Operator::ContainsKey) => {
            Err(CqlError::invalid(format!("Cannot use CONTAINS KEY on non-map column {}", def.name)))
        }
        _ => Err(CqlError::invalid(format!("Cannot use CONTAINS on non-collection column {}", def.name))),
    }
}

pub fn filtering_message() -> String {
    "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. \
     If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"
        .into()
}

/// Expands partition key restrictions into every key they name (IN is a cartesian
/// product), each as the list of serialized components.
pub fn partition_keys(
    table: &TableDef,
    columns: &[ColumnValues],
    values: &BoundValues,
) -> Result<Vec<Vec<Bytes>>, CqlError> {
    let options_per_column = values_per_column(table, columns, &table.partition_key, values)?;
    let keys = cartesian_product(options_per_column, crate::limits::PARTITION_KEYS_PER_QUERY_MAX, "partition key")?;
    for key in &keys {
        for (component, &id) in key.iter().zip(&table.partition_key) {
            if component.len() > crate::limits::KEY_COMPONENT_BYTES_MAX {
                return Err(CqlError::invalid(format!(
                    "Key length of {} is longer than maximum of {} for column {}",
                    component.len(),
                    crate::limits::KEY_COMPONENT_BYTES_MAX,
                    table.column(id).name
                )));
            }
        }
        // A composite key serializes each component with a 2-byte length and a 0 byte.
        let serialized: usize = if key.len() == 1 { key[0].len() } else { key.iter().map(|c| c.len() + 3).sum() };
        if serialized > crate::limits::PARTITION_KEY_BYTES_MAX {
            return Err(CqlError::invalid(format!(
                "Key length of {serialized} is longer than maximum of {}",
                crate::limits::PARTITION_KEY_BYTES_MAX
            )));
        }
    }
    Ok(keys)
}

/// The values each restricted key column names, in key order.
fn values_per_column(
    table: &TableDef,
    restrictions: &[ColumnValues],
    columns: &[ColumnId],
    values: &BoundValues,
) -> Result<Vec<Vec<Bytes>>, CqlError> {
    restrictions
        .iter()
        .zip(columns)
        .map(|(restriction, &id)| {
            let c = table.column(id);
            column_values(restriction, values, &c.ty, &c.name)
        })
        .collect()
}

/// Every combination of one value per column, refused past `max` combinations with
/// Cassandra's message.
fn cartesian_product(options: Vec<Vec<Bytes>>, max: usize, what: &str) -> Result<Vec<Vec<Bytes>>, CqlError> {
    let combinations = options.iter().fold(1usize, |n, o| n.saturating_mul(o.len()));
    if combinations > max {
        return Err(CqlError::invalid(format!(
            "{what} cartesian product size {combinations} is greater than maximum {max}"
        )));
    }
    let mut out: Vec<Vec<Bytes>> = vec![Vec::with_capacity(options.len())];
    for column in &options {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                column.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    Ok(out)
}

/// A value a restriction compares with: null and unset are refused with Cassandra's words.
fn key_value(e: &ValueExpr, values: &BoundValues, ty: &CqlType, name: &str) -> Result<Bytes, CqlError> {
    match e.eval(values, ty, name)? {
        Evaluated::Value(b) => Ok(b),
        Evaluated::Null => Err(CqlError::invalid(format!("Invalid null value in condition for column {name}"))),
        Evaluated::Unset => Err(CqlError::invalid(format!("Invalid unset value for column {name}"))),
    }
}

/// The values an Eq or IN restriction names (IN lists deduplicated, in order).
pub fn column_values(
    restriction: &ColumnValues,
    values: &BoundValues,
    ty: &CqlType,
    name: &str,
) -> Result<Vec<Bytes>, CqlError> {
    let required = |e: &ValueExpr| key_value(e, values, ty, name);
    let mut out = match restriction {
        ColumnValues::Eq(e) => vec![required(e)?],
        ColumnValues::In(InList::Values(list)) => list.iter().map(required).collect::<Result<Vec<_>, _>>()?,
        ColumnValues::In(InList::Marker(i)) => {
            let list_ty = CqlType::List(Box::new(ty.clone()));
            match ValueExpr::Bind(*i).eval(values, &list_ty, name)? {
                Evaluated::Value(b) => {
                    split_list(&b).ok_or_else(|| CqlError::invalid(format!("Invalid list for IN on {name}")))?
                }
                Evaluated::Null => return Err(CqlError::invalid(format!("Invalid null value for column {name}"))),
                Evaluated::Unset => return Err(CqlError::invalid(format!("Invalid unset value for column {name}"))),
            }
        }
    };
    let mut seen = std::collections::HashSet::new();
    out.retain(|v| seen.insert(v.clone()));
    Ok(out)
}

/// The elements of a serialized list (`[int n][bytes]*n`).
pub fn split_list(b: &Bytes) -> Option<Vec<Bytes>> {
    let n = i32::from_be_bytes(b.get(..4)?.try_into().ok()?);
    let mut at = 4usize;
    let mut out = Vec::with_capacity(n.clamp(0, 1024) as usize);
    for _ in 0..n.max(0) {
        let len = i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?);
        at += 4;
        let len = usize::try_from(len).ok()?;
        out.push(b.slice(at..at.checked_add(len).filter(|&e| e <= b.len())?));
        at += len;
    }
    Some(out)
}
