//! safetensors export of the final model and import as base weights.

mod common;

use std::collections::BTreeMap;

use common::*;
use impulse_engine::export::{export_safetensors, from_safetensors};
use impulse_engine::params::collect_params;
use impulse_engine::{BackendKind, Dataset, Engine, EngineError};

#[test]
fn export_then_import_as_base() {
    let e = engine(job(41, 3));
    let t = e.prove(None).unwrap();
    let last = e.decode(&t.final_state).unwrap();
    let meta = BTreeMap::from([("model".to_string(), "lm-test".to_string())]);
    let st = export_safetensors(&last, &meta);
    let params = from_safetensors(&st).unwrap();
    assert_eq!(params, collect_params(&last.model));

    // A full fine-tuning job starting from the exported weights.
    let ds = Dataset::load(&corpus(), None).unwrap();
    let mut j = job(42, 2);
    j.base_sha256 = Some(hex::encode(impulse_engine::hash::sha256(&st)));
    let f = Engine::with_base(j.clone(), ds.clone(), BackendKind::Flex, Some(&st)).unwrap();
    let s0 = f.init_state().unwrap();
    assert_eq!(collect_params(&s0.model), params);
    assert_eq!(s0.model_hash(), {
        let mut l = last.clone();
        l.step = 0;
        l.model_hash()
    });
    // Wrong bytes for the named hash, or none at all: refused.
    let mut other = st.clone();
    let n = other.len();
    other[n - 1] ^= 1;
    let err =
        Engine::with_base(j.clone(), ds.clone(), BackendKind::Flex, Some(&other)).unwrap_err();
    assert!(
        matches!(err, EngineError::StateHashMismatch { .. }),
        "{err}"
    );
    assert!(Engine::with_base(j, ds, BackendKind::Flex, None).is_err());
    // Corrupt files.
    assert!(from_safetensors(b"short").is_err());
    assert!(from_safetensors(&st[..st.len() - 4]).is_err());
}
