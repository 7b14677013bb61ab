//! Engine bench: steps/s, tokens/s, hash + Merkle overhead, replay/step
//! ratio and checkpoint size for the reference model (d 128, 2 layers,
//! 4 heads, context 64, batch 16) and a larger one. Prints a table and
//! writes JSON.
//!
//! ```text
//! impulse-bench [--steps N] [--models lm-ref,lm-large] [--json PATH] [--data PATH]
//! ```
//! Build with `--release` for meaningful numbers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use impulse_engine::{BackendKind, Dataset, Engine, Job};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = HashMap::new();
    for pair in args.chunks(2) {
        if let [k, v] = pair {
            opts.insert(k.trim_start_matches("--").to_string(), v.clone());
        }
    }
    let steps: u64 = opts.get("steps").and_then(|s| s.parse().ok()).unwrap_or(10);
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
    let ds = Dataset::load(&data, None).expect("dataset");
    let mut rows = Vec::new();
    println!(
        "{:<10} {:>9} {:>8} {:>10} {:>9} {:>9} {:>10} {:>12} {:>11}",
        "model",
        "params",
        "steps/s",
        "tokens/s",
        "step ms",
        "hash %",
        "replay/x",
        "replay/(x+h)",
        "ckpt bytes"
    );
    for model in models.split(',') {
        let job = Job::new(model, &ds.hash_hex(), 1, steps + 1, 16);
        let e = Engine::new(job, ds.clone(), BackendKind::Flex).expect("engine");
        let mut state = e.init_state().expect("init");
        // Warm-up step.
        state = e.step(&state, &e.batch(1));
        let (mut t_step, mut t_hash, mut t_replay) = (0.0f64, 0.0f64, 0.0f64);
        let mut leaves = vec![state.hash()];
        let mut size = 0usize;
        for i in 2..=steps + 1 {
            let t0 = Instant::now();
            let next = e.step(&state, &e.batch(i));
            t_step += t0.elapsed().as_secs_f64();
            let t0 = Instant::now();
            let h = next.hash();
            leaves.push(h);
            let _root = impulse_merkle::root(&leaves).expect("leaves");
            t_hash += t0.elapsed().as_secs_f64();
            // Replay of the same step from the served bytes, including state
            // load and hash check.
            let served = state.encode();
            size = served.len();
            let prev_leaf = impulse_engine::data::sha256(&served);
            let t0 = Instant::now();
            let (_, h2) = e.replay(&served, &prev_leaf, i).expect("replay");
            t_replay += t0.elapsed().as_secs_f64();
            assert_eq!(h, h2, "replay must match");
            state = next;
        }
        let n = steps as f64;
        let step_s = t_step / n;
        let tokens = (16 * e.config.context) as f64;
        let row = serde_json::json!({
            "model": model,
            "params": e.config.num_params(),
            "batch": 16,
            "context": e.config.context,
            "steps_per_s": 1.0 / step_s,
            "tokens_per_s": tokens / step_s,
            "step_ms": step_s * 1e3,
            "hash_merkle_overhead_pct": 100.0 * t_hash / t_step,
            "replay_over_step": t_replay / t_step,
            "replay_over_step_plus_hash": t_replay / (t_step + t_hash),
            "checkpoint_bytes": size,
            "cpu_tier": impulse_engine::commit::cpu_tier(),
            "profile": if cfg!(debug_assertions) { "dev" } else { "release" },
        });
        println!(
            "{:<10} {:>9} {:>8.2} {:>10.0} {:>9.1} {:>9.2} {:>10.3} {:>12.3} {:>11}",
            model,
            e.config.num_params(),
            1.0 / step_s,
            tokens / step_s,
            step_s * 1e3,
            100.0 * t_hash / t_step,
            t_replay / t_step,
            t_replay / (t_step + t_hash),
            size
        );
        rows.push(row);
    }
    std::fs::write(
        &json_path,
        serde_json::to_vec_pretty(&serde_json::json!({ "results": rows })).expect("json"),
    )
    .expect("write json");
    println!("wrote {json_path}");
}
