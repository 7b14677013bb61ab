//! MLP classifier: deterministic, replayable, learns a separable task.

mod common;

use common::tmp;
use impulse_engine::classifier::{ClassDataset, ClassifierEngine, ClassifierJob, MlpConfig};
use impulse_engine::optim::AdamWSettings;
use impulse_engine::EngineError;

fn dataset(dir: &std::path::Path) -> std::path::PathBuf {
    // Two Gaussian-ish blobs from a fixed LCG: label = x0 + x1 > 0.
    let mut s: u64 = 12345;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let mut text = String::new();
    for _ in 0..128 {
        let f: Vec<f32> = (0..4).map(|_| next()).collect();
        let label = u32::from(f[0] + f[1] > 0.0);
        text.push_str(&serde_json::json!({ "features": f, "label": label }).to_string());
        text.push('\n');
    }
    let p = dir.join("cls.jsonl");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn classifier_is_deterministic_replayable_and_learns() {
    let dir = tmp("cls");
    let path = dataset(&dir);
    let cfg = MlpConfig::new(4, 16, 2);
    let ds = ClassDataset::load(&path, None, &cfg).unwrap();
    let job = ClassifierJob {
        config: cfg.clone(),
        dataset_sha256: hex::encode(ds.hash),
        seed: 3,
        steps: 40,
        batch_size: 16,
        optim: AdamWSettings {
            lr: 1e-2,
            weight_decay: 0.0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        },
    };
    let e = ClassifierEngine::new(job, ds, burn::tensor::Device::flex()).unwrap();
    let (h1, r1, states) = e.prove();
    let (h2, r2, _) = e.prove();
    assert_eq!(h1, h2);
    assert_eq!(r1, r2);
    // Replay step 17 from the stored state_16.
    let s16 = e.decode(&states[&16]).unwrap();
    assert_eq!(s16.hash(), h1[16]);
    assert_eq!(e.step(&s16).hash(), h1[17]);
    let acc0 = e.accuracy(&e.init_state());
    let acc = e.accuracy(&e.decode(&states[&40]).unwrap());
    eprintln!("classifier accuracy {acc0:.2} -> {acc:.2}");
    assert!(acc > 0.85 && acc > acc0, "{acc0} -> {acc}");
    // Bad inputs.
    let wrong = MlpConfig::new(5, 16, 2);
    assert!(matches!(
        ClassDataset::load(&path, None, &wrong).unwrap_err(),
        EngineError::DatasetCorrupt { .. }
    ));
    assert!(matches!(
        ClassDataset::load(&path, Some(&"11".repeat(32)), &cfg).unwrap_err(),
        EngineError::DatasetHashMismatch { .. }
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
