//! Generates the gRPC code of `proto/impulse/artifact/v1/artifact.proto` with
//! the protoc binary shipped in `protoc-bin-vendored`, so that building needs
//! no system protoc.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let proto = root.join("impulse/artifact/v1/artifact.proto");
    println!("cargo:rerun-if-changed={}", proto.display());

    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let include = protoc_bin_vendored::include_path()?;
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc);
    // `bytes` fields as `bytes::Bytes`: the server slices a state into
    // chunks without copying it.
    config.bytes(["."]);
    tonic_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_protos_with_config(config, &[proto], &[root, include])?;
    Ok(())
}
