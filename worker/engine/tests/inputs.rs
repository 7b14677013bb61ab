//! Bad inputs give clear errors.

mod common;

use common::*;
use impulse_engine::{BackendKind, Dataset, Engine, EngineError, Job, LmConfig};

#[test]
fn missing_dataset() {
    let e = Dataset::load(std::path::Path::new("/nonexistent/impulse.txt"), None).unwrap_err();
    assert!(matches!(e, EngineError::DatasetMissing { .. }), "{e}");
    assert!(e.to_string().contains("/nonexistent/impulse.txt"));
}

#[test]
fn hash_mismatch() {
    let j = Job::new("lm-test", &"00".repeat(32), 1, 2, 2);
    let e = Engine::load(j, &corpus(), BackendKind::Flex).unwrap_err();
    match &e {
        EngineError::DatasetHashMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, &"00".repeat(32));
            assert_eq!(actual, &corpus_hash());
        }
        other => panic!("{other}"),
    }
}

#[test]
fn empty_and_corrupt_datasets() {
    let d = tmp("inputs");
    let empty = d.join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        Dataset::load(&empty, None).unwrap_err(),
        EngineError::DatasetCorrupt { .. }
    ));
    let bin = d.join("bin.txt");
    std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x80]).unwrap();
    let e = Dataset::load(&bin, None).unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    let jl = d.join("bad.jsonl");
    std::fs::write(&jl, "{\"text\": \"ok\"}\n{not json}\n").unwrap();
    let e = Dataset::load(&jl, None).unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
    let good = d.join("good.jsonl");
    std::fs::write(&good, "{\"text\": \"ab\"}\n{\"text\": \"cd\"}\n").unwrap();
    assert_eq!(Dataset::load(&good, None).unwrap().tokens.len(), 6);
    // Too short for the context.
    let short = d.join("short.txt");
    std::fs::write(&short, "tiny").unwrap();
    let ds = Dataset::load(&short, None).unwrap();
    let j = Job::new("lm-test", &ds.hash_hex(), 1, 2, 2);
    let e = Engine::new(j, ds, BackendKind::Flex).unwrap_err();
    assert!(matches!(e, EngineError::DatasetCorrupt { .. }), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn unknown_model_id() {
    let j = Job::new("gpt-17", &corpus_hash(), 1, 2, 2);
    let e = Engine::load(j, &corpus(), BackendKind::Flex).unwrap_err();
    assert!(matches!(e, EngineError::UnknownModel { .. }), "{e}");
    assert!(e.to_string().contains("lm-test"));
}

#[test]
fn config_too_large_for_memory() {
    let mut j = Job::new("custom", &corpus_hash(), 1, 2, 64);
    j.model_config = Some(LmConfig::new(8192, 48, 64, 4096));
    let e = j.validate(Some(16 << 30)).unwrap_err();
    assert!(matches!(e, EngineError::ConfigTooLarge { .. }), "{e}");
    // And on this machine through the engine.
    let e = Engine::load(j, &corpus(), BackendKind::Flex).unwrap_err();
    assert!(matches!(e, EngineError::ConfigTooLarge { .. }), "{e}");
    // Invalid shapes are refused too.
    let mut j = Job::new("custom", &corpus_hash(), 1, 2, 2);
    j.model_config = Some(LmConfig::new(30, 1, 4, 16));
    assert!(matches!(
        j.validate(None).unwrap_err(),
        EngineError::InvalidConfig(_)
    ));
}

#[test]
fn corrupt_checkpoints_rejected() {
    let e = engine(job(3, 1));
    let s = e.init_state().unwrap();
    let bytes = s.encode();
    for bad in [
        bytes[..bytes.len() - 1].to_vec(),
        [bytes.as_slice(), &[0]].concat(),
        b"garbage".to_vec(),
    ] {
        let err = e.decode(&bad).unwrap_err();
        assert!(matches!(err, EngineError::CorruptCheckpoint(_)), "{err}");
    }
    // A replay with a wrong leaf names both hashes.
    let err = e.replay(&bytes, &[0u8; 32], 1).unwrap_err();
    assert!(
        matches!(err, EngineError::StateHashMismatch { step: 0, .. }),
        "{err}"
    );
}
