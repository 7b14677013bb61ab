//! The report's charts: inline SVG, no script, nothing fetched. A line
//! chart over numeric axes with "nice" ticks, and a bar chart over
//! categories. All text passed in is raw and escaped here.

use std::fmt::Write as _;

use super::esc;

/// Appends formatted text to a `String` (writing to a `String` cannot fail).
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// Series colours (Tableau 10); series `i` always gets `PALETTE[i % 10]`.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// SVG geometry shared by all charts (viewBox units).
const W: f64 = 560.0;
const H: f64 = 300.0;
const ML: f64 = 66.0;
const MR: f64 = 18.0;
const MT: f64 = 18.0;
const MB: f64 = 46.0;

/// Finite and far enough from `f64::MAX` that axis arithmetic stays finite.
pub(super) fn usable(x: f64) -> bool {
    x.is_finite() && x.abs() < 1e290
}

pub(super) fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

pub(super) fn swatch(c: &str) -> String {
    format!("<span class=\"sw\" style=\"background:{c}\"></span>")
}

/// Divisor and axis-label suffix (e.g. " (×10⁹)") for large token amounts.
pub(super) fn scale(max: f64) -> (f64, String) {
    if max < 1e4 {
        return (1.0, String::new());
    }
    let exp = ((max.log10() / 3.0).floor() * 3.0) as i32;
    let sup: String = exp
        .to_string()
        .chars()
        .filter_map(|c| c.to_digit(10))
        .filter_map(|d| "⁰¹²³⁴⁵⁶⁷⁸⁹".chars().nth(d as usize))
        .collect();
    (10f64.powi(exp), format!(" (×10{sup})"))
}

/// A linear axis with "nice" (1, 2, 5 × 10ⁿ) tick spacing; always `hi > lo`.
pub(super) struct Axis {
    lo: f64,
    hi: f64,
    step: f64,
}

impl Axis {
    /// Axis over `[min, max]`; `snap` widens the range out to whole ticks.
    fn new(min: f64, max: f64, snap: bool) -> Axis {
        let (min, max) = if max - min > 1e-12 * max.abs().max(min.abs()) {
            (min, max)
        } else {
            let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
            (min - pad, max + pad)
        };
        let raw = (max - min) / 5.0;
        let mag = 10f64.powf(raw.log10().floor());
        // Round the raw step to the nearest of 1, 2, 5 or 10 times a power of ten.
        let nice = match raw / mag {
            f if f < 1.5 => 1.0,
            f if f < 3.5 => 2.0,
            f if f < 7.5 => 5.0,
            _ => 10.0,
        };
        let step = Some(nice * mag)
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(max - min);
        let (lo, hi) = match snap {
            true => ((min / step).floor() * step, (max / step).ceil() * step),
            false => (min, max),
        };
        match hi > lo {
            true => Axis { lo, hi, step },
            false => Axis {
                lo: min,
                hi: max,
                step: max - min,
            },
        }
    }

    /// Multiples of `step` within `[lo, hi]` (at most 21).
    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let first = (self.lo / self.step - 1e-9).ceil() * self.step;
        (0..=20)
            .map(move |i| first + f64::from(i) * self.step)
            .take_while(|v| *v <= self.hi + self.step * 1e-9)
    }

    /// Position of `v` along the axis, 0.0 at `lo` and 1.0 at `hi`.
    fn frac(&self, v: f64) -> f64 {
        (v - self.lo) / (self.hi - self.lo)
    }

    fn label(&self, v: f64) -> String {
        let decimals = (-self.step.log10().floor()).clamp(0.0, 6.0) as usize;
        let v = if v.abs() < self.step * 1e-9 { 0.0 } else { v };
        format!("{v:.decimals$}")
    }
}

fn px(x: &Axis, v: f64) -> f64 {
    ML + x.frac(v) * (W - ML - MR)
}

fn py(y: &Axis, v: f64) -> f64 {
    H - MB - y.frac(v) * (H - MT - MB)
}

/// Opens a chart figure and draws grid, axes, tick labels and axis titles
/// (all text raw). `x` is `None` for categorical x axes (the caller labels those).
fn frame(title: &str, x: Option<&Axis>, y: &Axis, x_label: &str, y_label: &str) -> String {
    let (t, b, r) = (esc(title), H - MB, W - MR);
    let mut s = format!(
        "<figure class=\"chart\"><figcaption>{t}</figcaption>\
         <svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{t}\">"
    );
    for v in y.ticks() {
        let (yy, label) = (py(y, v), y.label(v));
        put!(
            s,
            "<line class=\"gl\" x1=\"{ML}\" x2=\"{r}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            ML - 6.0,
            yy + 4.0
        );
    }
    for v in x
        .iter()
        .flat_map(|x| x.ticks().map(|v| (px(x, v), x.label(v))))
    {
        put!(
            s,
            "<line class=\"axis\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{b}\" y2=\"{1}\"/>\
             <text x=\"{0:.1}\" y=\"{2}\" text-anchor=\"middle\">{3}</text>",
            v.0,
            b + 5.0,
            b + 17.0,
            v.1
        );
    }
    put!(
        s,
        "<line class=\"axis\" x1=\"{ML}\" x2=\"{ML}\" y1=\"{MT}\" y2=\"{b}\"/>\
         <line class=\"axis\" x1=\"{ML}\" x2=\"{r}\" y1=\"{b}\" y2=\"{b}\"/>\
         <text class=\"lbl\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
         <text class=\"lbl\" transform=\"translate(14 {:.1}) rotate(-90)\" \
         text-anchor=\"middle\">{}</text>",
        (ML + r) / 2.0,
        H - 8.0,
        esc(x_label),
        (MT + b) / 2.0,
        esc(y_label),
    );
    s
}

fn no_data(title: &str) -> String {
    let t = esc(title);
    format!("<figure class=\"chart\"><figcaption>{t}</figcaption><p class=\"nodata\">no data</p></figure>")
}

/// Line chart with one line per series and a legend; all text is raw.
///
/// Series `i` is drawn in `colour(i)`, so passing series in a stable order
/// gives stable colours (empty series keep their slot but are not drawn).
/// Lines are dodged vertically by up to ±6 px so coinciding series stay visible
/// as adjacent stripes; hover titles carry the exact values.
pub(super) fn line_chart(
    title: &str,
    series: &[(String, Vec<(f64, f64)>)],
    x_label: &str,
    y_label: &str,
) -> String {
    let ok = |p: &&(f64, f64)| usable(p.0) && usable(p.1);
    let bounds = |f: fn(&(f64, f64)) -> f64| {
        let mut vals = series.iter().flat_map(|s| &s.1).filter(ok).map(f);
        let first = vals.next()?;
        Some(vals.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
    };
    let (Some((x0, x1)), Some((y0, y1))) = (bounds(|p| p.0), bounds(|p| p.1)) else {
        return no_data(title);
    };
    let pad = (y1 - y0) * 0.05;
    let (x, y) = (
        Axis::new(x0, x1, false),
        Axis::new(y0 - pad, y1 + pad, false),
    );
    let mut s = frame(title, Some(&x), &y, x_label, y_label);
    let mut legend = String::new();
    let gap = (12.0 / series.len().saturating_sub(1).max(1) as f64).min(2.0);
    for (i, (name, points)) in series.iter().enumerate() {
        let mut pts: Vec<(f64, f64)> = points.iter().filter(ok).copied().collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        if pts.is_empty() {
            continue;
        }
        let (c, name) = (colour(i), esc(name));
        let dy = (i as f64 - (series.len() - 1) as f64 / 2.0) * gap;
        let at = |p: &(f64, f64)| (px(&x, p.0), py(&y, p.1) + dy);
        let coords: Vec<String> = pts
            .iter()
            .map(at)
            .map(|(a, b)| format!("{a:.1},{b:.1}"))
            .collect();
        put!(
            s,
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" stroke-linejoin=\"round\" \
             points=\"{}\"><title>{name}</title></polyline>",
            coords.join(" ")
        );
        for p in pts.iter().filter(|_| pts.len() <= 60) {
            let (cx, cy) = at(p);
            let (xl, yl) = (esc(x_label), esc(y_label));
            put!(
                s,
                "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"2.8\" fill=\"{c}\">\
                 <title>{name}: {xl} {}, {yl} {}</title></circle>",
                p.0,
                p.1
            );
        }
        put!(legend, "<span>{}{name}</span>", swatch(c));
    }
    put!(s, "</svg><div class=\"legend\">{legend}</div></figure>");
    s
}

/// One bar of [`bar_chart`]; all text is raw (escaped when drawn).
pub(super) struct Bar {
    pub label: String,
    pub value: f64,
    pub note: String,
    pub tip: String,
}

/// Vertical bar chart over categories, with `note` printed above each bar.
pub(super) fn bar_chart(title: &str, bars: &[Bar], x_label: &str, y_label: &str) -> String {
    if bars.is_empty() {
        return no_data(title);
    }
    let lo = bars.iter().map(|b| b.value).fold(0.0, f64::min);
    let hi = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let y = Axis::new(lo, if hi > lo { hi } else { lo + 1.0 }, true);
    let mut s = frame(title, None, &y, x_label, y_label);
    let slot = (W - ML - MR) / bars.len() as f64;
    let width = (slot * 0.6).min(70.0);
    let every = bars.len().div_ceil(24);
    for (i, b) in bars.iter().enumerate() {
        let cx = ML + slot * (i as f64 + 0.5);
        let (y0, y1) = (py(&y, 0.0), py(&y, b.value));
        put!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{:.1}\" rx=\"2\" \
             fill=\"{}\"><title>{}</title></rect>\
             <text class=\"note\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            cx - width / 2.0,
            y0.min(y1),
            (y1 - y0).abs(),
            colour(0),
            esc(&b.tip),
            y0.min(y1) - 4.0,
            esc(&b.note)
        );
        if i % every == 0 {
            let (ly, label) = (H - MB + 17.0, esc(&b.label));
            put!(
                s,
                "<text x=\"{cx:.1}\" y=\"{ly}\" text-anchor=\"middle\">{label}</text>"
            );
        }
    }
    s.push_str("</svg></figure>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ticks_are_nice() {
        let a = Axis::new(3.0, 812.0, true);
        assert_eq!((a.lo, a.hi, a.step), (0.0, 1000.0, 200.0));
        assert_eq!(Axis::new(0.0, 0.41, true).label(0.2), "0.2");
        let c = Axis::new(5.0, 5.0, false);
        assert!(c.hi > c.lo && c.ticks().count() > 1);
    }

    #[test]
    fn single_point_and_unusable_series() {
        let single = vec![("s".to_string(), vec![(0.0, 0.0)])];
        let html = line_chart("one", &single, "x", "y");
        assert!(!html.contains("NaN") && !html.contains("inf"));
        let empty = vec![("s".to_string(), vec![(f64::NAN, f64::INFINITY)])];
        assert!(line_chart("none", &empty, "x", "y").contains("no data"));
    }
}
