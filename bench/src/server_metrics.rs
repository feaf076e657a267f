//! Scraping the server's Prometheus endpoint before and after the measured phase:
//! a plain HTTP/1.1 GET over `std::net::TcpStream` and a minimal text-format parser.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;

/// One sample: metric name, label set (`k="v",..` as written), value.
#[derive(Clone, Debug, Default)]
pub struct Scrape {
    pub samples: Vec<(String, String, f64)>,
}

/// Parse the Prometheus text exposition format (comments and blank lines skipped).
pub fn parse(text: &str) -> Scrape {
    let mut samples = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, rest) = match line.find('}') {
            Some(i) => (&line[..=i], &line[i + 1..]),
            None => match line.split_once(char::is_whitespace) {
                Some((a, b)) => (a, b),
                None => continue,
            },
        };
        let Some(value) = rest.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()) else {
            continue;
        };
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n, l.trim_end_matches('}')),
            None => (series, ""),
        };
        samples.push((name.to_string(), labels.to_string(), value));
    }
    Scrape { samples }
}

/// Value of label `key` in a `k="v",..` label string.
pub fn label<'a>(labels: &'a str, key: &str) -> Option<&'a str> {
    labels.split(',').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"'))
    })
}

impl Scrape {
    /// Sum of all series of `name`.
    pub fn sum(&self, name: &str) -> Option<f64> {
        let mut it = self.samples.iter().filter(|s| s.0 == name).peekable();
        it.peek()?;
        Some(it.map(|s| s.2).sum())
    }

    /// `name` broken down by the `shard` label.
    pub fn by_shard(&self, name: &str) -> BTreeMap<u32, f64> {
        let mut m = BTreeMap::new();
        for (n, l, v) in &self.samples {
            if n == name {
                if let Some(shard) = label(l, "shard").and_then(|s| s.parse().ok()) {
                    *m.entry(shard).or_insert(0.0) += v;
                }
            }
        }
        m
    }
}

/// Server-side view of the measured phase.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ServerDelta {
    pub cpu_seconds: Option<f64>,
    pub requests: u64,
    pub errors: Option<u64>,
    pub requests_per_shard: BTreeMap<u32, u64>,
    pub local_per_shard: BTreeMap<u32, u64>,
    pub forwarded_per_shard: BTreeMap<u32, u64>,
    /// Server-side mean request latency per shard over the phase, in ms (from the
    /// `percore_cql_request_latency_seconds` histogram).
    pub mean_latency_ms_per_shard: BTreeMap<u32, f64>,
    /// Seconds each shard's executor was busy during the phase.
    pub reactor_busy_seconds_per_shard: BTreeMap<u32, f64>,
}

pub fn delta(before: &Scrape, after: &Scrape) -> ServerDelta {
    let d = |name: &str| -> Option<f64> { Some(after.sum(name)? - before.sum(name).unwrap_or(0.0)) };
    let per_shard = |name: &str| -> BTreeMap<u32, u64> {
        let b = before.by_shard(name);
        after
            .by_shard(name)
            .into_iter()
            .map(|(k, v)| (k, (v - b.get(&k).copied().unwrap_or(0.0)).max(0.0) as u64))
            .collect()
    };
    let per_shard_f64 = |name: &str| -> BTreeMap<u32, f64> {
        let b = before.by_shard(name);
        after.by_shard(name).into_iter().map(|(k, v)| (k, (v - b.get(&k).copied().unwrap_or(0.0)).max(0.0))).collect()
    };
    let latency_sum = per_shard_f64("percore_cql_request_latency_seconds_sum");
    let latency_count = per_shard_f64("percore_cql_request_latency_seconds_count");
    let mean_latency_ms_per_shard = latency_sum
        .iter()
        .filter_map(|(shard, sum)| {
            let n = latency_count.get(shard).copied().unwrap_or(0.0);
            (n > 0.0).then(|| (*shard, sum / n * 1e3))
        })
        .collect();
    ServerDelta {
        mean_latency_ms_per_shard,
        reactor_busy_seconds_per_shard: per_shard_f64("percore_reactor_busy_seconds_total"),
        cpu_seconds: d("process_cpu_seconds_total"),
        requests: d("percore_cql_requests_total").unwrap_or(0.0).max(0.0) as u64,
        errors: d("percore_cql_errors_total").map(|v| v.max(0.0) as u64),
        requests_per_shard: per_shard("percore_cql_requests_total"),
        local_per_shard: per_shard("percore_cql_requests_local_total"),
        forwarded_per_shard: per_shard("percore_cql_requests_forwarded_total"),
    }
}

/// GET `url` (`http://host:port/path`) and parse the body.
pub fn scrape(url: &str) -> Result<Scrape> {
    let rest = url.strip_prefix("http://").context("only http:// URLs are supported")?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let hostport = if hostport.contains(':') { hostport.to_string() } else { format!("{hostport}:80") };
    let addr = hostport.to_socket_addrs()?.next().with_context(|| format!("cannot resolve {hostport}"))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let host = hostport.split(':').next().unwrap_or("");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").context("malformed HTTP response")?;
    let status = head.lines().next().unwrap_or("");
    if status.split_whitespace().nth(1) != Some("200") {
        bail!("HTTP status {status:?}");
    }
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    Ok(parse(&if chunked { dechunk(body) } else { body.to_string() }))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "# HELP x\n# TYPE percore_cql_requests_total counter\n\
        percore_cql_requests_total{shard=\"0\"} 10\npercore_cql_requests_total{shard=\"1\"} 5\n\
        percore_cql_requests_forwarded_total{shard=\"1\"} 1\nprocess_cpu_seconds_total 1.5\n";
    const T2: &str = "percore_cql_requests_total{shard=\"0\"} 110\npercore_cql_requests_total{shard=\"1\"} 55\n\
        percore_cql_requests_forwarded_total{shard=\"1\"} 3\nprocess_cpu_seconds_total 2.0\npercore_cql_errors_total 2\n";

    #[test]
    fn parse_and_delta() {
        let (a, b) = (parse(T1), parse(T2));
        assert_eq!(a.sum("percore_cql_requests_total"), Some(15.0));
        let d = delta(&a, &b);
        assert_eq!(d.requests, 150);
        assert_eq!(d.requests_per_shard[&0], 100);
        assert_eq!(d.forwarded_per_shard[&1], 2);
        assert!((d.cpu_seconds.unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(d.errors, Some(2));
    }

    #[test]
    fn chunked() {
        assert_eq!(dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), "hello world");
    }
}
