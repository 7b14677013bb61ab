//! Bakes the SHA-256 of the workspace Cargo.lock into the build identity.
use sha2::{Digest, Sha256};

fn main() {
    let lock = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let hash = match std::fs::read(&lock) {
        Ok(b) => hex::encode(Sha256::digest(&b)),
        Err(_) => "unknown".to_string(),
    };
    println!("cargo:rustc-env=IMPULSE_CARGO_LOCK_SHA256={hash}");
}
