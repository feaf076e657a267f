//! What a refused schema change says: the kind of refusal (the CQL error code the client
//! gets) and Cassandra's message.

/// The kinds of refusal, each one CQL error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaErrorKind {
    /// 0x2200 Invalid.
    Invalid,
    /// 0x2300 ConfigurationException.
    Config,
    /// 0x2000 SyntaxException.
    Syntax,
    /// 0x2100 Unauthorized.
    Unauthorized,
    /// 0x2400 AlreadyExists, with the keyspace and table (empty for a keyspace).
    AlreadyExists { keyspace_and_table: (String, String) },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SchemaError {
    pub kind: SchemaErrorKind,
    pub message: String,
}

impl SchemaError {
    pub fn invalid(message: String) -> SchemaError {
        SchemaError { kind: SchemaErrorKind::Invalid, message }
    }

    pub fn config(message: String) -> SchemaError {
        SchemaError { kind: SchemaErrorKind::Config, message }
    }

    pub fn syntax(message: String) -> SchemaError {
        SchemaError { kind: SchemaErrorKind::Syntax, message }
    }

    pub fn unauthorized(message: String) -> SchemaError {
        SchemaError { kind: SchemaErrorKind::Unauthorized, message }
    }

    /// Cassandra's AlreadyExists for a keyspace (`table` empty) or a table.
    pub fn already_exists(keyspace: &str, table: &str) -> SchemaError {
        let message = if table.is_empty() {
            format!("Cannot add existing keyspace \"{keyspace}\"")
        } else {
            format!("Cannot add already existing table \"{table}\" to keyspace \"{keyspace}\"")
        };
        SchemaError {
            kind: SchemaErrorKind::AlreadyExists { keyspace_and_table: (keyspace.into(), table.into()) },
            message,
        }
    }
}
