//! TLS: a server with a self-signed certificate (made by rcgen) serves a
//! signed client that trusts it over `https://`; a plain-text client, a
//! client without a CA and a client trusting another CA get nothing.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::{account, client_config};
use impulse_artifact::{
    ArtifactClient, ClientConfig, ClientError, MemoryStore, ServeError, ServerConfig, TlsFiles,
    Visibility,
};

/// A self-signed certificate for 127.0.0.1 and localhost: (cert PEM, key PEM).
fn self_signed() -> (String, String) {
    let c = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".into()])
        .unwrap();
    (c.cert.pem(), c.key_pair.serialize_pem())
}

fn write(dir: &Path, name: &str, pem: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, pem).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_server_serves_clients_that_trust_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed();
    let tls = TlsFiles {
        cert_pem: write(dir.path(), "cert.pem", &cert),
        key_pem: write(dir.path(), "key.pem", &key),
    };
    let verifier = account(2);
    let s = MemoryStore::new();
    let st = common::states(5, 2, 1, 50_000);
    let readers = BTreeSet::from([verifier.address.clone()]);
    let root = s
        .add_job(1, Visibility::Private { readers }, st.clone())
        .unwrap();
    let config = ServerConfig {
        tls: Some(tls),
        ..ServerConfig::default()
    };
    let srv = common::start(s, config).await;
    let https = srv.endpoint.replace("http://", "https://");

    // Trusting the certificate, signed: the private job is served (the
    // audience check works through TLS).
    let trusted = ClientConfig {
        identity: Some(verifier.identity()),
        tls_ca_pem: Some(cert.clone().into_bytes()),
        ..client_config()
    };
    let c = ArtifactClient::connect(&https, trusted.clone())
        .await
        .unwrap();
    assert_eq!(c.fetch_state(1, 1, &root).await.unwrap().bytes, st[1]);
    c.health().await.unwrap();

    let quick = ClientConfig {
        connect_attempts: 1,
        connect_timeout: Duration::from_secs(5),
        ..trusted.clone()
    };
    // Plain HTTP/2 to a TLS server: no answer.
    let plain = ArtifactClient::connect(&srv.endpoint, quick.clone()).await;
    if let Ok(c) = plain {
        assert!(c.health().await.is_err());
    }
    // https without a CA: refused before connecting.
    let none = ClientConfig {
        tls_ca_pem: None,
        ..quick.clone()
    };
    assert!(matches!(
        ArtifactClient::connect(&https, none).await,
        Err(ClientError::InvalidEndpoint { reason, .. }) if reason.contains("tls_ca_pem")
    ));
    // Trusting another certificate: the handshake fails.
    let other = ClientConfig {
        tls_ca_pem: Some(self_signed().0.into_bytes()),
        ..quick
    };
    match ArtifactClient::connect(&https, other).await {
        Err(ClientError::Connect { .. }) => {}
        Ok(c) => assert!(c.health().await.is_err()),
        Err(e) => panic!("unexpected {e}"),
    }
    srv.stop().await.unwrap();
}

/// What `serve` returns on loopback with these TLS files.
async fn serve_with_tls(
    cert_pem: std::path::PathBuf,
    key_pem: std::path::PathBuf,
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = ServerConfig {
        tls: Some(TlsFiles { cert_pem, key_pem }),
        ..ServerConfig::default()
    };
    impulse_artifact::serve(
        listener,
        MemoryStore::new(),
        config,
        tokio_util::sync::CancellationToken::new(),
    )
    .await
}

#[tokio::test]
async fn missing_or_bad_tls_files_fail_serve() {
    let dir = tempfile::tempdir().unwrap();
    let r = serve_with_tls(
        dir.path().join("missing.pem"),
        dir.path().join("missing.key"),
    )
    .await;
    assert!(matches!(r, Err(ServeError::TlsFile { path, .. }) if path.ends_with("missing.pem")));

    let r = serve_with_tls(
        write(dir.path(), "c.pem", "not a certificate"),
        write(dir.path(), "k.pem", "not a key"),
    )
    .await;
    assert!(matches!(r, Err(ServeError::Transport(_))), "{r:?}");
}
