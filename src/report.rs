//! The HTML report (`seedchip report`, `seedchip demo`): one self-contained page, its plots
//! inline SVG.
//!
//! The plots are written here rather than with a plotting crate: the page must stay one small
//! file with no script or font dependencies, and every data mark carries `class="mark"` (and
//! its plot `data-points`) so a test in headless Chromium can check that each plot rendered
//! every point; plotters' SVG backend writes unlabelled shapes.

use std::fmt::Write as _;

/// One bar of a bar chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as printed beside the bar.
    pub text: String,
}

/// One point of a line chart (x categorical).
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub x: String,
    pub y: f64,
}

/// A plot on the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Plot {
    Bars {
        id: &'static str,
        title: String,
        bars: Vec<Bar>,
    },
    Lines {
        id: &'static str,
        title: String,
        y_label: String,
        series: Vec<(String, Vec<Point>)>,
    },
}

/// The page: a title, headline figures, the plots, notes.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub title: String,
    pub figures: Vec<(String, String)>,
    pub plots: Vec<Plot>,
    /// Free text under the plots (configuration, how figures were measured).
    pub notes: Vec<String>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const COLOURS: [&str; 4] = ["#2f6db5", "#d9822b", "#3a9a5b", "#a8459b"];

fn bars_svg(id: &str, bars: &[Bar]) -> String {
    let (label_w, bar_w, row_h) = (300.0, 380.0, 24.0);
    let h = 10.0 + row_h * bars.len() as f64;
    let max = bars.iter().map(|b| b.value).fold(0.0f64, f64::max);
    let mut s = format!(
        r#"<svg class="plot" id="{id}" data-points="{}" width="{}" height="{h}" viewBox="0 0 {} {h}" role="img">"#,
        bars.len(),
        label_w + bar_w + 190.0,
        label_w + bar_w + 190.0
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        // A zero value still draws a hairline, so every point is visible.
        let w = if max > 0.0 {
            (b.value / max * bar_w).max(1.0)
        } else {
            1.0
        };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end" class="label">{}</text><rect class="mark" x="{label_w}" y="{}" width="{w:.1}" height="{}" fill="{}"><title>{}: {}</title></rect><text x="{}" y="{}" class="value">{}</text>"#,
            label_w - 8.0,
            y + 16.0,
            esc(&b.label),
            y + 3.0,
            row_h - 6.0,
            COLOURS[0],
            esc(&b.label),
            esc(&b.text),
            label_w + w + 6.0,
            y + 16.0,
            esc(&b.text)
        );
    }
    s.push_str("</svg>");
    s
}

fn lines_svg(id: &str, y_label: &str, series: &[(String, Vec<Point>)]) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 300.0, 70.0, 20.0, 20.0, 50.0);
    let xs: Vec<&str> = {
        let mut xs: Vec<&str> = Vec::new();
        for (_, pts) in series {
            for p in pts {
                if !xs.contains(&p.x.as_str()) {
                    xs.push(&p.x);
                }
            }
        }
        xs
    };
    let max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|p| p.y))
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE)
        * 1.1;
    let n = xs.len().max(1) as f64;
    let x_at = |x: &str| {
        let i = xs.iter().position(|v| *v == x).unwrap_or(0) as f64;
        left + (w - left - right) * (i + 0.5) / n
    };
    let y_at = |y: f64| top + (h - top - bottom) * (1.0 - y / max);
    let points: usize = series.iter().map(|(_, p)| p.len()).sum();
    let mut s = format!(
        r#"<svg class="plot" id="{id}" data-points="{points}" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">"#
    );
    // Axes, ticks at 0, max/2, max.
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="#444"/><line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#444"/>"##,
        h - bottom,
        h - bottom,
        w - right,
        h - bottom
    );
    for f in [0.0, 0.5, 1.0] {
        let v = max / 1.1 * f;
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end" class="tick">{}</text>"#,
            left - 6.0,
            y_at(v) + 4.0,
            fmt_num(v)
        );
    }
    let _ = write!(
        s,
        r#"<text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle" class="label">{}</text>"#,
        h / 2.0,
        h / 2.0,
        esc(y_label)
    );
    for x in &xs {
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" class="tick">{}</text>"#,
            x_at(x),
            h - bottom + 18.0,
            esc(x)
        );
    }
    for (k, (name, pts)) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let path: Vec<String> = pts
            .iter()
            .map(|p| format!("{:.1},{:.1}", x_at(&p.x), y_at(p.y)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        for p in pts {
            let _ = write!(
                s,
                r#"<circle class="mark" cx="{:.1}" cy="{:.1}" r="5" fill="{colour}"><title>{} at {}: {}</title></circle>"#,
                x_at(&p.x),
                y_at(p.y),
                esc(name),
                esc(&p.x),
                fmt_num(p.y)
            );
        }
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="12" height="12" fill="{colour}"/><text x="{}" y="{}" class="label">{}</text>"#,
            left + 10.0 + 170.0 * k as f64,
            h - 20.0,
            left + 28.0 + 170.0 * k as f64,
            h - 10.0,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// A number in at most four significant digits.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// The whole page.
pub fn html(page: &Page) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 980px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 10px; text-align: left; }}
svg .label, svg .value, svg .tick {{ font-size: 12px; fill: #222; }}
figure {{ margin: 1.5em 0; }} figcaption {{ font-weight: bold; margin-bottom: .4em; }}
pre {{ background: #f4f4f4; padding: .8em; overflow-x: auto; }}
</style></head><body>
<h1>{title}</h1>
<table>"#,
        title = esc(&page.title)
    );
    for (k, v) in &page.figures {
        let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    s.push_str("</table>\n");
    for p in &page.plots {
        let (title, svg) = match p {
            Plot::Bars { id, title, bars } => (title, bars_svg(id, bars)),
            Plot::Lines {
                id,
                title,
                y_label,
                series,
            } => (title, lines_svg(id, y_label, series)),
        };
        let _ = writeln!(
            s,
            "<figure><figcaption>{}</figcaption>{svg}</figure>",
            esc(title)
        );
    }
    for n in &page.notes {
        let _ = writeln!(s, "<pre>{}</pre>", esc(n));
    }
    // Marks each plot with how many of its points the browser laid out (a nonzero box): the
    // test in headless Chromium reads it back from the DOM.
    s.push_str(
        r#"<script>
for (const svg of document.querySelectorAll("svg.plot")) {
  let drawn = 0;
  for (const m of svg.querySelectorAll(".mark")) {
    const b = m.getBBox();
    if (b.width > 0 && b.height > 0) drawn += 1;
  }
  svg.setAttribute("data-rendered", String(drawn));
}
</script>
</body></html>
"#,
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_carry_their_point_counts_and_escape_text() {
        let page = Page {
            title: "a <b>".into(),
            figures: vec![("k".into(), "v&w".into())],
            plots: vec![
                Plot::Bars {
                    id: "bars",
                    title: "t".into(),
                    bars: vec![
                        Bar {
                            label: "x".into(),
                            value: 2.0,
                            text: "2".into(),
                        },
                        Bar {
                            label: "y".into(),
                            value: 0.0,
                            text: "0".into(),
                        },
                    ],
                },
                Plot::Lines {
                    id: "lines",
                    title: "l".into(),
                    y_label: "mm2".into(),
                    series: vec![(
                        "s".into(),
                        vec![
                            Point {
                                x: "4x4".into(),
                                y: 1.0,
                            },
                            Point {
                                x: "8x8".into(),
                                y: 3.0,
                            },
                        ],
                    )],
                },
            ],
            notes: vec![],
        };
        let h = html(&page);
        assert!(h.contains(r#"id="bars" data-points="2""#));
        assert!(h.contains(r#"id="lines" data-points="2""#));
        assert_eq!(h.matches(r#"class="mark""#).count(), 4);
        assert!(h.contains("a &lt;b&gt;") && h.contains("v&amp;w"));
    }
}
