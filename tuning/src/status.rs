//! Check outcomes (ok / warn / critical), the exit code they map to, and their rendering.

use serde::Serialize;

/// Severity of one finding; ordered so the worst is the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Critical,
}

impl Status {
    /// Process exit code for a run whose worst finding is `self`.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::Warn => 1,
            Status::Critical => 2,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "WARN",
            Status::Critical => "CRITICAL",
        }
    }
}

/// One checked item: what was seen and, when not ok, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Short stable name such as `io_uring` or `block.scheduler`.
    pub check: String,
    pub status: Status,
    /// What was observed, human readable.
    pub detail: String,
    /// The fix, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    pub fn ok(check: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { check: check.into(), status: Status::Ok, detail: detail.into(), fix: None }
    }

    pub fn warn(check: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { check: check.into(), status: Status::Warn, detail: detail.into(), fix: Some(fix.into()) }
    }

    pub fn critical(check: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { check: check.into(), status: Status::Critical, detail: detail.into(), fix: Some(fix.into()) }
    }
}

/// Worst status of a set of findings (`Ok` when empty).
pub fn worst(findings: &[Finding]) -> Status {
    findings.iter().map(|f| f.status).max().unwrap_or(Status::Ok)
}

/// Exit code of `check`: 0 all ok, 1 warnings only, 2 anything critical.
pub fn exit_code(findings: &[Finding]) -> i32 {
    worst(findings).exit_code()
}

/// Machine-readable report.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    pub status: Status,
    pub exit_code: i32,
    pub findings: &'a [Finding],
}

/// Findings as a JSON document.
pub fn render_json(findings: &[Finding]) -> String {
    let report = JsonReport { status: worst(findings), exit_code: exit_code(findings), findings };
    serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Findings as an aligned text table, fixes on indented lines below.
pub fn render_text(findings: &[Finding]) -> String {
    let width = findings.iter().map(|f| f.check.len()).max().unwrap_or(0);
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!("{:<8} {:<width$}  {}\n", f.status.label(), f.check, f.detail));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("{:<8} {:<width$}  fix: {}\n", "", "", fix));
        }
    }
    let w = worst(findings);
    out.push_str(&format!("\noverall: {} (exit code {})\n", w.label(), w.exit_code()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_worst_finding() {
        assert_eq!(exit_code(&[]), 0);
        let ok = Finding::ok("a", "fine");
        let warn = Finding::warn("b", "meh", "do x");
        let crit = Finding::critical("c", "bad", "do y");
        assert_eq!(exit_code(std::slice::from_ref(&ok)), 0);
        assert_eq!(exit_code(&[ok.clone(), warn.clone()]), 1);
        assert_eq!(exit_code(&[warn.clone(), crit.clone(), ok.clone()]), 2);
        assert_eq!(exit_code(&[crit, warn]), 2);
    }

    #[test]
    fn json_and_text_rendering() {
        let findings =
            [Finding::ok("io_uring", "available"), Finding::warn("vm.swappiness", "60", "sysctl -w vm.swappiness=1")];
        let json: serde_json::Value = serde_json::from_str(&render_json(&findings)).unwrap();
        assert_eq!(json["exit_code"], 1);
        assert_eq!(json["status"], "warn");
        assert_eq!(json["findings"][1]["fix"], "sysctl -w vm.swappiness=1");
        assert!(json["findings"][0].get("fix").is_none());
        let text = render_text(&findings);
        assert!(text.contains("WARN     vm.swappiness  60"));
        assert!(text.contains("fix: sysctl -w vm.swappiness=1"));
        assert!(text.contains("overall: WARN (exit code 1)"));
    }
}
