//! The demo report as one self-contained HTML page: inline CSS and SVG
//! charts (`chart.rs`), no script, nothing fetched, so it opens from
//! `file://`. Amounts show in IMP, scores to three digits; `report.json`
//! keeps the raw values.

mod chart;

use std::fmt::Write as _;

use cosmwasm_std::{Decimal, Uint128};
use impulse_types::marketplace::JobState;

use crate::amount::{imp, score, UIMP_PER_IMP};
use crate::report::{JobReport, Report};
use chart::{bar_chart, colour, line_chart, scale, swatch, usable, Bar};

/// Appends formatted text to a `String` (writing to a `String` cannot fail).
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

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

/// Renders a demo report as a complete, self-contained HTML5 document
/// (inline CSS and SVG charts; works from `file://`).
pub fn render(r: &Report) -> String {
    let names = provider_order(r);
    let mut out = String::with_capacity(64 * 1024);
    put!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Impulse demo report — {}</title><style>{CSS}</style></head><body><main>\n",
        esc(&r.scenario.name)
    );
    header(&mut out, r);
    jobs_section(&mut out, r);
    samples_section(&mut out, r, &names);
    epochs_section(&mut out, r);
    providers_section(&mut out, r, &names);
    narration_section(&mut out, r);
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

/// Escaped text, or "–" when empty.
fn txt(s: &str) -> String {
    if s.is_empty() {
        "–".to_string()
    } else {
        esc(s)
    }
}

/// An amount in IMP, with the raw uimp on hover.
fn amount(u: Uint128) -> String {
    format!("<span title=\"{u} uimp\">{}</span>", imp(u))
}

/// "a → b", green when the value moved the good way, red when the bad way;
/// `show` formats each side.
fn trend<T: Copy>(
    a: T,
    b: T,
    higher_is_better: bool,
    value: fn(T) -> f64,
    show: fn(T) -> String,
) -> String {
    let (x, y) = (value(a), value(b));
    let class = match () {
        _ if x != y && (y > x) == higher_is_better => "good",
        _ if x != y => "red",
        _ => "",
    };
    format!("<span class=\"{class}\">{} → {}</span>", show(a), show(b))
}

fn uimp_f64(u: Uint128) -> f64 {
    u.u128() as f64
}

fn dec_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

/// Comma-separated items, or "–".
fn list(items: &[String]) -> String {
    if items.is_empty() {
        "–".to_string()
    } else {
        items.iter().map(|s| esc(s)).collect::<Vec<_>>().join(", ")
    }
}

/// Provider names in a stable order (providers list, then any extra names in
/// `samples`); the index into this list picks the provider's colour.
fn provider_order(r: &Report) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let listed = r.providers.iter().map(|p| &p.name);
    let sampled = r.samples.iter().map(|s| &s.provider);
    for name in listed.chain(sampled) {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
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

/// Opens a section; `false` (after a "no data" note) when there is nothing.
fn section(out: &mut String, title: &str, empty: bool) -> bool {
    put!(out, "<section><h2>{title}</h2>");
    if empty {
        put!(out, "<p class=\"nodata\">no data</p></section>\n");
    }
    !empty
}

fn header(out: &mut String, r: &Report) {
    let c = &r.chain;
    put!(
        out,
        "<section><h1>Impulse demo report — scenario {}</h1><div class=\"summary\">\
         chain <b>{}</b> · id <b>{}</b> · blocks <b>{} → {}</b> ({} blocks) · wall time <b>{:.1} s</b> \
         · seed {} · impulse {}</div>\n",
        txt(&r.scenario.name),
        txt(&c.kind),
        txt(&c.chain_id),
        c.start_height,
        c.end_height,
        c.end_height.saturating_sub(c.start_height),
        r.wall_secs,
        r.scenario.seed,
        txt(&r.impulse_version),
    );
    let inv = &r.invariant;
    if inv.held && inv.violations.is_empty() {
        put!(
            out,
            "<div class=\"badge ok\">✔ conservation invariant held ({} checks)</div>",
            inv.checks
        );
    } else {
        put!(
            out,
            "<div class=\"badge bad\">✘ conservation invariant VIOLATED ({} checks)<ul>",
            inv.checks
        );
        for v in &inv.violations {
            put!(out, "<li>{}</li>", esc(v));
        }
        out.push_str("</ul></div>");
    }
    out.push_str("</section>\n");
}

fn status_pill(s: JobState) -> String {
    let class = match s {
        JobState::Settled => "ok",
        JobState::Failed | JobState::Expired => "bad",
        _ => "neutral",
    };
    format!("<span class=\"pill {class}\">{}</span>", s.as_str())
}

fn job_row(j: &JobReport) -> Vec<String> {
    let hash = j.final_model_hash.as_deref().unwrap_or("");
    let mark = match j.model_hash_matches {
        Some(true) => " <span class=\"good\" title=\"matches committed hash\">✓</span>",
        Some(false) => " <span class=\"red\" title=\"differs from committed hash\">✗</span>",
        None => "",
    };
    let head: String = hash.chars().take(12).collect();
    let steps: Vec<String> = j.challenged_steps.iter().map(u64::to_string).collect();
    vec![
        j.id.to_string(),
        txt(&j.name),
        status_pill(j.status),
        j.attempts.to_string(),
        list(&j.provers),
        j.committee.len().to_string(),
        format!(
            "<span title=\"steps {}\">{}</span>",
            list(&steps),
            steps.len()
        ),
        amount(j.paid_prover),
        amount(j.paid_verifiers),
        amount(j.fees),
        amount(j.refunded),
        if hash.is_empty() {
            "–".to_string()
        } else {
            format!("<code title=\"{}\">{}</code>{mark}", esc(hash), esc(&head))
        },
        match j.held_out_loss {
            Some(l) => trend(l.base, l.trained, false, |x| x, |x| format!("{x:.4}")),
            None => "–".to_string(),
        },
    ]
}

fn jobs_section(out: &mut String, r: &Report) {
    if !section(out, "Jobs", r.jobs.is_empty()) {
        return;
    }
    let rows: Vec<Vec<String>> = r.jobs.iter().map(job_row).collect();
    out.push_str(&table(
        "#ID|~Name|Status|#Attempts|~Provers|#Committee|#Challenged|#Paid prover|#Paid verifiers|#Fees|#Refunded|Model hash|Held-out loss",
        &rows,
    ));
    out.push_str("<h2 class=\"sub\">Loss per job</h2><div class=\"charts\">");
    for j in &r.jobs {
        // One series per attempt, in order of first appearance.
        let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        let mut attempts: Vec<u32> = Vec::new();
        for p in &j.loss_curve {
            let i = attempts
                .iter()
                .position(|a| *a == p.attempt)
                .unwrap_or_else(|| {
                    attempts.push(p.attempt);
                    series.push((format!("attempt {} ({})", p.attempt, p.prover), Vec::new()));
                    series.len() - 1
                });
            series[i].1.push((p.step as f64, f64::from(p.loss)));
        }
        let title = format!("job {} · {}", j.id, j.name);
        out.push_str(&line_chart(&title, &series, "step", "loss"));
    }
    out.push_str("</div></section>\n");
}

fn samples_section(out: &mut String, r: &Report, names: &[String]) {
    let mut stake: Vec<(String, Vec<(f64, f64)>)> =
        names.iter().map(|n| (n.clone(), Vec::new())).collect();
    let mut rep = stake.clone();
    for s in &r.samples {
        let Some(i) = names.iter().position(|n| *n == s.provider) else {
            continue;
        };
        let h = s.height as f64;
        stake[i]
            .1
            .push((h, uimp_f64(s.stake) / UIMP_PER_IMP as f64));
        rep[i].1.push((h, dec_f64(s.reputation)));
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
            &format!("stake, IMP{unit}")
        ),
        line_chart(
            "Reputation per provider over blocks",
            &rep,
            "block height",
            "reputation"
        ),
    );
}

fn epochs_section(out: &mut String, r: &Report) {
    if !section(out, "Epochs", r.epochs.is_empty()) {
        return;
    }
    let rows: Vec<Vec<String>> = r
        .epochs
        .iter()
        .map(|e| {
            vec![
                e.epoch.to_string(),
                format!("{} → {}", e.start_height, e.end_height),
                amount(e.issuance),
                e.multiplier.to_string(),
                e.kpis.compute_volume.to_string(),
                e.kpis.active_providers.to_string(),
                score(e.kpis.fee_growth),
                score(e.kpis.success_rate),
                amount(e.fees_in),
                e.jobs_settled.to_string(),
                e.jobs_failed.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        "#Epoch|Blocks|#Issuance|#Multiplier|#Compute volume|#Active providers|#Fee growth|#Success rate|#Fees in|#Jobs settled|#Jobs failed",
        &rows,
    ));
    let max = r
        .epochs
        .iter()
        .map(|e| uimp_f64(e.issuance) / UIMP_PER_IMP as f64)
        .fold(0.0, f64::max);
    let (div, unit) = scale(max);
    let bars: Vec<Bar> = r
        .epochs
        .iter()
        .map(|e| Bar {
            value: uimp_f64(e.issuance) / UIMP_PER_IMP as f64 / div,
            label: e.epoch.to_string(),
            note: format!("×{}", e.multiplier),
            tip: format!("epoch {}: issuance {}", e.epoch, imp(e.issuance)),
        })
        .filter(|b| usable(b.value))
        .collect();
    put!(
        out,
        "<div class=\"charts\">{}</div></section>\n",
        bar_chart(
            "Issuance per epoch (label: multiplier)",
            &bars,
            "epoch",
            &format!("issuance, IMP{unit}")
        )
    );
}

fn providers_section(out: &mut String, r: &Report, names: &[String]) {
    if !section(out, "Providers", r.providers.is_empty()) {
        return;
    }
    let rows: Vec<Vec<String>> = r
        .providers
        .iter()
        .map(|p| {
            let slot = names.iter().position(|m| *m == p.name);
            let slashed = if p.slashed.is_zero() { "" } else { "red" };
            vec![
                slot.map_or(String::new(), |i| swatch(colour(i))) + &txt(&p.name),
                txt(&p.behaviour),
                list(&p.roles),
                trend(p.stake_before, p.stake_after, true, uimp_f64, imp),
                format!("<span class=\"{slashed}\">{}</span>", amount(p.slashed)),
                if p.banned {
                    "<span class=\"red\">banned</span>".to_string()
                } else {
                    "<span class=\"dim\">no</span>".to_string()
                },
                trend(
                    p.reputation_before,
                    p.reputation_after,
                    true,
                    dec_f64,
                    score,
                ),
                amount(p.rewards_claimed),
            ]
        })
        .collect();
    out.push_str(&table(
        "Name|Behaviour|Roles|#Stake before → after|#Slashed|Banned|#Reputation before → after|#Rewards claimed",
        &rows,
    ));
    out.push_str("</section>\n");
}

fn narration_section(out: &mut String, r: &Report) {
    if !section(out, "Narration", r.narration.is_empty()) {
        return;
    }
    out.push_str("<ol class=\"narr\">");
    for l in &r.narration {
        put!(
            out,
            "<li><span class=\"h\">#{}</span><span class=\"s\">{:.1} s</span>{}</li>\n",
            l.height,
            l.secs,
            esc(&l.text),
        );
    }
    out.push_str("</ol></section>\n");
}

#[cfg(test)]
mod tests;
