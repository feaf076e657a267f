//! A hand-written SVG line chart: p50/p99/p99.9 latency (log scale) against
//! achieved throughput, for the `profile` report.

use std::fmt::Write as _;

/// One profile point: achieved op/s and latencies in ms.
#[derive(Clone, Copy, Debug)]
pub struct Point {
    pub ops: f64,
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
}

const W: f64 = 800.0;
const H: f64 = 480.0;
const L: f64 = 80.0; // left margin
const R: f64 = 150.0; // right margin (legend)
const T: f64 = 50.0;
const B: f64 = 60.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn nice_step(max: f64) -> f64 {
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag)
}

pub fn latency_chart(title: &str, points: &[Point]) -> String {
    let mut pts: Vec<Point> = points.iter().copied().filter(|p| p.ops.is_finite()).collect();
    pts.sort_by(|a, b| a.ops.total_cmp(&b.ops));
    let xmax = pts.iter().map(|p| p.ops).fold(1.0, f64::max) * 1.05;
    let lat = pts.iter().flat_map(|p| [p.p50, p.p99, p.p999]).filter(|v| *v > 0.0);
    let (lo, hi) = lat.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if hi <= 0.0 { (0.01, 10.0) } else { (lo, hi) };
    let (dlo, dhi) = (lo.log10().floor(), hi.log10().ceil().max(lo.log10().floor() + 1.0));
    let (pw, ph) = (W - L - R, H - T - B);
    let x = |v: f64| L + v / xmax * pw;
    let y = |v: f64| T + ph - (v.max(10f64.powf(dlo)).log10() - dlo) / (dhi - dlo) * ph;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">
<rect x="0" y="0" width="{W}" height="{H}" fill="white"/>
<text x="{}" y="25" text-anchor="middle" font-size="16">{}</text>"#,
        W / 2.0,
        esc(title)
    );
    // Y grid: decades and 2x/5x.
    let mut d = dlo as i32;
    while d < dhi as i32 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(d);
            let yy = y(v);
            let stroke = if m == 1.0 { "#bbb" } else { "#eee" };
            let _ = writeln!(s, r#"<line x1="{L}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="{stroke}"/>"#, L + pw);
            let _ =
                writeln!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#, L - 6.0, yy + 4.0, fmt_num(v));
        }
        d += 1;
    }
    let top = 10f64.powf(dhi);
    let _ =
        writeln!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#, L - 6.0, y(top) + 4.0, fmt_num(top));
    // X grid.
    let step = nice_step(xmax);
    let mut v = 0.0;
    while v <= xmax {
        let xx = x(v);
        let _ = writeln!(s, r##"<line x1="{xx:.1}" y1="{T}" x2="{xx:.1}" y2="{:.1}" stroke="#eee"/>"##, T + ph);
        let _ = writeln!(s, r#"<text x="{xx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#, T + ph + 18.0, fmt_num(v));
        v += step;
    }
    let _ = writeln!(
        s,
        r##"<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle">throughput (op/s)</text>
<text x="20" y="{:.1}" text-anchor="middle" transform="rotate(-90 20 {:.1})">latency (ms, log scale)</text>"##,
        L + pw / 2.0,
        H - 15.0,
        T + ph / 2.0,
        T + ph / 2.0
    );
    type Pick = fn(&Point) -> f64;
    let series: [(&str, &str, Pick); 3] =
        [("p50", "#1f77b4", |p| p.p50), ("p99", "#ff7f0e", |p| p.p99), ("p99.9", "#d62728", |p| p.p999)];
    for (i, (name, color, f)) in series.iter().enumerate() {
        let coords: Vec<String> = pts.iter().map(|p| format!("{:.1},{:.1}", x(p.ops), y(f(p)))).collect();
        let _ =
            writeln!(s, r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#, coords.join(" "));
        for p in &pts {
            let _ = writeln!(s, r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"#, x(p.ops), y(f(p)));
        }
        let ly = T + 20.0 + i as f64 * 20.0;
        let lx = L + pw + 20.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="2"/><text x="{}" y="{}">{name}</text>"#,
            lx + 25.0,
            lx + 32.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

fn fmt_num(v: f64) -> String {
    if v >= 1000.0 && (v / 1000.0).fract() == 0.0 {
        format!("{}k", v / 1000.0)
    } else if v >= 1.0 {
        format!("{v}")
    } else {
        format!("{v:.3}").trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_well_formed() {
        let pts = [
            Point { ops: 1000.0, p50: 0.2, p99: 0.5, p999: 1.0 },
            Point { ops: 5000.0, p50: 0.25, p99: 0.9, p999: 3.0 },
            Point { ops: 9000.0, p50: 0.4, p99: 4.0, p999: 20.0 },
        ];
        let s = latency_chart("write <profile> & co", &pts);
        assert!(s.starts_with("<?xml"));
        assert!(s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("<polyline").count(), 3);
        assert!(s.contains("write &lt;profile&gt; &amp; co"));
        assert!(!s.contains("NaN") && !s.contains("inf"));
        // Every opened element is closed (self-closing or paired).
        for tag in ["svg", "text"] {
            assert_eq!(s.matches(&format!("<{tag} ")).count(), s.matches(&format!("</{tag}>")).count(), "{tag}");
        }
        // Degenerate input still yields a document.
        let e = latency_chart("empty", &[]);
        assert!(e.contains("</svg>") && !e.contains("NaN"));
    }
}
