//! Small command line front end of the engine, used by the multi-process
//! tests and the demo.
//!
//! ```text
//! impulse-engine train  --job JOB.json --data PATH [--tokenizer tokenizer.json] [--out DIR]
//!     [--backend flex] [--base STATE] [--export MODEL.safetensors]
//!     prints {"hashes": [hex..], "commitment": {..}}, stores every K-th
//!     state as DIR/state-<step>.bin and exports the final model
//! impulse-engine replay --job JOB.json --data PATH [--tokenizer tokenizer.json] --state FILE
//!     --prev-leaf HEX --step I
//!     prints h'_I (hex)
//! impulse-engine tokenizer --data TEXT --vocab N --out tokenizer.json
//!     trains a byte-level BPE tokenizer (deterministic) and prints its SHA-256
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use impulse_engine::{BackendKind, Engine, Job};

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = args.first().cloned().unwrap_or_default();
    let mut opts = HashMap::new();
    let mut it = args.iter().skip(1);
    while let Some(k) = it.next() {
        let key = k
            .strip_prefix("--")
            .ok_or(format!("unexpected argument {k}"))?;
        let v = it.next().ok_or(format!("missing value for {k}"))?;
        opts.insert(key.to_string(), v.clone());
    }
    let get = |k: &str| opts.get(k).cloned().ok_or(format!("missing --{k}"));
    if cmd == "tokenizer" {
        let text = std::fs::read_to_string(get("data")?).map_err(|e| format!("data: {e}"))?;
        let vocab: usize = get("vocab")?.parse().map_err(|e| format!("vocab: {e}"))?;
        let json = impulse_engine::tokenizer::train_bpe(&text, vocab).map_err(|e| e.to_string())?;
        std::fs::write(get("out")?, &json).map_err(|e| format!("out: {e}"))?;
        println!(
            "{}",
            hex::encode(impulse_engine::hash::sha256(json.as_bytes()))
        );
        return Ok(());
    }
    let job_text = std::fs::read_to_string(get("job")?).map_err(|e| format!("job: {e}"))?;
    let job: Job = serde_json::from_str(&job_text).map_err(|e| format!("job: {e}"))?;
    let backend = BackendKind::parse(opts.get("backend").map(String::as_str).unwrap_or("flex"))
        .map_err(|e| e.to_string())?;
    let base = match opts.get("base") {
        Some(p) => Some(std::fs::read(p).map_err(|e| format!("base: {e}"))?),
        None => None,
    };
    let tokenizer = opts.get("tokenizer").map(PathBuf::from);
    let engine = Engine::load_with(
        job,
        &PathBuf::from(get("data")?),
        tokenizer.as_deref(),
        backend,
        base.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    match cmd.as_str() {
        "train" => {
            let out = opts.get("out").map(PathBuf::from);
            let trace = engine.prove(out.as_ref()).map_err(|e| e.to_string())?;
            if let Some(path) = opts.get("export") {
                let last = engine
                    .decode(&trace.final_state)
                    .map_err(|e| e.to_string())?;
                let meta = std::collections::BTreeMap::from([
                    ("impulse.job".to_string(), job_text.trim().to_string()),
                    (
                        "impulse.merkle_root".to_string(),
                        trace.commitment.merkle_root.clone(),
                    ),
                    (
                        "impulse.final_model_sha256".to_string(),
                        trace.commitment.final_model_sha256.clone(),
                    ),
                ]);
                let bytes = impulse_engine::export::export_safetensors(&last, &meta);
                std::fs::write(path, bytes).map_err(|e| format!("export: {e}"))?;
            }
            let hashes: Vec<String> = trace.hashes.iter().map(hex::encode).collect();
            let v = serde_json::json!({ "hashes": hashes, "commitment": trace.commitment });
            println!("{v}");
        }
        "replay" => {
            let bytes = std::fs::read(get("state")?).map_err(|e| format!("state: {e}"))?;
            let leaf: [u8; 32] = hex::decode(get("prev-leaf")?)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or("prev-leaf must be 32 bytes of hex")?;
            let step: u64 = get("step")?.parse().map_err(|e| format!("step: {e}"))?;
            let (_, h) = engine
                .replay(&bytes, &leaf, step)
                .map_err(|e| e.to_string())?;
            println!("{}", hex::encode(h));
        }
        other => {
            return Err(format!(
                "unknown command {other:?} (train, replay, tokenizer)"
            ))
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
