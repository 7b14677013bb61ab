//! LoRA fine-tuning: only adapters are trained and committed; held-out loss
//! goes down; replay works as for full training.

mod common;

use common::*;
use impulse_engine::job::LoraSpec;
use impulse_engine::params::collect_params;
use impulse_engine::{BackendKind, Dataset, Engine, Job, Verdict};

#[test]
fn lora_trains_only_adapters_and_lowers_held_out_loss() {
    let dir = tmp("lora");
    let text = std::fs::read_to_string(corpus()).unwrap();
    let cut = text.len() * 9 / 10;
    let cut = (cut..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap();
    std::fs::write(dir.join("train.txt"), &text[..cut]).unwrap();
    std::fs::write(dir.join("held.txt"), &text[cut..]).unwrap();
    let train = Dataset::load(&dir.join("train.txt"), None).unwrap();
    let held = Dataset::load(&dir.join("held.txt"), None).unwrap();

    // Base: a short pretraining job; its final state is the base.
    let mut pj = Job::new("lm-test", &train.hash_hex(), 31, 30, 8);
    pj.checkpoint_every = 30;
    let pre = Engine::new(pj, train.clone(), BackendKind::Flex).unwrap();
    let pt = pre.prove(None).unwrap();
    let base = pt.final_state.clone();
    assert_eq!(impulse_engine::hash::sha256(&base), pt.hashes[30]);

    let mut fj = Job::new("lm-test", &train.hash_hex(), 32, 30, 8);
    fj.lr = 1e-2;
    fj.checkpoint_every = 10;
    fj.base_sha256 = Some(hex::encode(pt.hashes[30]));
    fj.lora = Some(LoraSpec {
        rank: 4,
        alpha: 8.0,
    });
    // Without (or with a wrong) base it is refused.
    assert!(Engine::new(fj.clone(), train.clone(), BackendKind::Flex).is_err());
    let e = Engine::with_base(fj, train, BackendKind::Flex, Some(&base)).unwrap();
    let s0 = e.init_state().unwrap();
    // Adapters start at b = 0: the adapted model equals the base.
    let base_state = pre.decode(&base).unwrap();
    let before = e.eval_loss_on(&s0, &held, 4);
    let base_loss = pre.eval_loss_on(&base_state, &held, 4);
    assert!((before - base_loss).abs() < 1e-4, "{before} vs {base_loss}");
    // Only adapters (and their moments) are in the state.
    let entries = s0.entries();
    assert!(!entries.is_empty());
    assert!(
        entries.keys().all(|k| k.contains(".lora.")),
        "{:?}",
        entries.keys()
    );

    let t = e.prove(None).unwrap();
    let s = e.decode(&t.final_state).unwrap();
    let after = e.eval_loss_on(&s, &held, 4);
    eprintln!("LoRA held-out loss: before {before:.4}, after {after:.4}");
    assert!(after < before, "held-out loss {before} -> {after}");
    // Base weights unchanged.
    let p0 = collect_params(&s0.model);
    let p1 = collect_params(&s.model);
    for (k, v) in &p0 {
        if !k.contains(".lora.") {
            assert_eq!(v, &p1[k], "{k} changed");
        }
    }
    // LoRA checkpoints are small and replay is exact.
    assert!(t.final_state.len() * 4 < base.len());
    for i in [1, 11, 30] {
        assert_eq!(e.verify_step(&t, i), Verdict::Honest, "step {i}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
