//! The artifact service end to end: a real tonic server on 127.0.0.1 and the
//! real client (checklist item 27 and protocol.md §6 point 5).

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{
    client, client_config, raw_state, start, start_tampered, states, wait_idle, with_header, Mode,
};
use impulse_artifact::pb::{GetDatasetRequest, GetStateRequest, ModelFormat, Phase, ServingStatus};
use impulse_artifact::{
    ArtifactClient, ClientConfig, ClientError, MemoryStore, Progress, ServerConfig, Visibility,
    DEFAULT_CHUNK_SIZE,
};
use tonic::Code;

const JOB: u64 = 7;
const LAST: u64 = 5;
const BIG_STEP: u64 = 3;
const BIG: usize = 3 * (1 << 20) + (1 << 19); // 3.5 MiB

/// A store with job `JOB` (public, 6 states, one of 3.5 MiB) and its root
/// computed independently from the state hashes.
fn store() -> (MemoryStore, Vec<Bytes>, [u8; 32]) {
    let s = MemoryStore::new();
    let st = states(1, LAST, BIG_STEP, BIG);
    let hashes: Vec<[u8; 32]> = st.iter().map(|b| impulse_artifact::sha256(b)).collect();
    let root = impulse_protocol::root(&hashes).unwrap();
    assert_eq!(
        s.add_job(JOB, Visibility::Public, st.clone()).unwrap(),
        root
    );
    (s, st, root)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_chunk_state_round_trip_is_verified() {
    let (s, st, root) = store();
    let srv = start(s, ServerConfig::default()).await;
    let c = client(&srv.endpoint, None).await;
    for step in 0..=LAST {
        let v = c.fetch_state(JOB, step, &root).await.unwrap();
        assert_eq!(v.bytes, st[step as usize]);
        assert_eq!(v.hash, impulse_artifact::sha256(&st[step as usize]));
        assert_eq!((v.proof.index, v.proof.leaves), (step, LAST + 1));
        assert!(impulse_protocol::verify(&root, &v.hash, &v.proof));
    }

    // The big state crosses the wire as 1 metadata message and 4 chunks of
    // at most 1 MiB.
    let mut stream = raw_state(&c, JOB, BIG_STEP).await;
    let mut sizes = Vec::new();
    while let Some(m) = stream.message().await.unwrap() {
        match m.kind.unwrap() {
            impulse_artifact::pb::state_chunk::Kind::Meta(meta) => {
                assert!(sizes.is_empty(), "metadata comes first");
                assert_eq!(meta.total_size, BIG as u64);
                assert_eq!(meta.merkle_root.as_ref(), root.as_slice());
                sizes.push(0);
            }
            impulse_artifact::pb::state_chunk::Kind::Data(d) => sizes.push(d.len()),
        }
    }
    assert_eq!(
        sizes,
        vec![
            0,
            DEFAULT_CHUNK_SIZE,
            DEFAULT_CHUNK_SIZE,
            DEFAULT_CHUNK_SIZE,
            1 << 19
        ]
    );
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_states_proofs_and_roots_are_rejected() {
    let cases = [
        (Mode::FlipByte, "hash"),
        (Mode::FlipByteAndRehash, "proof"),
        (Mode::FlipSibling, "proof"),
        (Mode::PreviousStep, "proof"),
        (Mode::ForeignRoot, "root"),
    ];
    for (mode, expect) in cases {
        let (s, _, root) = store();
        let srv = start_tampered(s, mode).await;
        let c = client(&srv.endpoint, None).await;
        let err = c.fetch_state(JOB, BIG_STEP, &root).await.unwrap_err();
        let ok = match expect {
            "hash" => matches!(err, ClientError::HashMismatch { .. }),
            "proof" => matches!(
                err,
                ClientError::ProofRejected {
                    job: JOB,
                    step: BIG_STEP,
                    ..
                }
            ),
            _ => matches!(err, ClientError::RootMismatch { job: JOB, .. }),
        };
        assert!(ok, "{mode:?}: {err}");
        srv.stop().await.unwrap();
    }

    // An honest server checked against the wrong (e.g. another job's) root.
    let (s, _, root) = store();
    let srv = start(s, ServerConfig::default()).await;
    let c = client(&srv.endpoint, None).await;
    let mut wrong = root;
    wrong[31] ^= 1;
    let err = c.fetch_state(JOB, 2, &wrong).await.unwrap_err();
    assert!(matches!(err, ClientError::RootMismatch { .. }), "{err}");
    // The honest answer still verifies against the right root.
    c.fetch_state(JOB, 2, &root).await.unwrap();
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_unknown_requests_get_clear_statuses() {
    let (s, _, root) = store();
    let srv = start(s, ServerConfig::default()).await;
    let c = client(&srv.endpoint, None).await;

    let err = c.fetch_state(99, 0, &root).await.unwrap_err();
    assert_eq!(err.code(), Some(Code::NotFound), "{err}");
    assert!(err.to_string().contains("unknown job 99"), "{err}");

    let err = c.fetch_state(JOB, LAST + 1, &root).await.unwrap_err();
    assert_eq!(err.code(), Some(Code::OutOfRange), "{err}");
    let err = c.fetch_state(JOB, u64::MAX, &root).await.unwrap_err();
    assert_eq!(err.code(), Some(Code::OutOfRange), "{err}");

    let mut raw = c.raw();
    for len in [0, 31, 33] {
        let st = raw
            .get_dataset(GetDatasetRequest {
                sha256: Bytes::from(vec![1; len]),
            })
            .await
            .unwrap_err();
        assert_eq!(st.code(), Code::InvalidArgument, "{len}: {st:?}");
        assert!(st.message().contains("32 bytes"), "{}", st.message());
    }
    let err = c.fetch_dataset(&[5; 32]).await.unwrap_err();
    assert_eq!(err.code(), Some(Code::NotFound), "{err}");
    let err = c
        .fetch_model(JOB, ModelFormat::Safetensors, &[0; 32])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(Code::NotFound), "{err}");

    // Unknown enum value.
    let st = raw
        .get_model(impulse_artifact::pb::GetModelRequest {
            job_id: JOB,
            format: 9,
        })
        .await
        .unwrap_err();
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");

    // A request over the server's 4 KiB limit is refused by the decoder
    // before any handler runs, with the limit in the message.
    let st = raw
        .get_dataset(GetDatasetRequest {
            sha256: Bytes::from(vec![0; 8 << 10]),
        })
        .await
        .unwrap_err();
    assert_eq!(st.code(), Code::OutOfRange, "{st:?}");
    assert!(
        st.message().contains("the limit is: 4096 bytes"),
        "{}",
        st.message()
    );
    // A 2 MiB request from a client without our encode limit: the server
    // answers before the body is in and resets the stream; either way the
    // caller gets an error and the server keeps serving.
    let mut big =
        impulse_artifact::pb::artifacts_client::ArtifactsClient::connect(srv.endpoint.clone())
            .await
            .unwrap()
            .max_encoding_message_size(4 << 20);
    let st = big
        .get_dataset(GetDatasetRequest {
            sha256: Bytes::from(vec![0; 2 << 20]),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(st.code(), Code::OutOfRange | Code::Internal),
        "{st:?}"
    );
    assert_eq!(
        c.health().await.unwrap().status,
        ServingStatus::Serving as i32
    );
    assert_eq!(c.fetch_state(JOB, 1, &root).await.unwrap().step, 1);

    // A bare caller header (no signature) is refused, even on a public
    // job; a malformed signed one too (tests/auth.rs has the rest).
    for (header, value) in [
        ("impulse-caller", "impulse1verifier"),
        ("impulse-auth", "not a claim!"),
    ] {
        let req = with_header(
            GetStateRequest {
                job_id: JOB,
                step: 0,
            },
            header,
            value,
        );
        let st = raw.get_state(req).await.unwrap_err();
        assert_eq!(st.code(), Code::Unauthenticated, "{st:?}");
    }

    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_store_is_an_internal_status_not_a_crash() {
    let (s, _, root) = store();
    let srv = start_tampered(s, Mode::Panic).await;
    let c = client(&srv.endpoint, None).await;
    let err = c.fetch_state(JOB, 1, &root).await.unwrap_err();
    assert_eq!(err.code(), Some(Code::Internal), "{err}");
    assert_eq!(c.progress(JOB).await.unwrap().step, LAST);
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_caps_and_stream_limits() {
    let (s, _, root) = store();
    let config = ServerConfig {
        max_active_streams: 1,
        chunk_size: 64 << 10,
        ..ServerConfig::default()
    };
    let srv = start(s, config).await;

    // Client-side cap: refused from the metadata, before any data.
    // (Patient: the aborted stream's slot is freed when the server sees the
    // reset, which may be after the next request arrives.)
    let small = ClientConfig {
        max_state_bytes: 1 << 20,
        call_attempts: 50,
        ..client_config()
    };
    let c = ArtifactClient::connect(&srv.endpoint, small).await.unwrap();
    let err = c.fetch_state(JOB, BIG_STEP, &root).await.unwrap_err();
    assert!(
        matches!(err, ClientError::TooLarge { size, limit, .. } if size == BIG as u64 && limit == 1 << 20),
        "{err}"
    );
    c.fetch_state(JOB, 0, &root).await.unwrap();

    // Server-side cap on streams in flight: hold one open, the next is
    // refused with RESOURCE_EXHAUSTED; once it ends, streams are accepted.
    // (First the finished download's slot must be free, or the stream to
    // hold would itself be refused.)
    let c = client(&srv.endpoint, None).await;
    wait_idle(&c).await;
    let mut held = raw_state(&c, JOB, BIG_STEP).await;
    assert!(held.message().await.unwrap().is_some());
    assert_eq!(c.health().await.unwrap().active_streams, 1);
    let err = c.fetch_state(JOB, 0, &root).await.unwrap_err();
    assert_eq!(err.code(), Some(Code::ResourceExhausted), "{err}");
    assert!(err.is_transient());
    drop(held);
    // The slot is freed when the server notices the reset; retrying with
    // backoff (as the client does for this status) gets through.
    let patient = ClientConfig {
        call_attempts: 50,
        ..client_config()
    };
    let c2 = ArtifactClient::connect(&srv.endpoint, patient)
        .await
        .unwrap();
    c2.fetch_state(JOB, 0, &root).await.unwrap();
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_and_datasets_download_and_verify() {
    let (s, _, _) = store();
    let canonical = Bytes::from(common::pseudo_bytes(9, 2_500_000));
    let committed = impulse_artifact::sha256(&canonical);
    let safetensors = Bytes::from(common::pseudo_bytes(10, 1_200_000));
    s.set_model(JOB, ModelFormat::ImpulseV1, canonical.clone(), committed)
        .unwrap();
    let st_sha = s
        .set_model(
            JOB,
            ModelFormat::Safetensors,
            safetensors.clone(),
            committed,
        )
        .unwrap();
    let data = Bytes::from(common::pseudo_bytes(11, 3_000_001));
    let data_sha = s.add_dataset(data.clone()).unwrap();
    let s = Arc::new(s);
    let srv = start(s.clone(), ServerConfig::default()).await;
    let c = client(&srv.endpoint, None).await;

    let m = c
        .fetch_model(JOB, ModelFormat::ImpulseV1, &committed)
        .await
        .unwrap();
    assert_eq!(
        (m.bytes.clone(), m.sha256, m.matches_commitment),
        (canonical, committed, true)
    );
    // UNSPECIFIED means safetensors.
    let m = c
        .fetch_model(JOB, ModelFormat::Unspecified, &committed)
        .await
        .unwrap();
    assert_eq!(m.format, ModelFormat::Safetensors);
    assert_eq!(
        (m.bytes.clone(), m.sha256, m.matches_commitment),
        (safetensors, st_sha, false)
    );
    // A commitment the chain does not have.
    let err = c
        .fetch_model(JOB, ModelFormat::Safetensors, &[3; 32])
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::HashMismatch { .. }), "{err}");

    assert_eq!(c.fetch_dataset(&data_sha).await.unwrap(), data);
    let big = ClientConfig {
        max_dataset_bytes: 1 << 20,
        ..client_config()
    };
    let small = ArtifactClient::connect(&srv.endpoint, big).await.unwrap();
    assert!(matches!(
        small.fetch_dataset(&data_sha).await,
        Err(ClientError::TooLarge { .. })
    ));
    srv.stop().await.unwrap();

    // A server whose model bytes do not hash to what it announces.
    let srv = start_tampered(s, Mode::BadModel).await;
    let c = client(&srv.endpoint, None).await;
    let err = c
        .fetch_model(JOB, ModelFormat::ImpulseV1, &committed)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::HashMismatch { .. }), "{err}");
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_progress() {
    let (s, _, _) = store();
    let p = Progress {
        phase: Phase::Training,
        step: 3,
        total_steps: LAST,
        last_loss: Some(2.865_123_456_789),
        updated_at_unix_ms: 1_700_000_000_123,
    };
    s.set_progress(JOB, p.clone()).unwrap();
    let srv = start(s, ServerConfig::default()).await;
    let c = client(&srv.endpoint, None).await;
    let h = c.health().await.unwrap();
    assert_eq!(h.status, ServingStatus::Serving as i32);
    assert_eq!(h.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        (h.active_streams, h.chunk_size),
        (0, DEFAULT_CHUNK_SIZE as u32)
    );
    // The loss crosses as a decimal string and comes back exactly.
    assert_eq!(c.progress(JOB).await.unwrap(), p);
    let err = c.progress(JOB + 1).await.unwrap_err();
    assert_eq!(err.code(), Some(Code::NotFound));
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_retries_are_bounded() {
    // Bind then drop a listener: nothing listens on that port any more.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let config = ClientConfig {
        connect_attempts: 3,
        ..client_config()
    };
    let err = ArtifactClient::connect(&format!("http://{addr}"), config)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Connect { attempts: 3, .. }),
        "{err}"
    );
    let err = ArtifactClient::connect("not a uri", client_config())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::InvalidEndpoint { .. }), "{err}");
}
