//! The HTTP client side of `percore nodetool`: one request per connection to the node's
//! admin endpoint, the body back on `200 OK`, the node's message as an error otherwise.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::NodetoolError;

/// How long a nodetool command waits for the node (a flush of big memtables takes a while).
const NODETOOL_TIMEOUT_S: u64 = 600;
/// The largest answer read from the node (table statistics of many tables).
const RESPONSE_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// Where the node's admin endpoint is, and how long to wait for it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub timeout: Duration,
}

impl Endpoint {
    /// A node that may take [`NODETOOL_TIMEOUT_S`] to answer.
    pub fn new(host: String, port: u16) -> Self {
        Endpoint { host, port, timeout: Duration::from_secs(NODETOOL_TIMEOUT_S) }
    }

    /// The same node, waited for at most `timeout` (to connect, and for each read).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Endpoint { timeout, ..self }
    }

    pub fn get(&self, path: &str) -> Result<String, NodetoolError> {
        self.request("GET", path)
    }

    pub fn post(&self, path: &str) -> Result<String, NodetoolError> {
        self.request("POST", path)
    }

    pub fn delete(&self, path: &str) -> Result<String, NodetoolError> {
        self.request("DELETE", path)
    }

    /// A JSON answer, decoded.
    pub fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, NodetoolError> {
        let body = self.get(path)?;
        serde_json::from_str(&body)
            .map_err(|e| NodetoolError::BadAnswer { path: path.to_string(), reason: e.to_string() })
    }

    /// The first of the host's addresses that accepts a connection within the timeout.
    fn connect(&self) -> std::io::Result<TcpStream> {
        let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "the host name has no address");
        for address in (self.host.as_str(), self.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&address, self.timeout) {
                Ok(stream) => return Ok(stream),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn request(&self, method: &str, path: &str) -> Result<String, NodetoolError> {
        let (host, port) = (&self.host, self.port);
        let unreachable = |source| NodetoolError::Unreachable { host: host.to_string(), port, source };
        let mut stream = self.connect().map_err(unreachable)?;
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_write_timeout(Some(self.timeout))?;
        let request =
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes())?;
        let mut response = Vec::new();
        stream.take(RESPONSE_BYTES_MAX).read_to_end(&mut response)?;
        let response = String::from_utf8_lossy(&response);
        let status = response.lines().next().unwrap_or("").to_string();
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("").to_string();
        if status.contains(" 200 ") {
            Ok(body)
        } else {
            Err(NodetoolError::Refused { status, message: body.trim().to_string() })
        }
    }
}

/// Escapes a query-string value (everything but unreserved characters).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_escaped() {
        assert_eq!(super::percent_encode("a:b c/é"), "a%3Ab%20c%2F%C3%A9");
        assert_eq!(super::percent_encode("key-1_2.3~"), "key-1_2.3~");
    }
}
