//! Self-contained HTML rendering of an `impulse demo` report.
//!
//! The page needs no server and no network: CSS is inline and every chart is
//! an inline SVG generated here. Missing or malformed fields render as "–" or
//! as a short "no data" note; nothing in this module panics on bad input.

use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;

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

const CSS: &str = r#"
:root{--ok:#1a7f37;--bad:#cf222e;--muted:#6e7781;--line:#e5e9ee} *{box-sizing:border-box}
body{margin:0;background:#f1f3f6;color:#1f2328;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:1360px;margin:0 auto;padding:20px 24px} h1{font-size:26px;margin:0 0 4px} h2{font-size:18px;margin:0 0 12px}
section{background:#fff;border:1px solid #d8dee4;border-radius:10px;padding:16px 20px;margin:14px 0} h2.sub{margin-top:18px}
.summary{color:#57606a} .summary b{color:#1f2328;font-weight:600}
.badge{display:inline-block;margin-top:12px;padding:9px 18px;border-radius:8px;font-size:18px;font-weight:700;color:#fff}
.badge ul{margin:6px 0 0;font-size:14px;font-weight:400} .ok{background:var(--ok)} .bad{background:var(--bad)} .neutral{background:var(--muted)}
.scroll-x{overflow-x:auto} table{border-collapse:collapse;width:100%;font-size:13px} tbody tr:nth-child(even){background:#fafbfc}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap} th{background:#f6f8fa;font-weight:600;color:#424a53}
.n{text-align:right;font-variant-numeric:tabular-nums} td.w{white-space:normal;min-width:110px} code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;color:#fff}
.good{color:var(--ok);font-weight:600} .red{color:var(--bad);font-weight:600} .dim{color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px} .scroll-x+.charts{margin-top:14px}
figure.chart{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px 12px} figcaption{font-weight:600;margin-bottom:2px}
figure.chart svg{display:block;width:100%;height:auto} svg text{font-size:11px;fill:#57606a} svg .lbl{font-size:12px;fill:#24292f}
svg .note{font-size:12px;font-weight:700;fill:#24292f} svg .axis{stroke:#8c959f} svg .gl{stroke:#edf0f3}
.legend{display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12px;margin-top:4px}
.sw{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:5px;vertical-align:-1px} .nodata{color:var(--muted);font-style:italic;margin:6px 0}
.narr{max-height:420px;overflow-y:auto;margin:0;padding:8px 10px 8px 46px;border:1px solid var(--line);border-radius:8px;background:#fafbfc;font-size:13px}
.narr li{padding:2px 0} .narr .h,.narr .s{display:inline-block;min-width:64px;font-variant-numeric:tabular-nums} .narr .h{color:#0969da} .narr .s{color:var(--muted)}
"#;

/// Renders a demo `report.json` value as a complete, self-contained HTML5
/// document (inline CSS and SVG charts; works from `file://`).
///
/// Every field is optional: absent or malformed data shows as "–" or as a
/// "no data" note instead of failing.
pub fn render(report: &Value) -> String {
    let names = provider_order(report);
    let mut out = String::with_capacity(64 * 1024);
    put!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Impulse demo report — {}</title><style>{CSS}</style></head><body><main>\n",
        txt(&report["scenario"]["name"])
    );
    header(&mut out, report);
    jobs_section(&mut out, report);
    samples_section(&mut out, report, &names);
    epochs_section(&mut out, report);
    providers_section(&mut out, report, &names);
    narration_section(&mut out, report);
    out.push_str("</main></body></html>\n");
    out
}

/// Escapes text for use in HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Raw display text of a JSON value; "–" when missing, null or empty.
fn raw(v: &Value) -> String {
    match v {
        Value::Null => "–".to_string(),
        Value::String(s) if s.is_empty() => "–".to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => (if *b { "yes" } else { "no" }).to_string(),
        Value::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(x) if x.abs() >= 1e-3 => {
                let s = format!("{x:.6}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Escaped display text of a JSON value; "–" when missing, null or empty.
fn txt(v: &Value) -> String {
    esc(&raw(v))
}

/// "a → b" for before/after pairs; a single "–" when both are missing.
fn arrow(a: &Value, b: &Value) -> String {
    if a.is_null() && b.is_null() {
        return "–".to_string();
    }
    format!("{} → {}", txt(a), txt(b))
}

/// "a → b", green when the value moved the good way, red when the bad way.
fn trend(a: &Value, b: &Value, higher_is_better: bool) -> String {
    let class = match (num(a), num(b)) {
        (Some(a), Some(b)) if a != b && (b > a) == higher_is_better => "good",
        (Some(a), Some(b)) if a != b => "red",
        _ => "",
    };
    format!("<span class=\"{class}\">{}</span>", arrow(a, b))
}

/// A JSON number or numeric string as a plottable `f64`.
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|x| usable(*x))
}

/// Finite and far enough from `f64::MAX` that axis arithmetic stays finite.
fn usable(x: f64) -> bool {
    x.is_finite() && x.abs() < 1e290
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// Escaped, comma-separated display texts of an array's items, or "–".
fn list(v: &Value, f: impl Fn(&Value) -> String) -> String {
    let items: Vec<String> = arr(v).iter().map(f).collect();
    if items.is_empty() {
        "–".to_string()
    } else {
        items.join(", ")
    }
}

/// Shortens long addresses to `wasm1abcde…wxyz`.
fn short(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 16 {
        return s.to_string();
    }
    let head: String = chars[..10].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Provider names in a stable order (providers list, then any extra names in
/// `samples`); the index into this list picks the provider's colour.
fn provider_order(report: &Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let listed = arr(&report["providers"]).iter().map(|p| &p["name"]);
    let sampled = arr(&report["samples"]).iter().map(|s| &s["provider"]);
    for name in listed.chain(sampled).filter_map(Value::as_str) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

fn swatch(c: &str) -> String {
    format!("<span class=\"sw\" style=\"background:{c}\"></span>")
}

/// A table; `head` is `|`-separated, a leading `#` marks a right-aligned
/// numeric column and `~` a column whose cells may wrap. Cells are inserted
/// as is (already escaped HTML).
fn table(head: &str, rows: &[Vec<String>]) -> String {
    let cols: Vec<(&str, &str)> = head
        .split('|')
        .map(|c| {
            let numeric = c.strip_prefix('#').map(|l| (" class=\"n\"", l));
            let wraps = || c.strip_prefix('~').map(|l| (" class=\"w\"", l));
            numeric.or_else(wraps).unwrap_or(("", c))
        })
        .collect();
    let mut s = String::from("<div class=\"scroll-x\"><table><thead><tr>");
    for (class, label) in &cols {
        put!(s, "<th{class}>{}</th>", esc(label));
    }
    s.push_str("</tr></thead><tbody>\n");
    for row in rows {
        s.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = cols.get(i).map_or("", |c| c.0);
            put!(s, "<td{class}>{cell}</td>");
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table></div>\n");
    s
}

/// Opens a section; returns `None` (after a "no data" note) when `items` is empty.
fn section<'a>(out: &mut String, title: &str, items: &'a [Value]) -> Option<&'a [Value]> {
    put!(out, "<section><h2>{title}</h2>");
    if items.is_empty() {
        put!(out, "<p class=\"nodata\">no data</p></section>\n");
        return None;
    }
    Some(items)
}

fn header(out: &mut String, r: &Value) {
    let chain = &r["chain"];
    let blocks = match (num(&chain["start_height"]), num(&chain["end_height"])) {
        (Some(a), Some(b)) => format!(" ({} blocks)", b - a),
        _ => String::new(),
    };
    let wall = num(&r["wall_secs"]).map_or("–".to_string(), |s| format!("{s:.1} s"));
    put!(
        out,
        "<section><h1>Impulse demo report — scenario {}</h1><div class=\"summary\">\
         chain <b>{}</b> · id <b>{}</b> · blocks <b>{}</b>{blocks} · wall time <b>{wall}</b> \
         · seed {} · impulse {}</div>\n",
        txt(&r["scenario"]["name"]),
        txt(&chain["kind"]),
        txt(&chain["chain_id"]),
        arrow(&chain["start_height"], &chain["end_height"]),
        txt(&r["scenario"]["seed"]),
        txt(&r["impulse_version"]),
    );
    let inv = &r["invariant"];
    let violations = arr(&inv["violations"]);
    let checks = txt(&inv["checks"]);
    match inv["held"].as_bool() {
        Some(true) if violations.is_empty() => put!(
            out,
            "<div class=\"badge ok\">✔ conservation invariant held ({checks} checks)</div>"
        ),
        Some(_) => {
            put!(
                out,
                "<div class=\"badge bad\">✘ conservation invariant VIOLATED ({checks} checks)<ul>"
            );
            for v in violations {
                put!(out, "<li>{}</li>", txt(v));
            }
            out.push_str("</ul></div>");
        }
        None => out.push_str("<div class=\"badge neutral\">conservation invariant: –</div>"),
    }
    out.push_str("</section>\n");
}

fn jobs_section(out: &mut String, r: &Value) {
    let Some(jobs) = section(out, "Jobs", arr(&r["jobs"])) else {
        return;
    };
    let by_addr: HashMap<&str, &str> = arr(&r["providers"])
        .iter()
        .filter_map(|p| Some((p["address"].as_str()?, p["name"].as_str()?)))
        .collect();
    let who = |p: &Value| match p.as_str() {
        Some(a) => esc(by_addr.get(a).map_or(short(a), |n| n.to_string()).as_str()),
        None => txt(p),
    };
    let count = |v: &Value| {
        v.as_array()
            .map_or("–".to_string(), |a| a.len().to_string())
    };
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            let status = raw(&j["status"]);
            let pill = match status.as_str() {
                "settled" => "ok",
                "failed" | "expired" => "bad",
                _ => "neutral",
            };
            let hash = j["final_model_hash"].as_str().unwrap_or("");
            let mark = match j["model_hash_matches"].as_bool() {
                Some(true) => " <span class=\"good\" title=\"matches committed hash\">✓</span>",
                Some(false) => {
                    " <span class=\"red\" title=\"differs from committed hash\">✗</span>"
                }
                None => "",
            };
            let head: String = hash.chars().take(12).collect();
            let loss = &j["held_out_loss"];
            vec![
                txt(&j["id"]),
                txt(&j["name"]),
                format!("<span class=\"pill {pill}\">{}</span>", esc(&status)),
                txt(&j["attempts"]),
                list(&j["provers"], who),
                count(&j["committee"]),
                format!(
                    "<span title=\"steps {}\">{}</span>",
                    list(&j["challenged_steps"], txt),
                    count(&j["challenged_steps"])
                ),
                txt(&j["paid_prover"]),
                txt(&j["paid_verifiers"]),
                txt(&j["fees"]),
                txt(&j["refunded"]),
                if hash.is_empty() {
                    "–".to_string()
                } else {
                    format!("<code title=\"{}\">{}</code>{mark}", esc(hash), esc(&head))
                },
                trend(&loss["base"], &loss["trained"], false),
            ]
        })
        .collect();
    out.push_str(&table(
        "#ID|~Name|Status|#Attempts|~Provers|#Committee|#Challenged|#Paid prover|#Paid verifiers|#Fees|#Refunded|Model hash|Held-out loss",
        &rows,
    ));
    out.push_str("<h2 class=\"sub\">Loss per job</h2><div class=\"charts\">");
    for j in jobs {
        // One series per attempt, in order of first appearance.
        let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for p in arr(&j["loss_curve"]) {
            let key = p["attempt"].to_string();
            let i = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                keys.push(key);
                let label = format!("attempt {} ({})", raw(&p["attempt"]), raw(&p["prover"]));
                series.push((label, Vec::new()));
                series.len() - 1
            });
            if let (Some(x), Some(y)) = (num(&p["step"]), num(&p["loss"])) {
                series[i].1.push((x, y));
            }
        }
        let title = format!("job {} · {}", raw(&j["id"]), raw(&j["name"]));
        out.push_str(&line_chart(&title, &series, "step", "loss"));
    }
    out.push_str("</div></section>\n");
}

fn samples_section(out: &mut String, r: &Value, names: &[String]) {
    let mut stake: Vec<(String, Vec<(f64, f64)>)> =
        names.iter().map(|n| (n.clone(), Vec::new())).collect();
    let mut rep = stake.clone();
    for s in arr(&r["samples"]) {
        let (Some(name), Some(h)) = (s["provider"].as_str(), num(&s["height"])) else {
            continue;
        };
        let Some(i) = names.iter().position(|n| n == name) else {
            continue;
        };
        if let Some(v) = num(&s["stake"]) {
            stake[i].1.push((h, v));
        }
        if let Some(v) = num(&s["reputation"]) {
            rep[i].1.push((h, v));
        }
    }
    let max = stake
        .iter()
        .flat_map(|s| &s.1)
        .fold(0.0_f64, |m, p| m.max(p.1.abs()));
    let (div, unit) = scale(max);
    stake
        .iter_mut()
        .flat_map(|s| &mut s.1)
        .for_each(|p| p.1 /= div);
    put!(
        out,
        "<section><h2>Providers over blocks</h2><div class=\"charts\">{}{}</div></section>\n",
        line_chart(
            "Stake per provider over blocks",
            &stake,
            "block height",
            &format!("stake{unit}")
        ),
        line_chart(
            "Reputation per provider over blocks",
            &rep,
            "block height",
            "reputation"
        ),
    );
}

/// Divisor and axis-label suffix (e.g. " (×10⁹)") for large token amounts.
fn scale(max: f64) -> (f64, String) {
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

fn epochs_section(out: &mut String, r: &Value) {
    let Some(epochs) = section(out, "Epochs", arr(&r["epochs"])) else {
        return;
    };
    let mut kpis: Vec<&String> = Vec::new();
    for k in epochs
        .iter()
        .filter_map(|e| e["kpis"].as_object())
        .flat_map(|m| m.keys())
    {
        if !kpis.contains(&k) {
            kpis.push(k);
        }
    }
    let mut head = String::from("#Epoch|Blocks|#Issuance|#Multiplier");
    for k in &kpis {
        put!(head, "|#{}", k.replace('_', " ").replace('|', "/"));
    }
    head.push_str("|#Fees in|#Jobs settled|#Jobs failed");
    let rows: Vec<Vec<String>> = epochs
        .iter()
        .map(|e| {
            let mut row = vec![
                txt(&e["epoch"]),
                arrow(&e["start_height"], &e["end_height"]),
                txt(&e["issuance"]),
                txt(&e["multiplier"]),
            ];
            row.extend(kpis.iter().map(|k| txt(&e["kpis"][k.as_str()])));
            row.extend([
                txt(&e["fees_in"]),
                txt(&e["jobs_settled"]),
                txt(&e["jobs_failed"]),
            ]);
            row
        })
        .collect();
    out.push_str(&table(&head, &rows));
    let max = epochs
        .iter()
        .filter_map(|e| num(&e["issuance"]))
        .fold(0.0, f64::max);
    let (div, unit) = scale(max);
    let bars: Vec<Bar> = epochs
        .iter()
        .filter_map(|e| {
            Some(Bar {
                value: num(&e["issuance"])? / div,
                label: raw(&e["epoch"]),
                note: format!("×{}", raw(&e["multiplier"])),
                tip: format!(
                    "epoch {}: issuance {}",
                    raw(&e["epoch"]),
                    raw(&e["issuance"])
                ),
            })
        })
        .collect();
    put!(
        out,
        "<div class=\"charts\">{}</div></section>\n",
        bar_chart(
            "Issuance per epoch (label: multiplier)",
            &bars,
            "epoch",
            &format!("issuance{unit}")
        )
    );
}

fn providers_section(out: &mut String, r: &Value, names: &[String]) {
    let Some(providers) = section(out, "Providers", arr(&r["providers"])) else {
        return;
    };
    let rows: Vec<Vec<String>> = providers
        .iter()
        .map(|p| {
            let slot = p["name"]
                .as_str()
                .and_then(|n| names.iter().position(|m| m == n));
            let slashed = if num(&p["slashed"]).is_some_and(|s| s > 0.0) {
                "red"
            } else {
                ""
            };
            vec![
                slot.map_or(String::new(), |i| swatch(colour(i))) + &txt(&p["name"]),
                txt(&p["behaviour"]),
                list(&p["roles"], txt),
                trend(&p["stake_before"], &p["stake_after"], true),
                format!("<span class=\"{slashed}\">{}</span>", txt(&p["slashed"])),
                match p["banned"].as_bool() {
                    Some(true) => "<span class=\"red\">banned</span>".to_string(),
                    Some(false) => "<span class=\"dim\">no</span>".to_string(),
                    None => "–".to_string(),
                },
                trend(&p["reputation_before"], &p["reputation_after"], true),
                txt(&p["rewards_claimed"]),
            ]
        })
        .collect();
    out.push_str(&table(
        "Name|Behaviour|Roles|#Stake before → after|#Slashed|Banned|#Reputation before → after|#Rewards claimed",
        &rows,
    ));
    out.push_str("</section>\n");
}

fn narration_section(out: &mut String, r: &Value) {
    let Some(lines) = section(out, "Narration", arr(&r["narration"])) else {
        return;
    };
    out.push_str("<ol class=\"narr\">");
    for l in lines {
        let secs = num(&l["secs"]).map_or("–".to_string(), |s| format!("{s:.1} s"));
        put!(
            out,
            "<li><span class=\"h\">#{}</span><span class=\"s\">{secs}</span>{}</li>\n",
            txt(&l["height"]),
            txt(&l["text"]),
        );
    }
    out.push_str("</ol></section>\n");
}

/// A linear axis with "nice" (1, 2, 5 × 10ⁿ) tick spacing; always `hi > lo`.
struct Axis {
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
fn line_chart(
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
struct Bar {
    label: String,
    value: f64,
    note: String,
    tip: String,
}

/// Vertical bar chart over categories, with `note` printed above each bar.
fn bar_chart(title: &str, bars: &[Bar], x_label: &str, y_label: &str) -> String {
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
    use serde_json::json;

    fn example() -> Value {
        json!({
            "impulse_version": "0.1.0",
            "scenario": {"name": "default", "seed": 7},
            "chain": {"kind": "embedded", "chain_id": "impulse-embedded", "start_height": 3, "end_height": 812},
            "wall_secs": 143.2,
            "invariant": {"held": true, "checks": 412, "violations": []},
            "jobs": [{
                "name": "tales-lora-a", "id": 1, "status": "settled", "attempts": 2,
                "provers": ["wasm1cheat...", "wasm1honest0..."], "challenged_steps": [4, 17],
                "committee": ["wasm1v1", "wasm1v2"], "paid_prover": "400", "paid_verifiers": "90",
                "fees": "20", "refunded": "999490", "final_model_hash": "ab12cd34ef56ab78",
                "model_hash_matches": true, "held_out_loss": {"base": 2.91, "trained": 2.65},
                "loss_curve": [
                    {"attempt": 1, "prover": "cheat", "step": 1, "loss": 3.1},
                    {"attempt": 1, "prover": "cheat", "step": 2, "loss": 2.9},
                    {"attempt": 2, "prover": "honest-0", "step": 1, "loss": 3.0}
                ]
            }],
            "providers": [
                {"name": "honest-0", "behaviour": "honest", "roles": ["prover"], "stake_before": "2000000000",
                 "stake_after": "2000000000", "reputation_before": "0", "reputation_after": "0.41",
                 "slashed": "0", "banned": false, "rewards_claimed": "12345"},
                {"name": "cheat", "behaviour": "cheater", "slashed": "500", "banned": true}
            ],
            "epochs": [{"epoch": 1, "start_height": 1, "end_height": 300, "issuance": "500000",
                        "multiplier": "0.8", "kpis": {"success_rate": "0.5"}, "fees_in": "40",
                        "jobs_settled": 1, "jobs_failed": 0}],
            "samples": [
                {"height": 10, "provider": "honest-0", "stake": "2000000000", "reputation": "0"},
                {"height": 20, "provider": "honest-0", "stake": "2000000000", "reputation": "0.2"},
                {"height": 20, "provider": "cheat", "stake": "1500000000", "reputation": "-1"}
            ],
            "narration": [{"height": 12, "secs": 1.4, "text": "job 1 assigned"}]
        })
    }

    fn assert_finite(html: &str) {
        for bad in ["NaN", "inf"] {
            assert!(!html.contains(bad), "output contains {bad}");
        }
    }

    #[test]
    fn example_renders_everything() {
        let html = render(&example());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<svg"));
        for needle in [
            "tales-lora-a",
            "honest-0",
            "cheat",
            ">1<",
            "held (412 checks)",
            "×0.8",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
        assert!(html.contains("ab12cd34ef56</code>"));
        assert_finite(&html);
    }

    #[test]
    fn empty_and_odd_inputs_do_not_panic() {
        for v in [
            json!({}),
            json!(null),
            json!([1, 2]),
            json!({"jobs": [null, 3], "samples": {}}),
        ] {
            let html = render(&v);
            assert!(html.ends_with("</html>\n"));
        }
        let violated = render(&json!({"invariant": {"held": false, "violations": ["<x> leaked"]}}));
        assert!(violated.contains("VIOLATED") && violated.contains("&lt;x&gt; leaked"));
    }

    #[test]
    fn job_name_is_escaped() {
        let mut v = example();
        v["jobs"][0]["name"] = json!("<script>alert('x\"&')</script>");
        let html = render(&v);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&quot;&amp;&#39;)&lt;/script&gt;"));
    }

    #[test]
    fn constant_and_single_point_series_are_finite() {
        let mut v = example();
        v["jobs"][0]["loss_curve"] = json!([
            {"attempt": 1, "prover": "a", "step": 1, "loss": 2.0},
            {"attempt": 1, "prover": "a", "step": 2, "loss": 2.0},
            {"attempt": 2, "prover": "b", "step": 5, "loss": 2.0}
        ]);
        let html = render(&v);
        assert!(html.contains("<polyline"));
        assert_finite(&html);
        let single = vec![("s".to_string(), vec![(0.0, 0.0)])];
        assert_finite(&line_chart("one", &single, "x", "y"));
        let empty = vec![("s".to_string(), vec![(f64::NAN, f64::INFINITY)])];
        assert!(line_chart("none", &empty, "x", "y").contains("no data"));
    }

    #[test]
    fn axis_ticks_are_nice() {
        let a = Axis::new(3.0, 812.0, true);
        assert_eq!((a.lo, a.hi, a.step), (0.0, 1000.0, 200.0));
        assert_eq!(Axis::new(0.0, 0.41, true).label(0.2), "0.2");
        let c = Axis::new(5.0, 5.0, false);
        assert!(c.hi > c.lo && c.ticks().count() > 1);
    }
}
