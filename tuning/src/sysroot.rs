//! Reads `/proc` and `/sys` under a configurable root, so probes run on fake trees in tests.

use std::fs;
use std::path::{Path, PathBuf};

/// The directory that stands for `/` when reading kernel files (`/` on a live host).
#[derive(Debug, Clone)]
pub struct SysRoot {
    root: PathBuf,
}

impl SysRoot {
    /// A root at `root` (use `/` for the live host).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The real path of an absolute host path such as `/proc/sys/vm/swappiness`.
    pub fn path(&self, host_path: &str) -> PathBuf {
        self.root.join(host_path.trim_start_matches('/'))
    }

    /// File contents with surrounding whitespace trimmed, or `None` when absent or unreadable.
    pub fn read(&self, host_path: &str) -> Option<String> {
        read_trimmed(&self.path(host_path))
    }

    /// A file holding one unsigned integer.
    pub fn read_u64(&self, host_path: &str) -> Option<u64> {
        self.read(host_path)?.parse().ok()
    }

    /// Entry names of a directory, sorted; empty when absent.
    pub fn list(&self, host_path: &str) -> Vec<String> {
        list_dir(&self.path(host_path))
    }
}

/// File contents trimmed, or `None`.
pub fn read_trimmed(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

/// Sorted entry names of a directory; empty when absent.
pub fn list_dir(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(path) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// The bracketed choice of a sysfs selector such as `none [mq-deadline] kyber`.
pub fn selected(choices: &str) -> Option<&str> {
    let start = choices.find('[')?;
    let end = choices[start..].find(']')? + start;
    Some(&choices[start + 1..end])
}

/// Every choice of a sysfs selector, brackets removed.
pub fn choices(choices: &str) -> Vec<String> {
    choices.split_whitespace().map(|c| c.trim_matches(|ch| ch == '[' || ch == ']').to_string()).collect()
}

/// Number of CPUs in a kernel cpu list such as `0-3,8,10-11`.
pub fn count_cpu_list(list: &str) -> Option<usize> {
    let mut n = 0;
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
                n += b.checked_sub(a)? + 1;
            }
            None => {
                part.parse::<usize>().ok()?;
                n += 1;
            }
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_parsing() {
        assert_eq!(selected("none [mq-deadline] kyber bfq"), Some("mq-deadline"));
        assert_eq!(selected("always [madvise] never"), Some("madvise"));
        assert_eq!(selected("tsc"), None);
        assert_eq!(choices("none [mq-deadline] kyber"), vec!["none", "mq-deadline", "kyber"]);
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(count_cpu_list("0-1"), Some(2));
        assert_eq!(count_cpu_list("0"), Some(1));
        assert_eq!(count_cpu_list("0-3,8,10-11\n"), Some(7));
        assert_eq!(count_cpu_list("x"), None);
    }

    #[test]
    fn rooted_paths() {
        let r = SysRoot::new("/tmp/fake");
        assert_eq!(r.path("/proc/sys/vm/swappiness"), PathBuf::from("/tmp/fake/proc/sys/vm/swappiness"));
    }
}
