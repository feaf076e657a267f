//! `varint` and `decimal`: arbitrary-precision integers in Java `BigInteger.toByteArray`
//! form (two's complement, big-endian, minimal length), their text forms, and
//! byte-comparable order keys.
//!
//! Arithmetic is done by hand on little-endian `u32` limbs of the magnitude; conversions
//! are quadratic in the number of digits, which is fine for values that fit in a frame.

use super::LiteralError;

/// `limbs = limbs * mul + add`.
fn mul_add(limbs: &mut Vec<u32>, mul: u32, add: u32) {
    let mut carry = u64::from(add);
    for limb in limbs.iter_mut() {
        let v = u64::from(*limb) * u64::from(mul) + carry;
        *limb = v as u32;
        carry = v >> 32;
    }
    if carry != 0 {
        limbs.push(carry as u32);
    }
}

/// `limbs = limbs / div`, returning the remainder; keeps `limbs` free of high zero limbs.
fn div_rem(limbs: &mut Vec<u32>, div: u32) -> u32 {
    let mut rem = 0u64;
    for limb in limbs.iter_mut().rev() {
        let cur = (rem << 32) | u64::from(*limb);
        *limb = (cur / u64::from(div)) as u32;
        rem = cur % u64::from(div);
    }
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    rem as u32
}

/// ASCII decimal digits (all `0..=9`) to magnitude limbs (empty for zero).
fn digits_to_limbs(digits: &[u8]) -> Vec<u32> {
    let mut limbs = Vec::with_capacity(digits.len() / 9 + 1);
    let head = digits.len() % 9;
    let chunks = std::iter::once(&digits[..head]).chain(digits[head..].chunks(9));
    for chunk in chunks.filter(|c| !c.is_empty()) {
        let value = chunk.iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
        mul_add(&mut limbs, 10u32.pow(chunk.len() as u32), value);
    }
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    limbs
}

/// Magnitude limbs to decimal digits (`"0"` for zero).
fn limbs_to_digits(mut limbs: Vec<u32>) -> String {
    let mut groups = Vec::with_capacity(limbs.len() * 32 / 29 + 1);
    while !limbs.is_empty() {
        groups.push(div_rem(&mut limbs, 1_000_000_000));
    }
    let mut out = match groups.pop() {
        Some(top) => top.to_string(),
        None => return "0".to_string(),
    };
    for group in groups.iter().rev() {
        out.push_str(&format!("{group:09}"));
    }
    out
}

/// Big-endian unsigned bytes to limbs.
fn be_bytes_to_limbs(bytes: &[u8]) -> Vec<u32> {
    let mut limbs: Vec<u32> =
        bytes.rchunks(4).map(|c| c.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))).collect();
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    limbs
}

/// Limbs to big-endian unsigned bytes without leading zeros (empty for zero).
fn limbs_to_be_bytes(limbs: &[u32]) -> Vec<u8> {
    let bytes: Vec<u8> = limbs.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes[skip..].to_vec()
}

/// Two's-complement negation in place.
fn negate(bytes: &mut [u8]) {
    let mut carry = true;
    for b in bytes.iter_mut().rev() {
        *b = !*b;
        if carry {
            let (v, c) = b.overflowing_add(1);
            *b = v;
            carry = c;
        }
    }
}

/// The shortest two's-complement form of the same value (drops sign-extension bytes).
fn minimal(bytes: &[u8]) -> &[u8] {
    let mut i = 0;
    while i + 1 < bytes.len() {
        let (b0, b1) = (bytes[i], bytes[i + 1]);
        if (b0 == 0x00 && b1 & 0x80 == 0) || (b0 == 0xFF && b1 & 0x80 != 0) {
            i += 1;
        } else {
            break;
        }
    }
    &bytes[i..]
}

/// Sign and magnitude (big-endian, no leading zeros, empty for zero) of a two's-complement
/// value; the empty byte string counts as zero.
fn sign_magnitude(bytes: &[u8]) -> (bool, Vec<u8>) {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut m = bytes.to_vec();
    if negative {
        negate(&mut m); // -2^(8n-1) gives 0x80 00..: the right unsigned magnitude
    }
    let skip = m.iter().take_while(|&&b| b == 0).count();
    (negative, m.split_off(skip))
}

/// Minimal two's complement of `±magnitude` (`[0x00]` for zero, as Java's `toByteArray`).
fn twos_complement(negative: bool, magnitude: &[u8]) -> Vec<u8> {
    if magnitude.is_empty() {
        return vec![0];
    }
    let mut out = Vec::with_capacity(magnitude.len() + 1);
    out.push(0);
    out.extend_from_slice(magnitude);
    if negative {
        negate(&mut out);
    }
    minimal(&out).to_vec()
}

/// Splits an optional leading `+`/`-`.
fn split_sign(s: &str) -> (bool, &str) {
    if let Some(rest) = s.strip_prefix('-') {
        (true, rest)
    } else {
        (false, s.strip_prefix('+').unwrap_or(s))
    }
}

/// Parses a `varint` literal (Java `new BigInteger(s)`): an optional `+` or `-`, then one or
/// more ASCII digits, any length. Returns the minimal two's-complement big-endian bytes
/// (`0` is `[0x00]`). The empty string gives the empty value (empty bytes), as in
/// Cassandra's `IntegerType.fromString`.
pub fn parse_varint(s: &str) -> Result<Vec<u8>, LiteralError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let (negative, digits) = split_sign(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(LiteralError::Varint(s.to_string()));
    }
    let magnitude = limbs_to_be_bytes(&digits_to_limbs(digits.as_bytes()));
    Ok(twos_complement(negative, &magnitude))
}

/// Formats a two's-complement big-endian integer in decimal (Java `BigInteger.toString`);
/// redundant sign-extension bytes are fine. The empty value formats as the empty string.
pub fn format_varint(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    let (negative, magnitude) = sign_magnitude(bytes);
    let digits = limbs_to_digits(be_bytes_to_limbs(&magnitude));
    if negative {
        format!("-{digits}")
    } else {
        digits
    }
}

/// Parses a `decimal` literal as Java's `new BigDecimal(s)`: optional sign, digits with an
/// optional `.` (at least one digit: `.5` and `5.` are fine), optional exponent `e`/`E`
/// with optional sign. Returns `(scale, unscaled)` with value `unscaled × 10^-scale`;
/// the scale is exact, trailing zeros kept: `-1.50` is `(2, -150)`, `1.5E10` is `(-9, 15)`,
/// `1e-3` is `(3, 1)`. A scale outside `i32` is an error. Unlike Cassandra (which maps
/// `''` to the empty value), the empty string is an error: the caller decides.
pub fn parse_decimal(s: &str) -> Result<(i32, Vec<u8>), LiteralError> {
    let err = || LiteralError::Decimal(s.to_string());
    let (negative, body) = split_sign(s);
    let b = body.as_bytes();
    let mut digits = Vec::with_capacity(b.len());
    let mut fraction_digits: i64 = 0;
    let mut seen_point = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c @ b'0'..=b'9' => {
                digits.push(c);
                fraction_digits += i64::from(seen_point);
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if digits.is_empty() {
        return Err(err());
    }
    let mut exponent: i64 = 0;
    if i < b.len() {
        if b[i] != b'e' && b[i] != b'E' {
            return Err(err());
        }
        let (exp_negative, exp_digits) = split_sign(&body[i + 1..]);
        if exp_digits.is_empty() || !exp_digits.bytes().all(|c| c.is_ascii_digit()) {
            return Err(err());
        }
        let magnitude: i64 = exp_digits.parse().map_err(|_| err())?;
        exponent = if exp_negative { -magnitude } else { magnitude };
    }
    let scale = fraction_digits.checked_sub(exponent).and_then(|v| i32::try_from(v).ok()).ok_or_else(err)?;
    let magnitude = limbs_to_be_bytes(&digits_to_limbs(&digits));
    Ok((scale, twos_complement(negative, &magnitude)))
}

/// Formats a decimal as Java's `BigDecimal.toString` (what Cassandra's `toJson` emits):
/// plain notation when `scale >= 0` and the adjusted exponent is at least -6
/// (`1.50`, `0.000001`), scientific otherwise (`1E+3`, `1E-7`, `-1.5E+10`, `0E-7`).
/// An empty `unscaled` counts as zero.
pub fn format_decimal(scale: i32, unscaled: &[u8]) -> String {
    let (negative, magnitude) = sign_magnitude(unscaled);
    let coeff = limbs_to_digits(be_bytes_to_limbs(&magnitude));
    let mut out = String::with_capacity(coeff.len() + 16);
    if negative {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&coeff);
        return out;
    }
    let len = coeff.len() as i64;
    let scale = i64::from(scale);
    let adjusted = len - 1 - scale;
    if scale > 0 && adjusted >= -6 {
        let pad = scale - len; // at most 5 here
        if pad >= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', pad as usize));
            out.push_str(&coeff);
        } else {
            let point = (len - scale) as usize;
            out.push_str(&coeff[..point]);
            out.push('.');
            out.push_str(&coeff[point..]);
        }
    } else {
        out.push_str(&coeff[..1]);
        if len > 1 {
            out.push('.');
            out.push_str(&coeff[1..]);
        }
        if adjusted != 0 {
            out.push('E');
            if adjusted > 0 {
                out.push('+');
            }
            out.push_str(&adjusted.to_string());
        }
    }
    out
}

/// Appends an order-preserving, prefix-free encoding of a `varint` (two's-complement
/// big-endian bytes, sign extension allowed): comparing encodings as unsigned byte strings
/// orders values as Cassandra's `IntegerType` does, the empty value first, and equal values
/// (whatever their padding) encode equally.
///
/// Layout: empty → `00`; zero → `80`; positive of `n` minimal bytes → `80+n` (or `FF` and
/// `n` as 8 bytes when `n >= 127`) then the bytes; negative → `80-n` (or `01` and `!n` as
/// 8 bytes) then the raw two's-complement bytes.
pub fn varint_order_key(bytes: &[u8], out: &mut Vec<u8>) {
    if bytes.is_empty() {
        out.push(0x00);
        return;
    }
    let m = minimal(bytes);
    if m == [0] {
        out.push(0x80);
        return;
    }
    let n = m.len();
    let positive = m[0] & 0x80 == 0;
    match (positive, n < 0x7F) {
        (true, true) => out.push(0x80 + n as u8),
        (true, false) => {
            out.push(0xFF);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
        (false, true) => out.push(0x80 - n as u8),
        (false, false) => {
            out.push(0x01);
            out.extend_from_slice(&(!(n as u64)).to_be_bytes());
        }
    }
    out.extend_from_slice(m);
}

/// Appends an order-preserving, prefix-free encoding of a `decimal` (`unscaled × 10^-scale`,
/// `unscaled` in two's complement; empty counts as zero): comparing encodings as unsigned
/// byte strings orders values as Cassandra's `DecimalType` (`BigDecimal.compareTo`), so
/// numerically equal values with different scales (`1.0`, `1.00`) encode identically.
/// Every encoding starts with a byte in `40..=C0`, so a caller can encode the empty value
/// as `00` to sort it first, as Cassandra does.
///
/// Layout: zero → `80`. Otherwise the value is `±0.d1d2…dk × 10^e` with `d1 ≠ 0` and
/// `dk ≠ 0`: positive → `C0`, `e` (one byte `80+e` for `-64 <= e < 64`, else `01`/`FE`
/// and 8 bytes of `e` with the sign bit flipped), the digits two per byte as `10·a+b+1`
/// (a lone last digit as `10·a+1`), then `00`; negative → `40` and the same bytes inverted.
pub fn decimal_order_key(scale: i32, unscaled: &[u8], out: &mut Vec<u8>) {
    let (negative, magnitude) = sign_magnitude(unscaled);
    if magnitude.is_empty() {
        out.push(0x80);
        return;
    }
    let digits = limbs_to_digits(be_bytes_to_limbs(&magnitude));
    let significant = digits.trim_end_matches('0').as_bytes();
    let stripped = (digits.len() - significant.len()) as i64;
    // value = digits × 10^-scale = 0.significant × 10^e
    let e = significant.len() as i64 + stripped - i64::from(scale);
    out.push(if negative { 0x40 } else { 0xC0 });
    let start = out.len();
    if (-64..64).contains(&e) {
        out.push((0x80 + e) as u8);
    } else {
        out.push(if e < 0 { 0x01 } else { 0xFE });
        out.extend_from_slice(&((e as u64) ^ (1 << 63)).to_be_bytes());
    }
    for pair in significant.chunks(2) {
        let hi = pair[0] - b'0';
        let lo = pair.get(1).map_or(0, |d| d - b'0');
        out.push(hi * 10 + lo + 1);
    }
    out.push(0x00);
    if negative {
        for b in &mut out[start..] {
            *b = !*b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Ordering;

    /// Minimal two's complement of an i128, as Java's `BigInteger.toByteArray`.
    fn i128_bytes(v: i128) -> Vec<u8> {
        minimal(&v.to_be_bytes()).to_vec()
    }

    fn bytes_i128(b: &[u8]) -> i128 {
        let fill = if b.first().is_some_and(|x| x & 0x80 != 0) { 0xFF } else { 0 };
        let mut buf = [fill; 16];
        buf[16 - b.len()..].copy_from_slice(b);
        i128::from_be_bytes(buf)
    }

    fn vkey(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        varint_order_key(b, &mut out);
        out
    }

    fn dkey(scale: i32, unscaled: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        decimal_order_key(scale, unscaled, &mut out);
        out
    }

    const TWO_200: &str = "1606938044258990275541962092341162602522202993782792835301376";

    #[test]
    fn varint_parse_and_format() {
        assert_eq!(parse_varint("0"), Ok(vec![0]));
        assert_eq!(parse_varint("-0"), Ok(vec![0]));
        assert_eq!(parse_varint("+0"), Ok(vec![0]));
        assert_eq!(parse_varint("000"), Ok(vec![0]));
        assert_eq!(parse_varint("1"), Ok(vec![1]));
        assert_eq!(parse_varint("127"), Ok(vec![0x7F]));
        assert_eq!(parse_varint("128"), Ok(vec![0x00, 0x80]));
        assert_eq!(parse_varint("255"), Ok(vec![0x00, 0xFF]));
        assert_eq!(parse_varint("256"), Ok(vec![0x01, 0x00]));
        assert_eq!(parse_varint("-1"), Ok(vec![0xFF]));
        assert_eq!(parse_varint("-128"), Ok(vec![0x80]));
        assert_eq!(parse_varint("-129"), Ok(vec![0xFF, 0x7F]));
        assert_eq!(parse_varint("-00129"), Ok(vec![0xFF, 0x7F]));
        assert_eq!(parse_varint(""), Ok(vec![]));
        let mut two_200 = vec![0x01];
        two_200.extend([0u8; 25]);
        assert_eq!(parse_varint(TWO_200), Ok(two_200.clone()));
        assert_eq!(format_varint(&two_200), TWO_200);
        let mut minus_two_200 = vec![0xFF];
        minus_two_200.extend([0u8; 25]);
        assert_eq!(parse_varint(&format!("-{TWO_200}")), Ok(minus_two_200.clone()));
        assert_eq!(format_varint(&minus_two_200), format!("-{TWO_200}"));
        // -2^199 fits exactly in 25 bytes.
        let mut minus_two_199 = vec![0x80];
        minus_two_199.extend([0u8; 24]);
        assert_eq!(
            parse_varint("-803469022129495137770981046170581301261101496891396417650688"),
            Ok(minus_two_199.clone())
        );
        assert_eq!(format_varint(&minus_two_199), "-803469022129495137770981046170581301261101496891396417650688");
        assert_eq!(format_varint(&[]), "");
        assert_eq!(format_varint(&[0, 0, 0]), "0");
        assert_eq!(format_varint(&[0xFF, 0xFF, 0xFF]), "-1");
        assert_eq!(format_varint(&[0x00, 0x00, 0x80]), "128");
        assert_eq!(format_varint(&[0x80]), "-128");
        for bad in ["-", "+", "1.0", "1e3", " 1", "1 ", "0x10", "--1", "+-1", "١"] {
            assert_eq!(parse_varint(bad), Err(LiteralError::Varint(bad.to_string())), "{bad}");
        }
        assert_eq!(LiteralError::Varint("x".into()).to_string(), "unable to make int from 'x'");
    }

    #[test]
    fn decimal_parse() {
        let p = |s: &str| parse_decimal(s).map(|(sc, u)| (sc, format_varint(&u)));
        let ok = |sc: i32, u: &str| Ok((sc, u.to_string()));
        assert_eq!(p("123"), ok(0, "123"));
        assert_eq!(p("-1.50"), ok(2, "-150"));
        assert_eq!(p("+1.50"), ok(2, "150"));
        assert_eq!(p("1.5E10"), ok(-9, "15"));
        assert_eq!(p("1.5e+10"), ok(-9, "15"));
        assert_eq!(p("1e-3"), ok(3, "1"));
        assert_eq!(p(".5"), ok(1, "5"));
        assert_eq!(p("5."), ok(0, "5"));
        assert_eq!(p("-0"), ok(0, "0"));
        assert_eq!(p("-0.00"), ok(2, "0"));
        assert_eq!(p("0E+3"), ok(-3, "0"));
        assert_eq!(p("000123.4500"), ok(4, "1234500"));
        assert_eq!(p("1E2147483647"), ok(-2147483647, "1"));
        assert_eq!(p("1E-2147483647"), ok(2147483647, "1"));
        assert_eq!(p("1E2147483648"), ok(i32::MIN, "1"));
        assert_eq!(p("0.1E-2147483647"), Err(LiteralError::Decimal("0.1E-2147483647".into())));
        assert_eq!(p(&format!("{TWO_200}.5")), ok(1, &format!("{TWO_200}5")));
        for bad in [
            "",
            ".",
            "-",
            "+.",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "1,5",
            " 1",
            "1 ",
            "1E5.5",
            "NaN",
            "Infinity",
            "0x1",
            "1e99999999999999999999",
            "--1",
            "1ee2",
            "é",
        ] {
            assert_eq!(parse_decimal(bad), Err(LiteralError::Decimal(bad.to_string())), "{bad}");
        }
        assert_eq!(LiteralError::Decimal("x".into()).to_string(), "unable to make BigDecimal from 'x'");
    }

    #[test]
    fn decimal_format_matches_big_decimal_to_string() {
        let f = |scale: i32, unscaled: i128| format_decimal(scale, &i128_bytes(unscaled));
        assert_eq!(f(0, 123), "123");
        assert_eq!(f(2, -150), "-1.50");
        assert_eq!(f(-3, 1), "1E+3");
        assert_eq!(f(-9, 15), "1.5E+10");
        assert_eq!(f(-9, -15), "-1.5E+10");
        assert_eq!(f(6, 1), "0.000001");
        assert_eq!(f(7, 1), "1E-7");
        assert_eq!(f(7, 12), "0.0000012");
        assert_eq!(f(8, 12), "1.2E-7");
        assert_eq!(f(3, 1), "0.001");
        assert_eq!(f(1, 5), "0.5");
        assert_eq!(f(2, 0), "0.00");
        assert_eq!(f(7, 0), "0E-7");
        assert_eq!(f(-2, 0), "0E+2");
        assert_eq!(f(0, 0), "0");
        assert_eq!(f(0, -1), "-1");
        assert_eq!(f(2, 12345), "123.45");
        assert_eq!(f(-1, 12345), "1.2345E+5");
        assert_eq!(f(10, 12_345_678_901), "1.2345678901");
        assert_eq!(f(i32::MAX, 1), "1E-2147483647");
        assert_eq!(f(i32::MIN, -1), "-1E+2147483648");
        assert_eq!(format_decimal(2, &[]), "0.00");
        assert_eq!(format_decimal(0, &[0xFF, 0xFF, 0x6A]), "-150");
    }

    #[test]
    fn varint_order_edges() {
        let values: Vec<Vec<u8>> = vec![
            vec![],
            parse_varint(&format!("-{TWO_200}")).unwrap(),
            i128_bytes(i128::MIN),
            i128_bytes(-129),
            i128_bytes(-128),
            i128_bytes(-1),
            vec![0],
            i128_bytes(1),
            i128_bytes(127),
            i128_bytes(128),
            i128_bytes(i128::MAX),
            parse_varint(TWO_200).unwrap(),
        ];
        for w in values.windows(2) {
            assert!(vkey(&w[0]) < vkey(&w[1]), "{:?} < {:?}", w[0], w[1]);
        }
        assert_eq!(vkey(&[0, 0, 5]), vkey(&[5]));
        assert_eq!(vkey(&[0xFF, 0xFF, 0x80]), vkey(&[0x80]));
        assert_eq!(vkey(&[0, 0]), vec![0x80]);
        // Long values (>= 127 significant bytes) use the extended length form.
        let mut big = vec![0x01];
        big.extend([0u8; 200]);
        let mut bigger = vec![0x01];
        bigger.extend([0u8; 201]);
        let neg_big: Vec<u8> = {
            let mut v = big.clone();
            negate(&mut v);
            v
        };
        let neg_bigger: Vec<u8> = {
            let mut v = bigger.clone();
            negate(&mut v);
            v
        };
        let ordered = [neg_bigger, neg_big, i128_bytes(-1), i128_bytes(1), big, bigger];
        for w in ordered.windows(2) {
            assert!(vkey(&w[0]) < vkey(&w[1]));
        }
    }

    #[test]
    fn decimal_order_edges() {
        let d = |s: &str| {
            let (scale, unscaled) = parse_decimal(s).unwrap();
            dkey(scale, &unscaled)
        };
        assert_eq!(d("1.0"), d("1.00"));
        assert_eq!(d("1"), d("1.000"));
        assert_eq!(d("100"), d("1E+2"));
        assert_eq!(d("0"), d("-0.000"));
        assert_eq!(d("0"), d("0E+5"));
        assert_eq!(d("-2.50"), d("-2.5"));
        let ordered = [
            "-1E+100", "-123.45", "-12.5", "-12.45", "-12.4", "-1", "-0.5", "-0.05", "-1E-100", "0", "1E-100", "0.05",
            "0.5", "0.505", "0.51", "1", "1.000001", "12.4", "12.45", "12.5", "123.45", "1E+63", "1E+64", "1E+100",
        ];
        for w in ordered.windows(2) {
            assert!(d(w[0]) < d(w[1]), "{} < {}", w[0], w[1]);
        }
        let mut extreme = dkey(i32::MIN, &[1]);
        assert!(d("1E+100") < extreme);
        extreme = dkey(i32::MAX, &[1]);
        assert!(extreme < d("1E-100") && d("0") < extreme);
        assert!(dkey(i32::MAX, &[0xFF]) < d("0"));
        assert!(dkey(i32::MIN, &[0xFF]) < d("-1E+100"));
    }

    /// Reference comparison of `a × 10^-sa` and `b × 10^-sb` by aligning digit strings.
    fn reference_cmp(sa: i32, a: i64, sb: i32, b: i64) -> Ordering {
        let sign = |v: i64| v.signum();
        if sign(a) != sign(b) {
            return sign(a).cmp(&sign(b));
        }
        if a == 0 {
            return Ordering::Equal;
        }
        let common = sa.max(sb);
        let widen = |v: i64, s: i32| {
            let mut digits = v.unsigned_abs().to_string();
            digits.extend(std::iter::repeat_n('0', (common - s) as usize));
            digits
        };
        let (da, db) = (widen(a, sa), widen(b, sb));
        let magnitude = da.len().cmp(&db.len()).then_with(|| da.cmp(&db));
        if a > 0 {
            magnitude
        } else {
            magnitude.reverse()
        }
    }

    fn padded(bytes: Vec<u8>, pad: usize) -> Vec<u8> {
        let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) { 0xFF } else { 0 };
        let mut out = vec![fill; pad];
        out.extend(bytes);
        out
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = parse_varint(&s);
            let _ = parse_decimal(&s);
        }

        #[test]
        fn structured_garbage_never_panics(s in "[-+0-9.eE]{0,30}") {
            if let Ok(v) = parse_varint(&s) {
                prop_assert_eq!(parse_varint(&format_varint(&v)), Ok(v));
            }
            if let Ok((scale, u)) = parse_decimal(&s) {
                prop_assert_eq!(parse_decimal(&format_decimal(scale, &u)), Ok((scale, u)));
            }
        }

        #[test]
        fn formatters_never_panic(scale in any::<i32>(), bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = format_varint(&bytes);
            let _ = format_decimal(scale, &bytes);
            let mut out = Vec::new();
            varint_order_key(&bytes, &mut out);
            decimal_order_key(scale, &bytes, &mut out);
        }

        #[test]
        fn varint_matches_i128(v in any::<i128>()) {
            prop_assert_eq!(parse_varint(&v.to_string()), Ok(i128_bytes(v)));
            prop_assert_eq!(format_varint(&i128_bytes(v)), v.to_string());
            prop_assert_eq!(bytes_i128(&parse_varint(&v.to_string()).unwrap()), v);
        }

        #[test]
        fn varint_big_round_trip(neg in any::<bool>(), digits in "[1-9][0-9]{0,150}") {
            let s = if neg { format!("-{digits}") } else { digits };
            let bytes = parse_varint(&s).unwrap();
            prop_assert_eq!(minimal(&bytes), &bytes[..]);
            prop_assert_eq!(format_varint(&bytes), s);
        }

        #[test]
        fn varint_order_matches_i128(a in any::<i64>(), b in any::<i128>(), pa in 0..3usize, pb in 0..3usize, small in any::<bool>()) {
            let a = if small { i128::from(a % 300) } else { i128::from(a) };
            let b = if small { b % 300 } else { b };
            let (ka, kb) = (vkey(&padded(i128_bytes(a), pa)), vkey(&padded(i128_bytes(b), pb)));
            prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
            // Prefix-free: neither key is a proper prefix of the other.
            if ka != kb {
                prop_assert!(!ka.starts_with(&kb) && !kb.starts_with(&ka));
            }
        }

        #[test]
        fn decimal_order_matches_reference(
            a in any::<i64>(), b in any::<i64>(),
            sa in -30..30i32, sb in -30..30i32,
            small in any::<bool>(), same_digits in any::<bool>(),
        ) {
            let a = if small { a % 1000 } else { a };
            // Often compare a value with a rescaled copy of itself or a near neighbour.
            let (b, sb) = if same_digits && a.unsigned_abs() < 1 << 40 {
                (a * 1000 + b % 3, sa + 3)
            } else if small { (b % 1000, sb) } else { (b, sb) };
            let ka = dkey(sa, &i128_bytes(i128::from(a)));
            let kb = dkey(sb, &i128_bytes(i128::from(b)));
            prop_assert_eq!(ka.cmp(&kb), reference_cmp(sa, a, sb, b), "{}e{} vs {}e{}", a, -sa, b, -sb);
            if ka != kb {
                prop_assert!(!ka.starts_with(&kb) && !kb.starts_with(&ka));
            }
        }

        #[test]
        fn decimal_text_round_trip(a in any::<i128>(), scale in any::<i32>()) {
            let u = i128_bytes(a);
            let text = format_decimal(scale, &u);
            prop_assert_eq!(parse_decimal(&text), Ok((scale, u)));
        }
    }
}
