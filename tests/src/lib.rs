//! Harness for end-to-end tests: start the real `percore` binary on free ports
//! with a temporary data directory, wait until it accepts CQL connections,
//! scrape its Prometheus metrics, and stop it (SIGTERM) or kill it on drop.
//!
//! The binary is `$PERCORE_BIN`, else `<workspace>/target/debug/percore`
//! (honouring `$CARGO_TARGET_DIR`). Build it with `cargo build --bin percore`
//! or run everything with `bash tests/run.sh`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

/// How long a server may take to accept connections.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to exit after SIGTERM.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);

const HOST: &str = "127.0.0.1";

/// The server binary under test, or an error that says how to build it.
pub fn server_binary() -> Result<PathBuf> {
    let path = match std::env::var_os("PERCORE_BIN") {
        Some(p) => PathBuf::from(p),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("target"));
            target.join("debug").join("percore")
        }
    };
    if !path.is_file() {
        bail!(
            "percore binary not found at {}: run `bash tests/run.sh` or \
             `cargo build --bin percore` first (or set PERCORE_BIN)",
            path.display()
        );
    }
    Ok(path)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// `n` distinct TCP ports that were free a moment ago (bound to port 0 together).
pub fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners = (0..n).map(|_| TcpListener::bind((HOST, 0))).collect::<std::io::Result<Vec<_>>>()?;
    listeners.iter().map(|l| Ok(l.local_addr()?.port())).collect()
}

pub mod cluster;

/// Where and how one `percore` process runs.
#[derive(Debug, Clone)]
pub struct NodeLaunch {
    pub smp: usize,
    /// Listen, CQL and metrics address.
    pub host: IpAddr,
    /// CQL, shard-aware CQL, metrics, storage.
    pub ports: [u16; 4],
    pub seeds: Option<String>,
    /// Extra `--flag value` arguments.
    pub extra: Vec<String>,
}

/// A running `percore` process. Killed (SIGKILL) on drop if still running.
pub struct Server {
    pub smp: usize,
    pub host: IpAddr,
    /// The balanced CQL port (`--native-transport-port`).
    pub port: u16,
    /// The shard-aware CQL port (`--native-shard-aware-transport-port`).
    pub shard_port: u16,
    pub prometheus_port: u16,
    child: Child,
    log_path: PathBuf,
    args: Vec<String>,
    _data_dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Start with `--smp smp` in a fresh temporary data directory.
    pub fn start(smp: usize) -> Result<Server> {
        let dir = tempfile::Builder::new().prefix("percore-e2e-").tempdir()?;
        let data = dir.path().join("data");
        let mut server = Server::start_in(smp, &data)?;
        server._data_dir = Some(dir);
        Ok(server)
    }

    /// Start with `--smp smp` on `data_dir` (kept after the server stops).
    pub fn start_in(smp: usize, data_dir: &Path) -> Result<Server> {
        let ports = free_ports(4)?;
        let launch = NodeLaunch {
            smp,
            host: HOST.parse()?,
            ports: [ports[0], ports[1], ports[2], ports[3]],
            seeds: None,
            extra: Vec::new(),
        };
        Server::launch(&launch, data_dir)
    }

    /// Start `launch` on `data_dir` (kept after the server stops) and wait for its CQL ports.
    pub fn launch(launch: &NodeLaunch, data_dir: &Path) -> Result<Server> {
        let binary = server_binary()?;
        std::fs::create_dir_all(data_dir)?;
        let (smp, ports) = (launch.smp, launch.ports);
        let log_path = data_dir.with_extension(format!("stderr-{}.log", ports[0]));
        let log = File::create(&log_path)?;
        let mut args: Vec<String> = vec![
            "--smp".into(),
            smp.to_string(),
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--listen-address".into(),
            launch.host.to_string(),
            "--native-transport-port".into(),
            ports[0].to_string(),
            "--native-shard-aware-transport-port".into(),
            ports[1].to_string(),
            "--prometheus-port".into(),
            ports[2].to_string(),
            "--storage-port".into(),
            ports[3].to_string(),
        ];
        if let Some(seeds) = &launch.seeds {
            args.extend(["--seeds".to_string(), seeds.clone()]);
        }
        args.extend(launch.extra.iter().cloned());
        let child = Command::new(&binary)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .env("RUST_BACKTRACE", "1")
            .spawn()
            .with_context(|| format!("spawning {}", binary.display()))?;
        let mut server = Server {
            smp,
            host: launch.host,
            port: ports[0],
            shard_port: ports[1],
            prometheus_port: ports[2],
            child,
            log_path,
            args: std::iter::once(binary.display().to_string()).chain(args).collect(),
            _data_dir: None,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        for port in [self.port, self.shard_port] {
            loop {
                if let Some(status) = self.child.try_wait()? {
                    bail!(
                        "percore exited ({status}) before accepting connections\ncommand: {}\n{}",
                        self.args.join(" "),
                        self.log_excerpt()
                    );
                }
                let addr = SocketAddr::new(self.host, port);
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = self.child.kill();
                    bail!(
                        "percore did not accept connections on port {port} within {:?}\ncommand: {}\n{}",
                        READY_TIMEOUT,
                        self.args.join(" "),
                        self.log_excerpt()
                    );
                }
                sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// The balanced CQL address, for `SessionBuilder::known_node_addr`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// kill -9, and wait for the process to be gone.
    pub fn kill(&mut self) -> Result<()> {
        if self.child.try_wait()?.is_none() {
            self.child.kill()?;
            self.child.wait()?;
        }
        Ok(())
    }

    /// SIGTERM, wait, and require exit code 0.
    pub fn stop(mut self) -> Result<()> {
        let status = self.terminate()?;
        if !status.success() {
            bail!("percore exited with {status} after SIGTERM\n{}", self.log_excerpt());
        }
        Ok(())
    }

    fn terminate(&mut self) -> Result<ExitStatus> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        let pid = libc::pid_t::try_from(self.child.id())?;
        // SAFETY: plain kill(2) on our own child's pid.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
        if rc != 0 {
            bail!("kill(SIGTERM) failed: {}", std::io::Error::last_os_error());
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("percore did not exit within {STOP_TIMEOUT:?} of SIGTERM (killed it)\n{}", self.log_excerpt());
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// The tail of the server's stderr, for failure messages.
    pub fn log_excerpt(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let tail = if text.len() > 6000 {
            let mut start = text.len() - 6000;
            while !text.is_char_boundary(start) {
                start += 1;
            }
            &text[start..]
        } else {
            &text
        };
        format!("--- percore stderr ({}) ---\n{tail}--- end of stderr ---", self.log_path.display())
    }

    /// One scrape of `/metrics`.
    pub fn metrics(&self) -> Result<Metrics> {
        Ok(Metrics::parse(&self.http_get("/metrics")?))
    }

    /// The body of an HTTP GET of `path` on the node's metrics and admin port.
    pub fn http_get(&self, path: &str) -> Result<String> {
        let mut stream = TcpStream::connect((self.host, self.prometheus_port))
            .with_context(|| format!("connecting to metrics port {}", self.prometheus_port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\n\r\n",
            self.host, self.prometheus_port
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let (head, body) =
            response.split_once("\r\n\r\n").ok_or_else(|| anyhow!("malformed HTTP response: {response:.200}"))?;
        if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
            bail!("GET {path}: {}", head.lines().next().unwrap_or(""));
        }
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
            dechunk(body)
        } else {
            Ok(body.to_string())
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn dechunk(mut body: &str) -> Result<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").ok_or_else(|| anyhow!("bad chunked body"))?;
        let size = usize::from_str_radix(size.trim(), 16)?;
        if size == 0 {
            return Ok(out);
        }
        out.push_str(rest.get(..size).ok_or_else(|| anyhow!("short chunk"))?);
        body = rest.get(size + 2..).unwrap_or("");
    }
}

/// One Prometheus sample: its labels and value.
pub type Sample = (BTreeMap<String, String>, f64);

/// Parsed Prometheus text: metric name → (labels → value).
#[derive(Debug, Default, Clone)]
pub struct Metrics {
    pub samples: BTreeMap<String, Vec<Sample>>,
}

impl Metrics {
    pub fn parse(text: &str) -> Metrics {
        let mut samples: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (series, value) = match line.rsplit_once(char::is_whitespace) {
                Some(x) => x,
                None => continue,
            };
            let Ok(value) = value.parse::<f64>() else { continue };
            let series = series.trim();
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, parse_labels(rest.trim_end_matches('}'))),
                None => (series, BTreeMap::new()),
            };
            samples.entry(name.to_string()).or_default().push((labels, value));
        }
        Metrics { samples }
    }

    /// Sum per `shard` label of one metric.
    pub fn per_shard(&self, name: &str) -> BTreeMap<usize, f64> {
        let mut out = BTreeMap::new();
        for (labels, value) in self.samples.get(name).into_iter().flatten() {
            if let Some(shard) = labels.get("shard").and_then(|s| s.parse().ok()) {
                *out.entry(shard).or_insert(0.0) += value;
            }
        }
        out
    }

    /// Sum of all series of one metric (0 if absent).
    pub fn total(&self, name: &str) -> f64 {
        self.samples.get(name).into_iter().flatten().map(|(_, v)| v).sum()
    }

    pub fn has(&self, name: &str) -> bool {
        self.samples.contains_key(name)
    }
}

fn parse_labels(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in s.split(',') {
        if let Some((k, v)) = pair.split_once('=') {
            out.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_text() {
        let m = Metrics::parse(
            "# HELP x y\n# TYPE percore_cql_requests_total counter\n\
             percore_cql_requests_total{shard=\"0\"} 3\n\
             percore_cql_requests_total{shard=\"1\"} 4.5\n\
             process_cpu_seconds_total 1.25\n",
        );
        assert_eq!(m.per_shard("percore_cql_requests_total"), BTreeMap::from([(0, 3.0), (1, 4.5)]));
        assert_eq!(m.total("process_cpu_seconds_total"), 1.25);
        assert_eq!(m.total("absent"), 0.0);
    }

    #[test]
    fn dechunks() {
        assert_eq!(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap(), "abcde");
    }

    #[test]
    fn free_ports_are_distinct() {
        let p = free_ports(3).unwrap();
        assert!(p[0] != p[1] && p[1] != p[2] && p[0] != p[2]);
    }
}
