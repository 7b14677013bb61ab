//! A local `tokenizer.json` (the shipped byte-level BPE, trained by the
//! project's own command): reproducible file, deterministic tokenization,
//! training and replay bit-for-bit with the model's vocabulary following
//! the tokenizer, batches bound to the tokenizer hash, clear errors.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use impulse_engine::tokenizer::train_bpe;
use impulse_engine::{
    BackendKind, Dataset, Engine, EngineError, Job, LmConfig, Tokenizer, Verdict,
};

const BIN: &str = env!("CARGO_BIN_EXE_impulse-engine");

fn tokenizer_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/tokenizer.json")
}

fn tokenizer() -> Tokenizer {
    Tokenizer::load(&tokenizer_path(), None).unwrap()
}

fn tok_job(seed: u64, steps: u64) -> Job {
    let mut j = job(seed, steps);
    j.tokenizer_sha256 = tokenizer().sha256_hex();
    j
}

/// `j` on the shipped corpus with the shipped tokenizer.
fn tok_load(j: Job) -> Result<Engine, EngineError> {
    Engine::load_with(
        j,
        &corpus(),
        Some(&tokenizer_path()),
        BackendKind::Flex,
        None,
    )
}

fn tok_engine(j: Job) -> Engine {
    tok_load(j).unwrap()
}

#[test]
fn shipped_tokenizer_is_reproducible() {
    // `impulse-engine tokenizer --data data/tiny_tales.txt --vocab 512`
    // regenerates the shipped file byte for byte.
    let text = std::fs::read_to_string(corpus()).unwrap();
    let shipped = std::fs::read_to_string(tokenizer_path()).unwrap();
    assert_eq!(train_bpe(&text, 512).unwrap(), shipped);
    assert_eq!(tokenizer().vocab_size(), 512);
    // Another size gives another tokenizer; sizes below 256 are refused.
    let small = train_bpe(&text, 300).unwrap();
    assert_ne!(small, shipped);
    let t = Tokenizer::from_bytes(small.as_bytes(), &PathBuf::from("small.json")).unwrap();
    assert_eq!(t.vocab_size(), 300);
    assert!(matches!(
        train_bpe(&text, 255).unwrap_err(),
        EngineError::InvalidConfig(_)
    ));
}

#[test]
fn tokenizes_deterministically_and_losslessly() {
    let text = std::fs::read_to_string(corpus()).unwrap();
    let (a, b) = (tokenizer(), tokenizer());
    let ta = a.encode(&text).unwrap();
    assert_eq!(ta, b.encode(&text).unwrap());
    assert_eq!(ta, a.encode(&text).unwrap());
    // Byte-level BPE is lossless and compresses the corpus it was trained on.
    assert_eq!(a.decode(&ta).unwrap(), text);
    eprintln!("corpus: {} bytes, {} BPE tokens", text.len(), ta.len());
    assert!(ta.len() * 2 < text.len(), "{} tokens", ta.len());
    assert!(ta.iter().all(|&t| t < 512));
    // Merges are used: some ids are above the 256 byte tokens.
    assert!(ta.iter().any(|&t| t >= 256));
    // Text the tokenizer never saw (any bytes) still round-trips.
    let odd = "Zebra quagga 123 ünïcödé ✓ \t\n";
    assert_eq!(a.decode(&a.encode(odd).unwrap()).unwrap(), odd);
    // Datasets loaded with it are identical too, and name the tokenizer.
    let da = Dataset::load_with(&corpus(), None, &a).unwrap();
    let db = Dataset::load_with(&corpus(), None, &b).unwrap();
    assert_eq!(da.tokens, db.tokens);
    assert_eq!(da.tokens, ta);
    assert_eq!(da.vocab, 512);
    assert_eq!(da.tokenizer_hex(), a.sha256_hex());
    assert_eq!(da.hash_hex(), corpus_hash());
}

#[test]
fn batches_depend_on_the_tokenizer() {
    let text = std::fs::read_to_string(corpus()).unwrap();
    let bytes = Dataset::load(&corpus(), None).unwrap();
    let bpe = Dataset::load_with(&corpus(), None, &tokenizer()).unwrap();
    assert_eq!(bytes.hash, bpe.hash);
    assert_ne!(bytes.batch(1, 1, 4, 16), bpe.batch(1, 1, 4, 16));
    // Same dataset file and tokens, another tokenizer hash: other offsets.
    let mut other = bpe.clone();
    other.tokenizer_sha256 = Some([7u8; 32]);
    assert_ne!(bpe.batch(1, 1, 4, 16), other.batch(1, 1, 4, 16));
    // And a tokenizer of another size gives other tokens.
    let small = Tokenizer::from_bytes(
        train_bpe(&text, 300).unwrap().as_bytes(),
        &PathBuf::from("small.json"),
    )
    .unwrap();
    let ds = Dataset::load_with(&corpus(), None, &small).unwrap();
    assert_ne!(ds.tokens, bpe.tokens);
    assert_eq!(ds.vocab, 300);
}

#[test]
fn job_with_tokenizer_trains_and_replays_bit_for_bit() {
    let j = tok_job(31, 5);
    let e = tok_engine(j.clone());
    // The model's vocabulary follows the tokenizer.
    assert_eq!(e.config.vocab, 512);
    let head = &e.init_state().unwrap().model.head;
    assert_eq!(head.weight.val().dims(), [32, 512]);
    let a = e.prove(None).unwrap();
    let b = tok_engine(j.clone()).prove(None).unwrap();
    assert_eq!(a.hashes, b.hashes);
    assert_eq!(a.commitment.tokenizer_sha256, j.tokenizer_sha256);
    for i in 1..=5 {
        assert_eq!(e.verify_step(&a, i), Verdict::Honest, "step {i}");
    }
    // The same job with the byte tokenizer is another trace.
    let mut jb = j.clone();
    jb.tokenizer_sha256 = None;
    let byte = engine(jb).prove(None).unwrap();
    assert_ne!(byte.hashes[1..], a.hashes[1..]);
    assert_ne!(byte.commitment.job_sha256, a.commitment.job_sha256);

    // A fresh process trains the same trace and replays step 4 from the
    // stored state 3.
    let dir = tmp("tok");
    std::fs::write(dir.join("job.json"), serde_json::to_vec(&j).unwrap()).unwrap();
    let run = |args: &[&str]| {
        stdout_of(
            Command::new(BIN)
                .args(args)
                .arg("--job")
                .arg(dir.join("job.json"))
                .arg("--data")
                .arg(corpus())
                .arg("--tokenizer")
                .arg(tokenizer_path()),
        )
    };
    let out_dir = dir.join("ckpt");
    let v: serde_json::Value =
        serde_json::from_str(&run(&["train", "--out", out_dir.to_str().unwrap()])).unwrap();
    let child: Vec<String> = v["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    let local: Vec<String> = a.hashes.iter().map(hex::encode).collect();
    assert_eq!(child, local);
    let state3 = out_dir.join("state-00000003.bin");
    let h4 = run(&[
        "replay",
        "--state",
        state3.to_str().unwrap(),
        "--prev-leaf",
        &hex::encode(a.hashes[3]),
        "--step",
        "4",
    ]);
    assert_eq!(h4.trim(), hex::encode(a.hashes[4]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_corrupt_or_mismatched_tokenizer_is_a_clear_error() {
    let d = tmp("badtok");
    // Missing file.
    let missing = d.join("nope/tokenizer.json");
    let e = Tokenizer::load(&missing, None).unwrap_err();
    assert!(matches!(e, EngineError::TokenizerMissing { .. }), "{e}");
    assert!(e.to_string().contains("nope/tokenizer.json"), "{e}");
    // Corrupt: garbage, truncated, valid JSON of the wrong shape.
    let shipped = std::fs::read(tokenizer_path()).unwrap();
    for (name, bytes) in [
        ("garbage.json", b"\x00\xffnot json".to_vec()),
        ("truncated.json", shipped[..shipped.len() / 2].to_vec()),
        ("shape.json", b"{\"model\": 3}".to_vec()),
    ] {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = Tokenizer::load(&p, None).unwrap_err();
        assert!(
            matches!(e, EngineError::TokenizerCorrupt { .. }),
            "{name}: {e}"
        );
        assert!(e.to_string().contains(name), "{e}");
    }
    // Hash mismatch names both hashes.
    let e = Tokenizer::load(&tokenizer_path(), Some(&"ab".repeat(32))).unwrap_err();
    match &e {
        EngineError::TokenizerHashMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, &"ab".repeat(32));
            assert_eq!(Some(actual.clone()), tokenizer().sha256_hex());
        }
        other => panic!("{other}"),
    }
    // Through the engine: a job naming another tokenizer file.
    let mut j = tok_job(1, 2);
    j.tokenizer_sha256 = Some("cd".repeat(32));
    let e = tok_load(j).unwrap_err();
    assert!(
        matches!(e, EngineError::TokenizerHashMismatch { .. }),
        "{e}"
    );
    // The job names a tokenizer but none is given, and the reverse.
    let e = Engine::load(tok_job(1, 2), &corpus(), BackendKind::Flex).unwrap_err();
    assert!(matches!(e, EngineError::InvalidJob(_)), "{e}");
    let e = tok_load(job(1, 2)).unwrap_err();
    assert!(matches!(e, EngineError::InvalidJob(_)), "{e}");
    // A dataset tokenized with bytes does not fit a job naming a tokenizer.
    let e = Engine::new(
        tok_job(1, 2),
        Dataset::load(&corpus(), None).unwrap(),
        BackendKind::Flex,
    )
    .unwrap_err();
    assert!(matches!(e, EngineError::TokenizerMismatch { .. }), "{e}");
    // A custom model whose vocabulary is not the tokenizer's.
    let mut j = tok_job(1, 2);
    j.model = "custom".into();
    j.model_config = Some(LmConfig::new(32, 1, 2, 16));
    let e = tok_load(j.clone()).unwrap_err();
    assert!(matches!(e, EngineError::InvalidConfig(_)), "{e}");
    assert!(e.to_string().contains("512"), "{e}");
    // With the right vocabulary it loads.
    j.model_config = Some(LmConfig::new(32, 1, 2, 16).with_vocab(512));
    let e = tok_load(j);
    assert_eq!(e.unwrap().config.vocab, 512);
    let _ = std::fs::remove_dir_all(&d);
}
