//! Graceful shutdown through a CancellationToken: streams in flight either
//! complete or end with a clear UNAVAILABLE, and `serve` returns.

mod common;

use std::time::Duration;

use common::{client, raw_state, start, states};
use impulse_artifact::pb::state_chunk;
use impulse_artifact::{ClientConfig, MemoryStore, ServerConfig, Visibility};
use tonic::Code;

const BIG: usize = 16 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_stream_completes_during_drain() {
    let s = MemoryStore::new();
    let st = states(3, 2, 1, BIG);
    let root = s.add_job(1, Visibility::Public, st.clone()).unwrap();
    let config = ServerConfig {
        chunk_size: 64 << 10,
        ..ServerConfig::default()
    };
    let srv = start(s, config).await;
    let c = client(&srv.endpoint, None).await;
    let mut stream = raw_state(&c, 1, 1).await;
    let mut received = Vec::new();
    let mut meta_hash = None;
    // Metadata and the first chunk, then shutdown is requested mid-stream.
    for _ in 0..2 {
        match stream.message().await.unwrap().unwrap().kind.unwrap() {
            state_chunk::Kind::Meta(m) => meta_hash = Some(m.state_sha256),
            state_chunk::Kind::Data(d) => received.extend_from_slice(&d),
        }
    }
    srv.shutdown.cancel();
    while let Some(m) = stream.message().await.unwrap() {
        match m.kind.unwrap() {
            state_chunk::Kind::Data(d) => received.extend_from_slice(&d),
            state_chunk::Kind::Meta(_) => panic!("metadata twice"),
        }
    }
    assert_eq!(received.len(), BIG);
    assert_eq!(received, st[1]);
    assert_eq!(
        meta_hash.unwrap().as_ref(),
        impulse_artifact::sha256(&received).as_slice()
    );
    srv.stop().await.unwrap();

    // After shutdown nothing listens: a new client cannot connect.
    let once = ClientConfig {
        connect_attempts: 1,
        connect_timeout: Duration::from_secs(2),
        ..common::client_config()
    };
    let err = impulse_artifact::ArtifactClient::connect(c.endpoint(), once)
        .await
        .unwrap_err();
    assert!(
        matches!(err, impulse_artifact::ClientError::Connect { .. }),
        "{err}"
    );
    // The verifying path on the old channel fails cleanly too.
    assert!(c.fetch_state(1, 0, &root).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_deadline_ends_streams_with_unavailable() {
    let s = MemoryStore::new();
    let st = states(4, 1, 1, BIG);
    s.add_job(1, Visibility::Public, st).unwrap();
    let config = ServerConfig {
        chunk_size: 64 << 10,
        drain_timeout: Duration::ZERO,
        ..ServerConfig::default()
    };
    let srv = start(s, config).await;
    let c = client(&srv.endpoint, None).await;
    let mut stream = raw_state(&c, 1, 1).await;
    assert!(matches!(
        stream.message().await.unwrap().unwrap().kind,
        Some(state_chunk::Kind::Meta(_))
    ));
    srv.shutdown.cancel();
    // Keep reading: what was already sent arrives, then the stream ends
    // with UNAVAILABLE (not a hang, not a silent short stream).
    let mut received = 0usize;
    let status = loop {
        match stream.message().await {
            Ok(Some(m)) => {
                if let Some(state_chunk::Kind::Data(d)) = m.kind {
                    received += d.len();
                }
            }
            Ok(None) => panic!("stream ended without a status after {received} of {BIG} bytes"),
            Err(st) => break st,
        }
    };
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(received < BIG);
    srv.stop().await.unwrap();
}
