//! The head of an HTTP/1.x request to the admin endpoint: method, target, whether the
//! connection stays open for the next request (HTTP/1.1 keep-alive unless `Connection:
//! close`; HTTP/1.0 only with `Connection: keep-alive`) and how many body bytes follow (read
//! by the endpoint, bounded; the paths that take no body ignore it).

/// Where a request's head ends.
pub const HEAD_END: &[u8] = b"\r\n\r\n";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// Path and query string.
    pub target: String,
    pub keep_alive: bool,
    pub content_length: usize,
}

/// The bytes of `buffer` up to the end of the first request head (`\r\n\r\n` included).
pub fn head_len(buffer: &[u8]) -> Option<usize> {
    buffer.windows(HEAD_END.len()).position(|w| w == HEAD_END).map(|i| i + HEAD_END.len())
}

/// Reads a request head (the request line and header lines).
pub fn parse_head(head: &[u8]) -> RequestHead {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut words = lines.next().unwrap_or("").split_whitespace();
    let method = words.next().unwrap_or("").to_string();
    let target = words.next().unwrap_or("/").to_string();
    let http_1_1 = words.next() == Some("HTTP/1.1");
    let (mut close, mut keep_alive_asked, mut content_length) = (false, false, 0);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.trim().eq_ignore_ascii_case("connection") {
            close |= value.eq_ignore_ascii_case("close");
            keep_alive_asked |= value.eq_ignore_ascii_case("keep-alive");
        } else if name.trim().eq_ignore_ascii_case("content-length") {
            content_length = value.parse().unwrap_or(0);
        }
    }
    RequestHead { method, target, keep_alive: !close && (http_1_1 || keep_alive_asked), content_length }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_read() {
        let raw = b"GET /metrics?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET";
        let len = head_len(raw).unwrap();
        assert_eq!(&raw[len..], b"abcGET");
        let head = parse_head(&raw[..len]);
        assert_eq!(
            head,
            RequestHead { method: "GET".into(), target: "/metrics?x=1".into(), keep_alive: true, content_length: 3 }
        );
        assert!(head_len(b"GET / HTTP/1.1\r\n").is_none());
    }

    #[test]
    fn connections_close_as_asked() {
        let close = parse_head(b"POST /x HTTP/1.1\r\nConnection: close\r\n\r\n");
        assert!(!close.keep_alive);
        assert!(!parse_head(b"GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(parse_head(b"GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n").keep_alive);
    }
}
