//! Executing aggregate selections: the matching rows are read page by page through the
//! ordinary read path (bounded memory: one page and one group at a time), grouped by the
//! GROUP BY prefix — rows arrive in (token, clustering) order, so a group's rows are
//! contiguous — and folded into one result row per group. With GROUP BY the groups are
//! paged: once a client page holds its page size of groups, the read stops at the next
//! inner page boundary and the group in progress travels in the paging state.

use std::rc::Rc;

use bytes::Bytes;
use percore_protocol::response::RowsMetadata;
use percore_protocol::types::CqlType;
use percore_protocol::wire::write_bytes;

use crate::cql::bind::BoundValues;
use crate::cql::error::CqlError;
use crate::cql::result::RowsResult;
use crate::cql::shard::Shard;
use crate::cql::statement::aggregate::{AggregateKind, AggregatePlan, ResultColumn};
use crate::cql::statement::select::SelectPlan;
use crate::model::clustering::order_key;

use super::grouping_state::GroupingState;
use super::output::split_rows;
use super::select::{execute_rows, PageRequest};

/// Rows fetched per internal page while aggregating.
const AGGREGATE_PAGE_ROWS: i32 = 1000;

/// The running state of one result column within a group.
#[derive(Debug, Clone)]
pub enum Accumulator {
    Count(i64),
    Extreme(Option<(Vec<u8>, Bytes)>),
    Integer { sum: i128, count: i64 },
    Float { sum: f64, count: i64 },
    First(Option<Option<Bytes>>),
}

fn integer(value: &[u8]) -> i128 {
    match value.len() {
        1 => i8::from_be_bytes([value[0]]) as i128,
        2 => i16::from_be_bytes([value[0], value[1]]) as i128,
        4 => i32::from_be_bytes([value[0], value[1], value[2], value[3]]) as i128,
        8 => i64::from_be_bytes(value.try_into().unwrap_or([0; 8])) as i128,
        _ => 0,
    }
}

fn float(ty: &CqlType, value: &[u8]) -> f64 {
    match (ty, value.len()) {
        (CqlType::Float, 4) => f32::from_be_bytes(value.try_into().unwrap_or([0; 4])) as f64,
        (_, 8) => f64::from_be_bytes(value.try_into().unwrap_or([0; 8])),
        _ => 0.0,
    }
}

impl Accumulator {
    fn new(column: &ResultColumn) -> Accumulator {
        match column {
            ResultColumn::First { .. } => Accumulator::First(None),
            ResultColumn::Aggregate { kind, ty, .. } => match kind {
                AggregateKind::CountRows | AggregateKind::Count => Accumulator::Count(0),
                AggregateKind::Min | AggregateKind::Max => Accumulator::Extreme(None),
                _ if matches!(ty, CqlType::Float | CqlType::Double) => Accumulator::Float { sum: 0.0, count: 0 },
                _ => Accumulator::Integer { sum: 0, count: 0 },
            },
        }
    }

    fn add(&mut self, column: &ResultColumn, row: &[Option<Bytes>]) {
        let (kind, input, ty) = match column {
            ResultColumn::First { input } => {
                if let Accumulator::First(first @ None) = self {
                    *first = Some(row[*input].clone());
                }
                return;
            }
            ResultColumn::Aggregate { kind, input, ty } => (*kind, *input, ty),
        };
        if kind == AggregateKind::CountRows {
            if let Accumulator::Count(n) = self {
                *n += 1;
            }
            return;
        }
        let Some(value) = &row[input] else { return };
        match self {
            Accumulator::Count(n) => *n += 1,
            Accumulator::Extreme(best) => {
                let key = order_key(ty, value);
                let better =
                    best.as_ref().is_none_or(|(k, _)| if kind == AggregateKind::Min { key < *k } else { key > *k });
                if better {
                    *best = Some((key, value.clone()));
                }
            }
            Accumulator::Integer { sum, count } => {
                *sum = sum.wrapping_add(integer(value));
                *count += 1;
            }
            Accumulator::Float { sum, count } => {
                *sum += float(ty, value);
                *count += 1;
            }
            Accumulator::First(_) => {}
        }
    }

    /// The result cell: sums wrap to the column type's width as Java arithmetic does.
    fn finish(&self, column: &ResultColumn, out: &mut Vec<u8>) {
        let ty = match column {
            ResultColumn::Aggregate { ty, kind, .. } => (ty, *kind),
            ResultColumn::First { .. } => (&CqlType::Blob, AggregateKind::Count),
        };
        match self {
            Accumulator::First(v) => write_bytes(out, v.clone().flatten().as_deref()),
            Accumulator::Count(n) => write_bytes(out, Some(&n.to_be_bytes())),
            Accumulator::Extreme(best) => write_bytes(out, best.as_ref().map(|(_, v)| &v[..])),
            Accumulator::Integer { sum, count } => {
                let v = if ty.1 == AggregateKind::Avg && *count > 0 { sum / *count as i128 } else { *sum };
                let bytes = match ty.0 {
                    CqlType::Tinyint => (v as i8).to_be_bytes().to_vec(),
                    CqlType::Smallint => (v as i16).to_be_bytes().to_vec(),
                    CqlType::Int => (v as i32).to_be_bytes().to_vec(),
                    _ => (v as i64).to_be_bytes().to_vec(),
                };
                write_bytes(out, Some(&bytes));
            }
            Accumulator::Float { sum, count } => {
                let v = if ty.1 == AggregateKind::Avg && *count > 0 { sum / *count as f64 } else { *sum };
                let bytes =
                    if *ty.0 == CqlType::Float { (v as f32).to_be_bytes().to_vec() } else { v.to_be_bytes().to_vec() };
                write_bytes(out, Some(&bytes));
            }
        }
    }
}

/// Runs an aggregate SELECT: one page with one row per group (one row without GROUP BY).
pub async fn execute(
    shard: &Rc<Shard>,
    plan: &SelectPlan,
    aggregate: &AggregatePlan,
    values: &BoundValues,
    page: &PageRequest,
) -> Result<RowsResult, CqlError> {
    let limit = match &plan.limit {
        Some(e) => match e.eval_i32(values, "limit")? {
            Some(n) if n <= 0 => return Err(CqlError::invalid("LIMIT must be strictly positive".into())),
            n => n.map(|n| n as usize),
        },
        None => None,
    };
    let per_partition_limit = match &plan.per_partition_limit {
        Some(e) => match e.eval_i32(values, "per partition limit")? {
            Some(n) if n <= 0 => return Err(CqlError::invalid("PER PARTITION LIMIT must be strictly positive".into())),
            n => n.map(|n| n as usize),
        },
        None => None,
    };
    let partition_of = |key: &[Option<Bytes>]| key[..aggregate.partition_key_inputs].to_vec();
    let width = aggregate.inputs.len();
    let fresh = || aggregate.columns.iter().map(Accumulator::new).collect::<Vec<_>>();
    let mut st = match &page.paging_state {
        Some(bytes) => GroupingState::decode(bytes, &fresh(), aggregate.group_inputs.len())?,
        None => GroupingState::default(),
    };
    let page_groups = page.page_size.filter(|&n| n > 0).map(|n| n as usize);
    let mut content = Vec::new();
    let mut groups = 0usize;
    let at_limit = |st: &GroupingState| limit.is_some_and(|l| st.groups_done as usize >= l);
    let emit = |state: &[Accumulator], content: &mut Vec<u8>| {
        for (acc, column) in state.iter().zip(&aggregate.columns) {
            acc.finish(column, content);
        }
    };
    let mut more = false;
    'pages: loop {
        let inner = PageRequest {
            page_size: Some(AGGREGATE_PAGE_ROWS),
            paging_state: st.inner.take(),
            skip_metadata: true,
            consistency: page.consistency,
        };
        let rows = execute_rows(shard, plan, values, &inner, false).await?;
        for row in split_rows(&rows.content, width)? {
            let row: Vec<Option<Bytes>> = row.into_iter().map(|v| v.map(Bytes::copy_from_slice)).collect();
            let key: Vec<Option<Bytes>> = aggregate.group_inputs.iter().map(|&i| row[i].clone()).collect();
            match &mut st.current {
                Some((k, state)) if *k == key || aggregate.group_inputs.is_empty() => {
                    aggregate.columns.iter().zip(state.iter_mut()).for_each(|(c, acc)| acc.add(c, &row));
                    continue;
                }
                _ => {}
            }
            // A new group starts: the previous one is complete.
            if let Some((_, state)) = st.current.take().filter(|_| !st.skipping) {
                emit(&state, &mut content);
                groups += 1;
                st.groups_done += 1;
                if at_limit(&st) {
                    break 'pages;
                }
            }
            let partition = partition_of(&key);
            if st.partition != partition || st.partition_groups == 0 {
                st.partition = partition;
                st.partition_groups = 0;
            }
            st.partition_groups += 1;
            // A group past the PER PARTITION LIMIT is read but never returned.
            st.skipping = per_partition_limit.is_some_and(|l| st.partition_groups as usize > l);
            let mut state = fresh();
            aggregate.columns.iter().zip(state.iter_mut()).for_each(|(c, acc)| acc.add(c, &row));
            st.current = Some((key, state));
        }
        st.inner = rows.metadata.paging_state;
        if st.inner.is_none() {
            break;
        }
        if page_groups.is_some_and(|n| groups >= n) {
            more = true;
            break;
        }
    }
    if !more {
        match st.current.take() {
            Some((_, state)) if !at_limit(&st) && !st.skipping => {
                emit(&state, &mut content);
                groups += 1;
            }
            None if aggregate.group_inputs.is_empty() => {
                emit(&fresh(), &mut content);
                groups += 1;
            }
            _ => {}
        }
    }
    let paging_state = (more && !at_limit(&st)).then(|| st.encode());
    Ok(RowsResult {
        metadata: RowsMetadata { columns: plan.result_columns.clone(), paging_state, no_metadata: page.skip_metadata },
        count: groups as i32,
        content,
    })
}
