//! Scanning of number-like tokens by longest match: integers, floats, durations (unit
//! and ISO 8601 forms), hex blobs, UUIDs and words, with `Lexer.g`'s priority on ties.

use super::super::token::TokenKind;
use super::Lexer;

/// Kinds of number-like tokens, in `Lexer.g` priority order (earlier wins a tie).
#[derive(Clone, Copy)]
enum Candidate {
    Integer,
    Float,
    Duration,
    Word,
    Hex,
    Uuid,
}

impl Lexer<'_> {
    /// The longest number, duration, UUID, hex or word token at `start`, with its end.
    pub(super) fn number_or_word(&self, start: usize) -> Option<(TokenKind, usize)> {
        if let Some(end) = self.negative_special(start) {
            return Some((TokenKind::Float, end));
        }
        let candidates = [
            (Candidate::Integer, self.integer_len(start)),
            (Candidate::Float, self.float_len(start)),
            (Candidate::Duration, self.duration_len(start)),
            (Candidate::Word, self.word_len(start)),
            (Candidate::Hex, self.hex_len(start)),
            (Candidate::Uuid, self.uuid_len(start)),
        ];
        let mut best: Option<(Candidate, usize)> = None;
        for (candidate, len) in candidates {
            if len > 0 && best.is_none_or(|(_, best_len)| len > best_len) {
                best = Some((candidate, len));
            }
        }
        let (candidate, len) = best?;
        let end = start + len;
        let kind = match candidate {
            Candidate::Integer => TokenKind::Integer,
            Candidate::Float => TokenKind::Float,
            Candidate::Duration => TokenKind::Duration,
            Candidate::Hex => TokenKind::Hex,
            Candidate::Uuid => TokenKind::Uuid,
            Candidate::Word => {
                let word = self.src.get(start..end).unwrap_or_default();
                if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") {
                    TokenKind::Boolean
                } else {
                    TokenKind::Word
                }
            }
        };
        Some((kind, end))
    }

    fn digits_len(&self, at: usize) -> usize {
        self.bytes.get(at..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count())
    }

    fn sign_len(&self, at: usize) -> usize {
        usize::from(self.byte(at) == b'-')
    }

    /// `-NaN` and `-Infinity` (whole words only).
    fn negative_special(&self, start: usize) -> Option<usize> {
        if self.byte(start) != b'-' {
            return None;
        }
        let len = self.word_len(start + 1);
        let word = self.src.get(start + 1..start + 1 + len)?;
        (word.eq_ignore_ascii_case("nan") || word.eq_ignore_ascii_case("infinity")).then_some(start + 1 + len)
    }

    fn integer_len(&self, start: usize) -> usize {
        let sign = self.sign_len(start);
        let digits = self.digits_len(start + sign);
        if digits == 0 {
            0
        } else {
            sign + digits
        }
    }

    /// `INTEGER ('.' DIGIT*)? EXPONENT?` with at least one of the two; `1..` is not a float.
    fn float_len(&self, start: usize) -> usize {
        let int = self.integer_len(start);
        if int == 0 {
            return 0;
        }
        let mut at = start + int;
        let mut is_float = false;
        if self.byte(at) == b'.' && self.byte(at + 1) != b'.' {
            at += 1 + self.digits_len(at + 1);
            is_float = true;
        }
        if matches!(self.byte(at), b'e' | b'E') {
            let sign = usize::from(matches!(self.byte(at + 1), b'+' | b'-'));
            let digits = self.digits_len(at + 1 + sign);
            if digits > 0 {
                at += 1 + sign + digits;
                is_float = true;
            }
        }
        if is_float {
            at - start
        } else {
            0
        }
    }

    fn word_len(&self, start: usize) -> usize {
        if !self.byte(start).is_ascii_alphabetic() {
            return 0;
        }
        1 + self
            .bytes
            .get(start + 1..)
            .map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count())
    }

    fn hex_len(&self, start: usize) -> usize {
        if self.byte(start) != b'0' || !matches!(self.byte(start + 1), b'x' | b'X') {
            return 0;
        }
        2 + self.bytes.get(start + 2..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_hexdigit()).count())
    }

    fn uuid_len(&self, start: usize) -> usize {
        const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
        let mut at = start;
        for (i, group) in GROUPS.iter().enumerate() {
            if i > 0 {
                if self.byte(at) != b'-' {
                    return 0;
                }
                at += 1;
            }
            for _ in 0..*group {
                if !self.byte(at).is_ascii_hexdigit() {
                    return 0;
                }
                at += 1;
            }
        }
        at - start
    }

    /// Length of a duration unit (`y mo w d h m s ms us µs ns`, any case) at `at`.
    fn unit_len(&self, at: usize) -> usize {
        let lower = |i: usize| self.byte(i).to_ascii_lowercase();
        match (lower(at), lower(at + 1), lower(at + 2)) {
            (b'm', b'o' | b's', _) | (b'u' | b'n', b's', _) => 2,
            (0xC2, 0xB5, b's') => 3,
            (b'y' | b'w' | b'd' | b'h' | b'm' | b's', _, _) => 1,
            _ => 0,
        }
    }

    fn duration_len(&self, start: usize) -> usize {
        let iso = self.iso_duration_len(start);
        let sign = self.sign_len(start);
        let mut at = start + sign;
        let mut end = 0;
        loop {
            let digits = self.digits_len(at);
            if digits == 0 {
                break;
            }
            let unit = self.unit_len(at + digits);
            if unit == 0 {
                break;
            }
            at += digits + unit;
            end = at - start;
        }
        end.max(iso)
    }

    /// ISO 8601 durations: `P1Y2M3D`, `PT4H5M6S`, `P1Y2DT3H`, `P2W`, `P0001-02-03T04:05:06`.
    /// Designators are upper case only, as in Cassandra.
    fn iso_duration_len(&self, start: usize) -> usize {
        let mut at = start + self.sign_len(start);
        if self.byte(at) != b'P' {
            return 0;
        }
        at += 1;
        if let Some(len) = self.iso_alternative_len(at) {
            return at + len - start;
        }
        let week_digits = self.digits_len(at);
        if week_digits > 0 && self.byte(at + week_digits) == b'W' {
            return at + week_digits + 1 - start;
        }
        let (date_len, date_count) = self.designators_len(at, b"YMD");
        at += date_len;
        let mut end = if date_count > 0 { at - start } else { 0 };
        if self.byte(at) == b'T' {
            let (time_len, time_count) = self.designators_len(at + 1, b"HMS");
            if time_count > 0 {
                end = at + 1 + time_len - start;
            }
        }
        end
    }

    /// A run of `DIGIT+ designator` with designators taken in `order`; (length, count).
    fn designators_len(&self, start: usize, order: &[u8]) -> (usize, usize) {
        let mut at = start;
        let mut next = 0;
        let mut count = 0;
        loop {
            let digits = self.digits_len(at);
            if digits == 0 {
                break;
            }
            let designator = self.byte(at + digits);
            let Some(found) = order.iter().skip(next).position(|d| *d == designator) else {
                break;
            };
            next += found + 1;
            at += digits + 1;
            count += 1;
        }
        (at - start, count)
    }

    /// `YYYY-MM-DDThh:mm:ss` after the `P`.
    fn iso_alternative_len(&self, at: usize) -> Option<usize> {
        const PATTERN: &[u8] = b"dddd-dd-ddTdd:dd:dd";
        for (i, expected) in PATTERN.iter().enumerate() {
            let b = self.byte(at + i);
            let ok = match expected {
                b'd' => b.is_ascii_digit(),
                other => b == *other,
            };
            if !ok {
                return None;
            }
        }
        Some(PATTERN.len())
    }
}
