//! Token bounds of a ring scan (`token(k) > x AND token(k) <= y`): each end optional,
//! inclusive or exclusive.

/// Token bounds of a scan (`token(k) > x`), each `(token, inclusive)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenBounds {
    pub lower: Option<(i64, bool)>,
    pub upper: Option<(i64, bool)>,
}

impl TokenBounds {
    pub fn below_lower(&self, t: i64) -> bool {
        self.lower.is_some_and(|(l, incl)| if incl { t < l } else { t <= l })
    }

    pub fn above_upper(&self, t: i64) -> bool {
        self.upper.is_some_and(|(u, incl)| if incl { t > u } else { t >= u })
    }

    /// Whether `t` lies within both bounds.
    pub fn contains(&self, t: i64) -> bool {
        !self.below_lower(t) && !self.above_upper(t)
    }
}
