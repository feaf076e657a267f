//! Computed selections: selector functions (`toJson`, `toTimestamp`, `toDate`,
//! `toUnixTimestamp`, `dateOf`, `unixTimestampOf`, `blobAs<type>`, `<type>AsBlob`),
//! `CAST(x AS type)`, user type field selection (`u.f`) and `SELECT JSON`. The owner shard
//! returns the plain inputs (columns, writetime, ttl, token); the coordinator computes each
//! result column from them, page by page, so paging and filtering are those of the plain
//! read.

use percore_protocol::cql::ast::{Selection, SelectorExpr};
use percore_protocol::types::CqlType;

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::functions::Function;
use crate::cql::read::output::Output;
use crate::cql::statement::operation::term_text;
use crate::cql::term::{analyze_term, compatible, BindSpecs, Receiver};
use crate::schema::TableDef;

use super::aggregate::is_numeric;
use super::restrictions::column_id;

/// A native function of selections, with the argument type it was resolved for.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectorFunction {
    ToJson(CqlType),
    ToTimestamp(CqlType),
    ToDate(CqlType),
    ToUnixTimestamp(CqlType),
    /// `blobAs<type>`: the blob's bytes read as the type (validated).
    BlobAs(CqlType),
    /// `<type>AsBlob`: the value's bytes as a blob.
    AsBlob,
    Cast {
        from: CqlType,
        to: CqlType,
    },
}

/// How one result column is computed from the inputs of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjExpr {
    Input(usize),
    Call(SelectorFunction, Box<ProjExpr>),
    /// `x.f`: the field at this position of a user type value (null when absent).
    Field(Box<ProjExpr>, usize),
    /// `m[k]` / `s[e]`: a map's value or a set's element with this key (a constant or a
    /// bind marker, of type `key_ty`; null when absent).
    Element {
        collection: Box<ProjExpr>,
        key: ValueExpr,
        key_ty: CqlType,
        map: bool,
    },
    /// A native function of terms (`now()`, `minTimeuuid(...)`, `uuid()`), evaluated for
    /// each row.
    Function(Function, Vec<ProjExpr>),
    /// A constant or bound argument of a function (`minTimeuuid('2013-01-01')`,
    /// `intAsBlob(?)`), of this type.
    Value(ValueExpr, CqlType),
}

#[derive(Debug, Clone)]
pub struct Projection {
    pub exprs: Vec<ProjExpr>,
    pub types: Vec<CqlType>,
    /// `SELECT JSON`: the result is one `[json]` column with these keys.
    pub json_names: Option<Vec<String>>,
}

/// Whether the selection needs computing on the coordinator.
pub fn is_computed(selection: &Selection, json: bool) -> bool {
    fn computed(e: &SelectorExpr) -> bool {
        match e {
            SelectorExpr::FunctionCall { name, args } => {
                !(name.name.eq_ignore_ascii_case("token") || name.name.eq_ignore_ascii_case("count"))
                    || args.iter().any(computed)
            }
            SelectorExpr::Cast { .. } | SelectorExpr::FieldAccess { .. } | SelectorExpr::ElementAccess { .. } => true,
            _ => false,
        }
    }
    json || matches!(selection, Selection::Selectors(s) if s.iter().any(|s| computed(&s.expr)))
}

struct Inputs {
    outputs: Vec<Output>,
}

impl Inputs {
    fn index(&mut self, o: Output) -> usize {
        self.outputs.iter().position(|x| *x == o).unwrap_or_else(|| {
            self.outputs.push(o);
            self.outputs.len() - 1
        })
    }
}

fn type_name_of_function(name: &str) -> Option<(bool, CqlType)> {
    let lower = name.to_ascii_lowercase();
    if let Some(ty) = lower.strip_prefix("blobas") {
        return CqlType::from_native_name(ty).map(|t| (true, t));
    }
    if let Some(ty) = lower.strip_suffix("asblob") {
        return CqlType::from_native_name(ty).map(|t| (false, t));
    }
    None
}

/// Cassandra's `CastFcts`: between native types (anything to text); vectors have none.
fn cast_allowed(from: &CqlType, to: &CqlType) -> bool {
    let native = !matches!(
        from.unfrozen(),
        CqlType::List(_)
            | CqlType::Set(_)
            | CqlType::Map(..)
            | CqlType::Tuple(_)
            | CqlType::Udt(_)
            | CqlType::Vector(..)
            | CqlType::Custom(_)
    );
    native && cast_between_natives(from, to)
}

fn cast_between_natives(from: &CqlType, to: &CqlType) -> bool {
    from.unfrozen() == to.unfrozen()
        || matches!(to, CqlType::Text | CqlType::Ascii)
        || (is_numeric(from) && is_numeric(to) && !matches!(to, CqlType::Counter))
        || (matches!(from, CqlType::Timeuuid) && matches!(to, CqlType::Timestamp | CqlType::Date))
        || (matches!(from, CqlType::Timestamp) && matches!(to, CqlType::Date))
        || (matches!(from, CqlType::Date) && matches!(to, CqlType::Timestamp))
}

fn selector(
    table: &TableDef,
    e: &SelectorExpr,
    inputs: &mut Inputs,
    binds: &mut BindSpecs,
) -> Result<(ProjExpr, CqlType, String), CqlError> {
    Ok(match e {
        SelectorExpr::Column(name) => {
            let id = column_id(table, name)?;
            (ProjExpr::Input(inputs.index(Output::Column(id))), table.column(id).ty.clone(), name.clone())
        }
        SelectorExpr::WriteTime(name) | SelectorExpr::Ttl(name) => {
            let (output, ty, label) = cell_metadata(table, name, matches!(e, SelectorExpr::WriteTime(_)))?;
            (ProjExpr::Input(inputs.index(output)), ty, label)
        }
        SelectorExpr::FunctionCall { name, args } if name.name.eq_ignore_ascii_case("token") => {
            let pk: Vec<String> = table.partition_key.iter().map(|&i| table.column(i).name.clone()).collect();
            let names: Vec<String> = args
                .iter()
                .map(|a| match a {
                    SelectorExpr::Column(c) => Ok(c.clone()),
                    _ => Err(CqlError::invalid("token() takes the partition key columns".into())),
                })
                .collect::<Result<_, _>>()?;
            if names != pk {
                return Err(CqlError::invalid(format!(
                    "token() takes the partition key columns in order: {}",
                    pk.join(", ")
                )));
            }
            (
                ProjExpr::Input(inputs.index(Output::Token)),
                CqlType::Bigint,
                format!("system.token({})", names.join(", ")),
            )
        }
        SelectorExpr::FunctionCall { name, .. } if name.name.eq_ignore_ascii_case("fromjson") => {
            return Err(CqlError::invalid(
                "fromJson() cannot be used in the selection clause of a SELECT statement".into(),
            ))
        }
        SelectorExpr::FunctionCall { name, args } if is_term_function(&name.name, args) => {
            term_function(table, &name.name, args, inputs, binds)?
        }
        SelectorExpr::FunctionCall { name, args } => {
            let [arg] = args.as_slice() else {
                return Err(CqlError::invalid(format!("Unknown function {} or wrong number of arguments", name.name)));
            };
            let (arg_expr, arg_ty, arg_name) = selector(table, arg, inputs, binds)?;
            let lower = name.name.to_ascii_lowercase();
            let wrong = || {
                CqlError::invalid(format!(
                    "Type error: {arg_name} cannot be passed as argument 0 of function system.{lower} of type {}",
                    arg_ty.cql_name()
                ))
            };
            let (function, ty) = match lower.as_str() {
                "tojson" => (SelectorFunction::ToJson(arg_ty.clone()), CqlType::Text),
                "totimestamp" | "dateof" => match arg_ty {
                    CqlType::Timeuuid | CqlType::Date | CqlType::Timestamp => {
                        (SelectorFunction::ToTimestamp(arg_ty.clone()), CqlType::Timestamp)
                    }
                    _ => return Err(wrong()),
                },
                "todate" => match arg_ty {
                    CqlType::Timeuuid | CqlType::Date | CqlType::Timestamp => {
                        (SelectorFunction::ToDate(arg_ty.clone()), CqlType::Date)
                    }
                    _ => return Err(wrong()),
                },
                "tounixtimestamp" | "unixtimestampof" => match arg_ty {
                    CqlType::Timeuuid | CqlType::Date | CqlType::Timestamp => {
                        (SelectorFunction::ToUnixTimestamp(arg_ty.clone()), CqlType::Bigint)
                    }
                    _ => return Err(wrong()),
                },
                other => match type_name_of_function(other) {
                    Some((true, ty)) if arg_ty == CqlType::Blob => (SelectorFunction::BlobAs(ty.clone()), ty),
                    Some((false, ty)) if ty.unfrozen() == arg_ty.unfrozen() => {
                        (SelectorFunction::AsBlob, CqlType::Blob)
                    }
                    Some(_) => return Err(wrong()),
                    None => return Err(CqlError::invalid(format!("Unknown function '{}'", name.name))),
                },
            };
            (ProjExpr::Call(function, Box::new(arg_expr)), ty, format!("system.{lower}({arg_name})"))
        }
        SelectorExpr::Cast { expr, ty } => {
            let (arg_expr, from, arg_name) = selector(table, expr, inputs, binds)?;
            let to = match ty {
                percore_protocol::cql::ast::TypeExpr::Native(n) => CqlType::from_native_name(n),
                _ => None,
            }
            .ok_or_else(|| CqlError::invalid(format!("{arg_name} cannot be cast to {ty:?}: only native types")))?;
            if !cast_allowed(&from, &to) {
                return Err(CqlError::invalid(format!("{arg_name} cannot be cast to {}", to.cql_name())));
            }
            let label = format!("cast({arg_name} as {})", to.cql_name());
            (ProjExpr::Call(SelectorFunction::Cast { from, to: to.clone() }, Box::new(arg_expr)), to, label)
        }
        SelectorExpr::FieldAccess { expr, field } => {
            let (arg_expr, arg_ty, arg_name) = selector(table, expr, inputs, binds)?;
            let CqlType::Udt(udt) = arg_ty.unfrozen() else {
                return Err(CqlError::invalid(format!(
                    "Invalid field selection: {arg_name} of type {} is not a user type",
                    arg_ty.cql_name()
                )));
            };
            let Some(index) = udt.fields.iter().position(|(f, _)| f == field) else {
                return Err(CqlError::invalid(format!(
                    "{arg_name} of type {} has no field {field}",
                    arg_ty.cql_name()
                )));
            };
            let ty = udt.fields[index].1.clone();
            (ProjExpr::Field(Box::new(arg_expr), index), ty, format!("{arg_name}.{field}"))
        }
        SelectorExpr::ElementAccess { expr, key } => {
            let (arg_expr, arg_ty, arg_name) = selector(table, expr, inputs, binds)?;
            let (key_ty, ty, map) = match arg_ty.unfrozen() {
                CqlType::Map(k, v) => ((**k).clone(), (**v).clone(), true),
                CqlType::Set(e) => ((**e).clone(), (**e).clone(), false),
                CqlType::List(_) => {
                    return Err(CqlError::invalid(format!(
                        "Element selection is only allowed on sets and maps, but {arg_name} is a list"
                    )))
                }
                other => {
                    return Err(CqlError::invalid(format!(
                        "Invalid element selection: {arg_name} is of type {} is not a collection",
                        other.cql_name()
                    )))
                }
            };
            let receiver = constant_receiver(table, format!("key({arg_name})"), key_ty.clone());
            let key_expr = analyze_term(key, &receiver, binds)?;
            let label = format!("{arg_name}[{}]", term_text(key));
            (ProjExpr::Element { collection: Box::new(arg_expr), key: key_expr, key_ty, map }, ty, label)
        }
        SelectorExpr::CountAll => {
            return Err(CqlError::invalid("count(*) cannot be mixed with computed selectors yet".into()))
        }
        other => {
            return Err(CqlError::invalid(format!(
                "This selector is not supported yet: {}",
                super::cql_text::selector_text(other)
            )))
        }
    })
}

/// `writetime(c)` / `ttl(c)`: the output that reads it, its type and its column label,
/// refused on key columns and non-frozen collections and user types as Cassandra does.
pub fn cell_metadata(table: &TableDef, name: &str, writetime: bool) -> Result<(Output, CqlType, String), CqlError> {
    let id = column_id(table, name)?;
    let column = table.column(id);
    let function = if writetime { "writeTime" } else { "ttl" };
    if column.kind.is_primary_key() {
        return Err(CqlError::invalid(format!("Cannot use selection function {function} on PRIMARY KEY part {name}")));
    }
    if column.ty.is_multi_cell() {
        let kind = if column.ty.is_collection() { "collection" } else { "UDT" };
        return Err(CqlError::invalid(format!("Cannot use selection function {function} on non-frozen {kind} {name}")));
    }
    Ok(if writetime {
        (Output::WriteTime(id), CqlType::Bigint, format!("writetime({name})"))
    } else {
        (Output::Ttl(id), CqlType::Int, format!("ttl({name})"))
    })
}

/// Functions of terms Cassandra also allows in a selection: the ones without arguments
/// (`now()`, `uuid()`, `currentTimestamp()`…), `minTimeuuid`/`maxTimeuuid`, and any
/// function given a constant (`blobAsBoolean(0x01)`).
fn is_term_function(name: &str, args: &[SelectorExpr]) -> bool {
    match Function::lookup(name) {
        Some(Function::MinTimeuuid | Function::MaxTimeuuid) => true,
        Some(f) => {
            (args.is_empty() && f.argument_types().is_empty())
                || args.iter().any(|a| matches!(a, SelectorExpr::Term(_)))
        }
        None => false,
    }
}

fn constant_receiver(table: &TableDef, name: String, ty: CqlType) -> Receiver {
    Receiver { keyspace: table.keyspace.clone(), table: table.name.clone(), name, ty }
}

/// A native function of terms whose arguments are columns, other selectors or constants.
fn term_function(
    table: &TableDef,
    name: &str,
    args: &[SelectorExpr],
    inputs: &mut Inputs,
    binds: &mut BindSpecs,
) -> Result<(ProjExpr, CqlType, String), CqlError> {
    let f = Function::lookup(name).ok_or_else(|| CqlError::invalid(format!("Unknown function '{name}'")))?;
    let lower = name.to_ascii_lowercase();
    let types = f.argument_types();
    if args.len() != types.len() {
        return Err(CqlError::invalid(format!(
            "Invalid number of arguments in call to function system.{lower}: {} required but {} provided",
            types.len(),
            args.len()
        )));
    }
    let mut exprs = Vec::with_capacity(args.len());
    let mut labels = Vec::with_capacity(args.len());
    for (i, (arg, ty)) in args.iter().zip(types).enumerate() {
        if let SelectorExpr::Term(term) = arg {
            let receiver = constant_receiver(table, format!("arg{i}(system.{lower})"), ty.clone());
            exprs.push(ProjExpr::Value(analyze_term(term, &receiver, binds)?, ty));
            labels.push(term_text(term));
            continue;
        }
        let (expr, arg_ty, label) = selector(table, arg, inputs, binds)?;
        if !compatible(&arg_ty, &ty) {
            return Err(CqlError::invalid(format!(
                "Type error: {label} cannot be passed as argument {i} of function system.{lower} of type {}",
                ty.cql_name()
            )));
        }
        exprs.push(expr);
        labels.push(label);
    }
    let ty = f.return_type();
    Ok((ProjExpr::Function(f, exprs), ty, format!("system.{lower}({})", labels.join(", "))))
}

/// `SELECT JSON` over already computed columns (aggregates): each row becomes one JSON
/// object of them; returns the projection and the one `[json]` result column.
pub fn json_of_columns(described: Vec<(String, CqlType)>) -> (Projection, Vec<(String, CqlType)>) {
    let exprs = (0..described.len()).map(ProjExpr::Input).collect();
    let (names, types) = described.into_iter().unzip();
    (Projection { exprs, types, json_names: Some(names) }, vec![("[json]".into(), CqlType::Text)])
}

/// The inputs each row provides, the projection, and the result columns (name, type).
pub type AnalysedProjection = (Vec<Output>, Projection, Vec<(String, CqlType)>);

/// Analyses a computed selection: the inputs each row provides, the projection, and the
/// result columns (name and type).
pub fn analyze(
    table: &TableDef,
    selection: &Selection,
    json: bool,
    binds: &mut BindSpecs,
) -> Result<AnalysedProjection, CqlError> {
    let mut inputs = Inputs { outputs: Vec::new() };
    let mut exprs = Vec::new();
    let mut described = Vec::new();
    match selection {
        Selection::All => {
            for id in table.select_star_order() {
                let c = table.column(id);
                exprs.push(ProjExpr::Input(inputs.index(Output::Column(id))));
                described.push((c.name.clone(), c.ty.clone()));
            }
        }
        Selection::Selectors(selectors) => {
            for s in selectors {
                let (e, ty, name) = selector(table, &s.expr, &mut inputs, binds)?;
                exprs.push(e);
                described.push((s.alias.clone().unwrap_or(name), ty));
            }
        }
    }
    if inputs.outputs.is_empty() {
        // Only functions of constants: each row still needs a cell to be counted as a row.
        inputs.index(Output::Column(table.partition_key[0]));
    }
    let types = described.iter().map(|(_, t)| t.clone()).collect();
    if json {
        let names = described.iter().map(|(n, _)| n.clone()).collect();
        let projection = Projection { exprs, types, json_names: Some(names) };
        return Ok((inputs.outputs, projection, vec![("[json]".into(), CqlType::Text)]));
    }
    Ok((inputs.outputs, Projection { exprs, types, json_names: None }, described))
}
