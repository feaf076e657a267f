//! Classifying driver errors into the kinds the report counts.

use scylla::errors::{DbError, ExecutionError, PrepareError, RequestAttemptError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Timeout,
    Overloaded,
    Unavailable,
    ServerError,
    Invalid,
    Connection,
    Other,
}

pub const KINDS: usize = 7;

impl ErrorKind {
    pub const ALL: [ErrorKind; KINDS] = [
        ErrorKind::Timeout,
        ErrorKind::Overloaded,
        ErrorKind::Unavailable,
        ErrorKind::ServerError,
        ErrorKind::Invalid,
        ErrorKind::Connection,
        ErrorKind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Overloaded => "overloaded",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::ServerError => "server_error",
            ErrorKind::Invalid => "invalid_request",
            ErrorKind::Connection => "connection",
            ErrorKind::Other => "other",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

pub fn classify(e: &ExecutionError) -> ErrorKind {
    match e {
        ExecutionError::RequestTimeout(_) => ErrorKind::Timeout,
        ExecutionError::ConnectionPoolError(_) | ExecutionError::EmptyPlan => ErrorKind::Connection,
        ExecutionError::LastAttemptError(a) => classify_attempt(a),
        ExecutionError::PrepareError(p) => classify_prepare(p),
        _ => ErrorKind::Other,
    }
}

pub fn classify_prepare(e: &PrepareError) -> ErrorKind {
    match e {
        PrepareError::AllAttemptsFailed { first_attempt } => classify_attempt(first_attempt),
        PrepareError::ConnectionPoolError(_) => ErrorKind::Connection,
        _ => ErrorKind::Other,
    }
}

fn classify_attempt(a: &RequestAttemptError) -> ErrorKind {
    match a {
        RequestAttemptError::DbError(db, _) => classify_db(db),
        RequestAttemptError::BrokenConnectionError(_) | RequestAttemptError::UnableToAllocStreamId => {
            ErrorKind::Connection
        }
        _ => ErrorKind::Other,
    }
}

pub fn classify_db(db: &DbError) -> ErrorKind {
    match db {
        DbError::ReadTimeout { .. } | DbError::WriteTimeout { .. } => ErrorKind::Timeout,
        DbError::Overloaded | DbError::RateLimitReached { .. } => ErrorKind::Overloaded,
        DbError::Unavailable { .. } | DbError::IsBootstrapping => ErrorKind::Unavailable,
        DbError::ServerError
        | DbError::ReadFailure { .. }
        | DbError::WriteFailure { .. }
        | DbError::TruncateError
        | DbError::ProtocolError => ErrorKind::ServerError,
        DbError::SyntaxError
        | DbError::Invalid
        | DbError::ConfigError
        | DbError::AlreadyExists { .. }
        | DbError::Unauthorized
        | DbError::Unprepared { .. }
        | DbError::FunctionFailure { .. } => ErrorKind::Invalid,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_errors() {
        assert_eq!(classify_db(&DbError::Overloaded), ErrorKind::Overloaded);
        assert_eq!(classify_db(&DbError::Invalid), ErrorKind::Invalid);
        assert_eq!(classify_db(&DbError::ServerError), ErrorKind::ServerError);
        let e = ExecutionError::RequestTimeout(std::time::Duration::from_secs(1));
        assert_eq!(classify(&e), ErrorKind::Timeout);
        assert_eq!(ErrorKind::ALL.iter().map(|k| k.index()).collect::<Vec<_>>(), (0..KINDS).collect::<Vec<_>>());
    }
}
