//! `impulse serve`: a standalone artifact server with a dataset and the
//! shipped base model, for `job submit --detach --data-uri`. It serves to
//! anyone (it does not know the job): a private job's dataset is served by
//! `job submit --private` itself.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use bytes::Bytes;
use clap::Args;
use impulse_artifact::ServerConfig;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::common::{read_file, Global};
use crate::assets;
use crate::error::{DaemonError, Result};
use crate::store::NodeStore;
use crate::trainer;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Dataset file; the shipped corpus's training split when absent.
    #[arg(long, value_name = "FILE")]
    pub dataset: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7700")]
    pub listen: SocketAddr,
}

/// `impulse serve`: serves until Ctrl-C.
pub async fn run(g: &Global, a: ServeArgs) -> Result<ExitCode> {
    let data = match &a.dataset {
        Some(p) => read_file(p)?,
        None => trainer::corpus_split().0,
    };
    let store = NodeStore::new();
    let data_hash = store.add_blob(Bytes::from(data));
    let base_hash = store.add_blob(Bytes::from_static(assets::BASE_MODEL));
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .map_err(|e| DaemonError::Input(format!("cannot listen on {}: {e}", a.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| DaemonError::Input(e.to_string()))?;
    g.print(&json!({"data_uri": format!("grpc://{addr}"), "dataset_sha256": hex::encode(data_hash), "base_sha256": hex::encode(base_hash)}));
    let stop = CancellationToken::new();
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        });
    }
    impulse_artifact::serve(listener, store, ServerConfig::default(), stop)
        .await
        .map_err(|e| DaemonError::Input(format!("artifact server: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
