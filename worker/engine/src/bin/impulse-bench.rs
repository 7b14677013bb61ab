//! Engine bench: steps/s, tokens/s, hash + Merkle overhead, replay/step
//! ratio and checkpoint size for the reference model (d 128, 2 layers,
//! 4 heads, context 64, batch 16) and a larger one; optionally the same
//! models in JAX on CPU (`worker/bench/jax_bench.py`) for the burn/JAX
//! ratio. Prints a table (ratios are medians of per-step ratios) and a
//! breakdown of where the replay time goes (means), and writes JSON (both).
//!
//! ```text
//! impulse-bench [--steps N] [--models lm-ref,lm-large] [--json PATH] [--data PATH]
//!     [--jax true]
//! ```
//! Build with `--release` for meaningful numbers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use impulse_engine::{BackendKind, Dataset, Engine, Job};

/// Seconds spent in `f`, and its result.
fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t0 = Instant::now();
    let r = f();
    (t0.elapsed().as_secs_f64(), r)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Runs the JAX script for `cfg` and returns its step time in ms.
fn jax_step_ms(e: &Engine, steps: u64) -> Option<f64> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/jax_bench.py");
    let out_json = std::env::temp_dir().join(format!("impulse-jax-{}.json", std::process::id()));
    let c = &e.config;
    let status = Command::new("python3")
        .arg(&script)
        .args(["--steps", &steps.to_string()])
        .args(["--d", &c.d_model.to_string()])
        .args(["--layers", &c.n_layers.to_string()])
        .args(["--heads", &c.n_heads.to_string()])
        .args(["--ctx", &c.context.to_string()])
        .args(["--batch", &e.job.batch_size.to_string()])
        .arg("--json")
        .arg(&out_json)
        .status()
        .ok()?;
    if !status.success() {
        eprintln!("jax bench failed ({status})");
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_json).ok()?).ok()?;
    let _ = std::fs::remove_file(&out_json);
    v["step_ms"].as_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = HashMap::new();
    for pair in args.chunks(2) {
        if let [k, v] = pair {
            opts.insert(k.trim_start_matches("--").to_string(), v.clone());
        }
    }
    let steps: u64 = opts.get("steps").and_then(|s| s.parse().ok()).unwrap_or(20);
    let models = opts
        .get("models")
        .cloned()
        .unwrap_or_else(|| "lm-ref,lm-large".into());
    let json_path = opts
        .get("json")
        .cloned()
        .unwrap_or_else(|| "bench.json".into());
    let data = opts
        .get("data")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/tiny_tales.txt"));
    let with_jax = opts.get("jax").is_some_and(|v| v == "true" || v == "1");
    let ds = Dataset::load(&data, None).expect("dataset");
    let mut rows = Vec::new();
    let mut breakdown = Vec::new();
    println!(
        "{:<10} {:>9} {:>8} {:>10} {:>9} {:>9} {:>10} {:>12} {:>11} {:>9} {:>9}",
        "model",
        "params",
        "steps/s",
        "tokens/s",
        "step ms",
        "hash %",
        "replay/x",
        "replay/(x+h)",
        "ckpt bytes",
        "jax ms",
        "burn/jax"
    );
    for model in models.split(',') {
        let job = Job::new(model, &ds.hash_hex(), 1, steps + 1, 16);
        let e = Engine::new(job, ds.clone(), BackendKind::Flex).expect("engine");
        let mut state = e.init_state().expect("init");
        // Warm-up step.
        state = e.step(&state, &e.batch(1));
        let mut leaves = vec![state.hash()];
        let mut size = 0usize;
        // Per-step times (s): training step, h_i, Merkle root, and the
        // replay parts: hash check of the served bytes, decode, step, h'_i.
        let (mut t_step, mut t_hash, mut t_merkle) = (vec![], vec![], vec![]);
        let (mut r_check, mut r_decode, mut r_step, mut r_hash, mut r_total) =
            (vec![], vec![], vec![], vec![], vec![]);
        for i in 2..=steps + 1 {
            let (dt, next) = timed(|| e.step(&state, &e.batch(i)));
            t_step.push(dt);
            let (dt, h) = timed(|| next.hash());
            t_hash.push(dt);
            leaves.push(h);
            let (dt, _) = timed(|| impulse_protocol::root(&leaves).expect("leaves"));
            t_merkle.push(dt);
            // Replay of the same step from the served bytes, including the
            // hash check and the state load, as `Engine::replay` does it;
            // timed whole and by part (the parts on a second replay).
            let served = state.encode();
            size = served.len();
            let prev_leaf = leaves[leaves.len() - 2];
            let (dt, (_, h2)) = timed(|| e.replay(&served, &prev_leaf, i).expect("replay"));
            r_total.push(dt);
            assert_eq!(h, h2, "replay must match");
            let (dt, leaf) = timed(|| impulse_engine::hash::sha256(&served));
            r_check.push(dt);
            assert_eq!(leaf, prev_leaf);
            let (dt, prev) = timed(|| e.decode(&served).expect("decode"));
            r_decode.push(dt);
            let (dt, again) = timed(|| e.step(&prev, &e.batch(i)));
            r_step.push(dt);
            let (dt, h3) = timed(|| again.hash());
            r_hash.push(dt);
            assert_eq!(h, h3);
            state = next;
        }
        let n = steps as f64;
        let sum = |v: &Vec<f64>| v.iter().sum::<f64>();
        let step_s = sum(&t_step) / n;
        let hm = sum(&t_hash) + sum(&t_merkle);
        let tokens = (16 * e.config.context) as f64;
        let jax_ms = if with_jax {
            jax_step_ms(&e, steps.max(10))
        } else {
            None
        };
        let ms = |v: &Vec<f64>| 1e3 * sum(v) / n;
        // The table shows medians of per-step ratios: on a shared machine a
        // load spike in one step would otherwise skew a ratio of sums.
        let hash_pct_med = 100.0
            * median(
                t_hash
                    .iter()
                    .zip(&t_merkle)
                    .zip(&t_step)
                    .map(|((h, m), s)| (h + m) / s)
                    .collect(),
            );
        let replay_med = median(r_total.iter().zip(&t_step).map(|(r, s)| r / s).collect());
        let replay_h_med = median(
            r_total
                .iter()
                .zip(t_step.iter().zip(&t_hash))
                .map(|(r, (s, h))| r / (s + h))
                .collect(),
        );
        let row = serde_json::json!({
            "model": model,
            "params": e.config.num_params(),
            "batch": 16,
            "context": e.config.context,
            "steps": steps,
            "steps_per_s": 1.0 / step_s,
            "tokens_per_s": tokens / step_s,
            "step_ms": step_s * 1e3,
            "step_ms_median": 1e3 * median(t_step.clone()),
            "hash_ms": ms(&t_hash),
            "merkle_ms": ms(&t_merkle),
            "hash_merkle_overhead_pct": 100.0 * hm / sum(&t_step),
            "hash_merkle_overhead_pct_median": hash_pct_med,
            "replay_ms": ms(&r_total),
            "replay_over_step": sum(&r_total) / sum(&t_step),
            "replay_over_step_median": replay_med,
            "replay_over_step_plus_hash": sum(&r_total) / (sum(&t_step) + sum(&t_hash)),
            "replay_over_step_plus_hash_median": replay_h_med,
            "replay_parts_ms": {
                "check_served_hash": ms(&r_check),
                "decode": ms(&r_decode),
                "step": ms(&r_step),
                "hash": ms(&r_hash),
            },
            "checkpoint_bytes": size,
            "jax_step_ms": jax_ms,
            "burn_over_jax": jax_ms.map(|j| step_s * 1e3 / j),
            "cpu_tier": impulse_engine::commit::cpu_tier(),
            "profile": if cfg!(debug_assertions) { "dev" } else { "release" },
        });
        let opt = |v: Option<f64>, p: usize| v.map_or("-".to_string(), |x| format!("{x:.p$}"));
        println!(
            "{:<10} {:>9} {:>8.2} {:>10.0} {:>9.1} {:>9.2} {:>10.3} {:>12.3} {:>11} {:>9} {:>9}",
            model,
            e.config.num_params(),
            1.0 / step_s,
            tokens / step_s,
            step_s * 1e3,
            hash_pct_med,
            replay_med,
            replay_h_med,
            size,
            opt(jax_ms, 1),
            opt(jax_ms.map(|j| step_s * 1e3 / j), 2),
        );
        breakdown.push(format!(
            "{model:<10} step {:.1} ms (median {:.1}) | h_i {:.2} ms, Merkle {:.3} ms | replay {:.1} ms = \
             served-hash check {:.2} + decode {:.2} + step {:.1} + h'_i {:.2}",
            step_s * 1e3,
            1e3 * median(t_step.clone()),
            ms(&t_hash),
            ms(&t_merkle),
            ms(&r_total),
            ms(&r_check),
            ms(&r_decode),
            ms(&r_step),
            ms(&r_hash),
        ));
        rows.push(row);
    }
    println!();
    for b in breakdown {
        println!("{b}");
    }
    std::fs::write(
        &json_path,
        serde_json::to_vec_pretty(&serde_json::json!({ "results": rows })).expect("json"),
    )
    .expect("write json");
    println!("wrote {json_path}");
}
