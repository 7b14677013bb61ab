//! The shipped pretrained base (`data/base-lm-ref.safetensors`, produced by
//! `impulse-engine train --job data/base-lm-ref.job.json --export ...`).

mod common;

use common::*;
use impulse_engine::job::LoraSpec;
use impulse_engine::{BackendKind, Dataset, Engine, Job};

const BASE_SHA256: &str = "fd5b4c41523a8406105ebc6145adb2c61454c88a9a8a13633a9a38bfac8cdd4c";

#[test]
fn shipped_base_loads_and_is_pretrained() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/base-lm-ref.safetensors");
    let base = std::fs::read(path).unwrap();
    assert_eq!(
        hex::encode(impulse_engine::hash::sha256(&base)),
        BASE_SHA256
    );
    let ds = Dataset::load(&corpus(), None).unwrap();
    let scratch = Engine::new(
        Job::new("lm-ref", &ds.hash_hex(), 1, 1, 4),
        ds.clone(),
        BackendKind::Flex,
    )
    .unwrap();
    let mut j = Job::new("lm-ref", &ds.hash_hex(), 1, 1, 4);
    j.base_sha256 = Some(BASE_SHA256.into());
    j.lora = Some(LoraSpec {
        rank: 4,
        alpha: 8.0,
    });
    let tuned = Engine::with_base(j, ds, BackendKind::Flex, Some(&base)).unwrap();
    let l_init = scratch.eval_loss(&scratch.init_state().unwrap(), 2);
    let l_base = tuned.eval_loss(&tuned.init_state().unwrap(), 2);
    eprintln!("lm-ref loss: seeded init {l_init:.3}, shipped base {l_base:.3}");
    assert!(l_base < l_init - 1.0, "{l_init} -> {l_base}");
}
