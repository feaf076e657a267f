//! Parsed selectors, operators and relations written back as CQL text, for error messages
//! that quote what the user wrote (never a Rust debug dump).

use percore_protocol::cql::ast::{InValues, Operator, Relation, SelectorExpr};

use super::operation::term_text;

pub fn operator_text(op: Operator) -> &'static str {
    match op {
        Operator::Eq => "=",
        Operator::Lt => "<",
        Operator::Lte => "<=",
        Operator::Gt => ">",
        Operator::Gte => ">=",
        Operator::Neq => "!=",
        Operator::Contains => "CONTAINS",
        Operator::ContainsKey => "CONTAINS KEY",
        Operator::Like => "LIKE",
    }
}

pub fn selector_text(e: &SelectorExpr) -> String {
    match e {
        SelectorExpr::Column(name) => name.clone(),
        SelectorExpr::FunctionCall { name, args } => {
            format!("{}({})", name.name, args.iter().map(selector_text).collect::<Vec<_>>().join(", "))
        }
        SelectorExpr::CountAll => "count(*)".into(),
        SelectorExpr::WriteTime(c) => format!("writetime({c})"),
        SelectorExpr::Ttl(c) => format!("ttl({c})"),
        SelectorExpr::Cast { expr, ty } => format!("CAST({} AS {ty:?})", selector_text(expr)),
        SelectorExpr::Term(t) => term_text(t),
        SelectorExpr::FieldAccess { expr, field } => format!("{}.{field}", selector_text(expr)),
        SelectorExpr::ElementAccess { expr, key } => format!("{}[{}]", selector_text(expr), term_text(key)),
    }
}

fn in_text(values: &InValues) -> String {
    match values {
        InValues::List(items) => format!("({})", items.iter().map(term_text).collect::<Vec<_>>().join(", ")),
        InValues::Marker(m) => m.name.as_ref().map_or("?".into(), |n| format!(":{n}")),
    }
}

pub fn relation_text(r: &Relation) -> String {
    match r {
        Relation::Simple { column, op, value } => format!("{column} {} {}", operator_text(*op), term_text(value)),
        Relation::MapElement { column, key, op, value } => {
            format!("{column}[{}] {} {}", term_text(key), operator_text(*op), term_text(value))
        }
        Relation::In { column, values } => format!("{column} IN {}", in_text(values)),
        Relation::Token { columns, op, value } => {
            format!("token({}) {} {}", columns.join(", "), operator_text(*op), term_text(value))
        }
        Relation::MultiColumn { columns, op, value } => {
            format!("({}) {} {}", columns.join(", "), operator_text(*op), term_text(value))
        }
        Relation::MultiColumnIn { columns, values } => format!("({}) IN {}", columns.join(", "), in_text(values)),
        Relation::IsNotNull { column } => format!("{column} IS NOT NULL"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use percore_protocol::cql::ast::{Literal, Term};

    #[test]
    fn relations_read_as_written() {
        let r = Relation::Simple {
            column: "v".into(),
            op: Operator::Gte,
            value: Term::Literal(Literal::String("a".into())),
        };
        assert_eq!(relation_text(&r), "v >= 'a'");
        assert_eq!(relation_text(&Relation::IsNotNull { column: "v".into() }), "v IS NOT NULL");
    }
}
