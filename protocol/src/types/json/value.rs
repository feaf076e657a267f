//! [`JsonValue`]: a parsed JSON document, shaped the way Cassandra's Jackson `ObjectMapper`
//! hands it to the types' `fromJSONObject` (`LinkedHashMap`, `ArrayList`, `String`,
//! `Integer`/`Long`/`BigInteger`, `Double`, `Boolean`, null), and the bits of Java behaviour
//! that conversions and error messages depend on: `toString()`, class names,
//! `Double.toString`/`Float.toString` (what `toJson` prints for `double`/`float`) and
//! `Double.parseDouble`/`Float.parseFloat` (what numeric strings must look like).
//!
//! Parsing is simd-json's, then the tape is copied into owned values in document order,
//! duplicate keys included (the callers decide what a duplicate means).
//!
//! Differences from Jackson, deliberate: text after the document is an error (Jackson's
//! default `FAIL_ON_TRAILING_TOKENS=false` ignores it); integers must fit in 128 bits
//! (Jackson's `BigInteger` has no bound: larger values must be sent as strings).

use std::fmt::Write as _;

use simd_json::tape::Node;
use simd_json::StaticNode;

/// A JSON value. Object members keep their order and their duplicates.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    /// A number without fraction or exponent (Jackson's `Integer`, `Long` or `BigInteger`).
    Int(i128),
    /// A number with a fraction or an exponent (Jackson's `Double`).
    Float(f64),
    String(String),
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    /// Parses one JSON document (any value, not only objects). The error is simd-json's
    /// description of the first problem.
    pub fn parse(json: &str) -> Result<JsonValue, String> {
        let mut bytes = json.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut bytes).map_err(|e| e.to_string())?;
        let mut pos = 0;
        let value = from_tape(&tape.0, &mut pos)?;
        if pos != tape.0.len() {
            return Err("unexpected data after the JSON value".to_string());
        }
        Ok(value)
    }

    /// The simple name of the Java class Jackson would have produced (`Integer`, `Double`,
    /// `ArrayList`...), as Cassandra's messages show it.
    pub fn java_class(&self) -> &'static str {
        match self {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "Boolean",
            JsonValue::Int(i) if i32::try_from(*i).is_ok() => "Integer",
            JsonValue::Int(i) if i64::try_from(*i).is_ok() => "Long",
            JsonValue::Int(_) => "BigInteger",
            JsonValue::Float(_) => "Double",
            JsonValue::String(_) => "String",
            JsonValue::Array(_) => "ArrayList",
            JsonValue::Object(_) => "LinkedHashMap",
        }
    }

    /// The fully qualified Java class name (for `ClassCastException` texts).
    pub(crate) fn java_class_qualified(&self) -> String {
        let package = match self {
            JsonValue::Int(_) if self.java_class() == "BigInteger" => "java.math",
            JsonValue::Array(_) | JsonValue::Object(_) => "java.util",
            _ => "java.lang",
        };
        format!("{package}.{}", self.java_class())
    }

    /// Java's `toString()` of the Jackson object: strings raw, lists `[a, b]`, maps
    /// `{k=v, k2=v2}`, doubles as `Double.toString`.
    pub fn java_string(&self) -> String {
        let mut out = String::new();
        self.write_java_string(&mut out);
        out
    }

    fn write_java_string(&self, out: &mut String) {
        match self {
            JsonValue::Null => out.push_str("null"),
            JsonValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            JsonValue::Int(i) => {
                let _ = write!(out, "{i}");
            }
            JsonValue::Float(f) => out.push_str(&java_double_string(*f)),
            JsonValue::String(s) => out.push_str(s),
            JsonValue::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_java_string(out);
                }
                out.push(']');
            }
            JsonValue::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(key);
                    out.push('=');
                    value.write_java_string(out);
                }
                out.push('}');
            }
        }
    }
}

/// Builds the value starting at `nodes[*pos]`, advancing `pos` past it. Recursion depth is
/// bounded by simd-json's nesting limit (1024).
fn from_tape(nodes: &[Node<'_>], pos: &mut usize) -> Result<JsonValue, String> {
    let node = *nodes.get(*pos).ok_or("truncated JSON tape")?;
    *pos += 1;
    Ok(match node {
        Node::String(s) => JsonValue::String(s.to_owned()),
        Node::Static(s) => from_static(s)?,
        Node::Array { len, .. } => {
            let mut items = Vec::with_capacity(len.min(nodes.len()));
            for _ in 0..len {
                items.push(from_tape(nodes, pos)?);
            }
            JsonValue::Array(items)
        }
        Node::Object { len, .. } => {
            let mut members = Vec::with_capacity(len.min(nodes.len()));
            for _ in 0..len {
                let Some(Node::String(key)) = nodes.get(*pos).copied() else {
                    return Err("object key is not a string".to_string());
                };
                *pos += 1;
                members.push((key.to_owned(), from_tape(nodes, pos)?));
            }
            JsonValue::Object(members)
        }
    })
}

fn from_static(node: StaticNode) -> Result<JsonValue, String> {
    Ok(match node {
        StaticNode::Null => JsonValue::Null,
        StaticNode::Bool(b) => JsonValue::Bool(b),
        StaticNode::I64(i) => JsonValue::Int(i.into()),
        StaticNode::U64(u) => JsonValue::Int(u.into()),
        StaticNode::I128(i) => JsonValue::Int(i),
        StaticNode::U128(u) => JsonValue::Int(i128::try_from(u).map_err(|_| format!("integer {u} is too large"))?),
        StaticNode::F64(f) => JsonValue::Float(f),
    })
}

/// Java's `Double.toString` (JDK 19+, shortest-digits algorithm): `1.0`, `123123.0`,
/// `0.001`, `1.0E7`, `1.5E-4`, `-0.0`, `NaN`, `Infinity`.
pub(crate) fn java_double_string(v: f64) -> String {
    if !v.is_finite() {
        return non_finite(v.is_nan(), v > 0.0);
    }
    let mut sci = format!("{v:e}");
    if is_single_digit(&sci) {
        // Java prints at least two digits and picks the closest two-digit decimal that
        // still reads back as `v` (4.9E-324, not 5.0E-324).
        let two = format!("{v:.1e}");
        if two.parse::<f64>() == Ok(v) {
            sci = two;
        }
    }
    java_layout(&sci)
}

/// Java's `Float.toString` (JDK 19+): as [`java_double_string`] for `f32`.
pub(crate) fn java_float_string(v: f32) -> String {
    if !v.is_finite() {
        return non_finite(v.is_nan(), v > 0.0);
    }
    let mut sci = format!("{v:e}");
    if is_single_digit(&sci) {
        let two = format!("{v:.1e}");
        if two.parse::<f32>() == Ok(v) {
            sci = two;
        }
    }
    java_layout(&sci)
}

fn non_finite(nan: bool, positive: bool) -> String {
    match (nan, positive) {
        (true, _) => "NaN",
        (false, true) => "Infinity",
        (false, false) => "-Infinity",
    }
    .to_string()
}

fn is_single_digit(sci: &str) -> bool {
    sci.split('e').next().is_some_and(|m| !m.contains('.'))
}

/// Lays out Rust's `{:e}` text (`-1.2345e-5`) the way Java does: plain notation with at
/// least one fraction digit when `10^-3 <= |v| < 10^7`, else `d.dddE±n`.
fn java_layout(sci: &str) -> String {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if (-3..7).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            let (int_part, frac) = digits.split_at(int_len.min(digits.len()));
            out.push_str(int_part);
            out.extend(std::iter::repeat_n('0', int_len.saturating_sub(digits.len())));
            out.push('.');
            out.push_str(if frac.is_empty() { "0" } else { frac });
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        out.push('.');
        out.push_str(if rest.is_empty() { "0" } else { rest });
        let _ = write!(out, "E{exp}");
    }
    out
}

/// Java's `Double.parseDouble`: surrounding characters `<= ' '` trimmed, optional sign,
/// `NaN`, `Infinity`, or decimal digits with an optional `.`, optional exponent and optional
/// `f`/`F`/`d`/`D` suffix. Hexadecimal floating literals are not supported.
pub(crate) fn java_parse_double(s: &str) -> Option<f64> {
    java_float_text(s)?.parse().ok()
}

/// Java's `Float.parseFloat`, rounding the decimal straight to `f32`.
pub(crate) fn java_parse_float(s: &str) -> Option<f32> {
    java_float_text(s)?.parse().ok()
}

/// Validates Java's floating-point syntax and returns text Rust's parser reads identically.
fn java_float_text(s: &str) -> Option<String> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => ("-", &t[1..]),
        Some(b'+') => ("", &t[1..]),
        _ => ("", t),
    };
    match body {
        "NaN" => return Some("NaN".to_string()),
        "Infinity" => return Some(format!("{sign}inf")),
        _ => {}
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |p: &str| p.bytes().all(|c| c.is_ascii_digit());
    if int_part.len() + frac.len() == 0 || !all_digits(int_part) || !all_digits(frac) {
        return None;
    }
    if let Some(e) = exponent {
        let e_digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e_digits.is_empty() || !all_digits(e_digits) {
            return None;
        }
    }
    Some(format!("{sign}{body}"))
}
