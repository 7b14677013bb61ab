//! Model sanity: parameter naming, learning, dropout seeding.

mod common;

use common::*;
use impulse_engine::params::collect_params;
use impulse_engine::LmConfig;

#[test]
fn parameters_have_distinct_complete_names() {
    let e = engine(job(1, 1));
    let s = e.init_state().unwrap();
    let params = collect_params(&s.model);
    let total: usize = params.values().map(|t| t.values.len()).sum();
    assert_eq!(total as u64, e.config.num_params(), "{:?}", params.keys());
    for name in [
        "head.weight",
        "head.bias",
        "tok_emb.weight",
        "pos_emb.weight",
        "norm.gamma",
    ] {
        assert!(params.contains_key(name), "{name} in {:?}", params.keys());
    }
    assert!(params.keys().any(|k| k.starts_with("encoder.layers.0.")));
    // state = params + two moments each.
    assert_eq!(s.entries().len(), 3 * params.len());
}

#[test]
fn training_lowers_loss() {
    let mut j = job(4, 40);
    j.batch_size = 8;
    let e = engine(j);
    let s0 = e.init_state().unwrap();
    let before = e.eval_loss(&s0, 4);
    let t = e.prove(None).unwrap();
    let s = e.recompute(&t.checkpoints, 40).unwrap();
    let after = e.eval_loss(&s, 4);
    assert!(after < before - 0.5, "loss {before} -> {after}");
}

#[test]
fn dropout_is_seeded_per_step() {
    // With dropout on, h_1 depends on the dropout draw; with it off it
    // differs, and both are reproducible.
    let mut a = job(2, 2);
    a.model = "custom".into();
    a.model_config = Some(LmConfig::new(32, 1, 2, 16).with_dropout(0.0));
    let mut b = a.clone();
    b.model_config = Some(LmConfig::new(32, 1, 2, 16).with_dropout(0.3));
    let ta = engine(a).prove(None).unwrap();
    let tb = engine(b.clone()).prove(None).unwrap();
    assert_eq!(ta.hashes[0], tb.hashes[0]);
    assert_ne!(ta.hashes[1], tb.hashes[1]);
    let tb2 = engine(b).prove(None).unwrap();
    assert_eq!(tb.hashes, tb2.hashes);
}

#[test]
fn streamed_hash_matches_the_reference_encoder() {
    // `hash()` / `encode()` / `model_hash()` read burn's host buffers
    // directly; they must give exactly the bytes of the reference encoder
    // over `Vec<f32>` entries (sorted map), on a state with non-zero moments.
    use impulse_engine::encoding::{encode, hash_encoding, MODEL_MAGIC, STATE_MAGIC};
    use impulse_engine::hash::sha256;
    let e = engine(job(9, 2));
    let t = e.prove(None).unwrap();
    let s = e.recompute(&t.checkpoints, 2).unwrap();
    let reference = encode(STATE_MAGIC, s.step, &s.entries());
    assert_eq!(s.encode(), reference);
    assert_eq!(s.hash(), sha256(&reference));
    assert_eq!(s.hash(), t.hashes[2]);
    let params = collect_params(&s.model)
        .into_iter()
        .map(|(k, v)| (format!("model/{k}"), v))
        .collect();
    assert_eq!(s.model_hash(), hash_encoding(MODEL_MAGIC, s.step, &params));
    // Round trip through the decoder keeps every byte.
    assert_eq!(e.decode(&reference).unwrap().encode(), reference);
}
