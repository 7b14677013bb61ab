//! What every command shares: the global options, printing results (text
//! for people, or one JSON document with `--output json`), one-line
//! errors, the progress bar, and small file helpers.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::Value;

use crate::connect::{default_home, ChainOpts, LOCALNET_CHAIN_ID};
use crate::error::{io, DaemonError, Result};

/// Options every chain command takes.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// gRPC endpoint of the wasmd node.
    #[arg(
        long,
        global = true,
        env = "IMPULSE_NODE",
        default_value = "http://127.0.0.1:9090"
    )]
    pub node: String,
    /// Chain id the node must serve (transactions are signed for it).
    #[arg(
        long,
        global = true,
        env = "IMPULSE_CHAIN_ID",
        default_value = LOCALNET_CHAIN_ID
    )]
    pub chain_id: String,
    /// Deployment file naming the four contracts [default: HOME/deployment.json].
    #[arg(long, global = true, env = "IMPULSE_DEPLOYMENT", value_name = "FILE")]
    pub deployment: Option<PathBuf>,
    /// Directory for keys, the deployment file and worker data [default: ~/.impulse].
    #[arg(long, global = true, env = "IMPULSE_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Signing key: a keyring name (HOME/keys/NAME.json, passphrase in
    /// IMPULSE_KEYRING_PASSPHRASE) or `test:NAME` for a public TEST-ONLY
    /// localnet key.
    #[arg(long, global = true, env = "IMPULSE_FROM", value_name = "KEY")]
    pub from: Option<String>,
    /// `human` (default) or `json` (one document on stdout).
    #[arg(long, global = true, value_enum, default_value_t = Output::Human)]
    pub output: Output,
    /// CA certificates (PEM) to trust for `https://` artifact endpoints
    /// (providers and trainers that serve with --tls-cert); without it an
    /// https endpoint is refused (no system roots are built in).
    #[arg(long, global = true, env = "IMPULSE_TLS_CA", value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
}

/// Serving artifacts over TLS (`impulse worker run`, `impulse job submit`):
/// the endpoint becomes `https://` (a dataset URI `grpcs://`), and callers
/// need the CA with --tls-ca.
#[derive(Args, Debug, Clone, Default)]
pub struct ServeTls {
    /// Certificate chain (PEM, leaf first) to serve artifacts over TLS;
    /// it must name the host callers dial.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl ServeTls {
    /// The server's TLS files, checked readable now (not at the first
    /// connection).
    pub fn files(&self) -> Result<Option<impulse_artifact::TlsFiles>> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        for p in [cert, key] {
            read_file(p)?;
        }
        Ok(Some(impulse_artifact::TlsFiles {
            cert_pem: cert.clone(),
            key_pem: key.clone(),
        }))
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Text for people; progress and narration on stderr.
    Human,
    /// One JSON document on stdout.
    Json,
}

impl Global {
    /// Where the chain and this user's files are.
    pub fn opts(&self) -> ChainOpts {
        let home = self.home.clone().unwrap_or_else(default_home);
        ChainOpts {
            node: self.node.clone(),
            chain_id: self.chain_id.clone(),
            deployment: self
                .deployment
                .clone()
                .unwrap_or_else(|| home.join("deployment.json")),
            home,
        }
    }

    /// The `--from` key of a command that signs.
    pub fn from(&self) -> Result<&str> {
        self.from.as_deref().ok_or_else(|| {
            DaemonError::Input(
                "this command signs a transaction: name the key with --from KEY (or IMPULSE_FROM)"
                    .into(),
            )
        })
    }

    /// The `--tls-ca` certificates, read.
    pub fn tls_ca(&self) -> Result<Option<Vec<u8>>> {
        self.tls_ca.as_deref().map(read_file).transpose()
    }

    /// Text for people (not JSON).
    pub fn human(&self) -> bool {
        self.output == Output::Human
    }

    /// Prints a command's result on stdout.
    pub fn print(&self, v: &Value) {
        match self.output {
            Output::Json => println!("{}", serde_json::to_string_pretty(v).expect("json")),
            Output::Human => print_human(v, 0),
        }
    }
}

fn print_human(v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::Object(_) => {
                        println!("{pad}{k}:");
                        print_human(x, indent + 2);
                    }
                    Value::Array(a) if a.iter().any(|e| e.is_object()) => {
                        println!("{pad}{k}:");
                        for (i, e) in a.iter().enumerate() {
                            println!("{pad}  - [{i}]");
                            print_human(e, indent + 4);
                        }
                    }
                    _ => println!("{pad}{k}: {}", scalar(x)),
                }
            }
        }
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                println!("{pad}- [{i}]");
                print_human(e, indent + 2);
            }
        }
        x => println!("{pad}{}", scalar(x)),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(a) if a.is_empty() => "(none)".into(),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join(", "),
        x => x.to_string(),
    }
}

/// A response as JSON, to print.
pub fn to_json<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).expect("responses serialize")
}

/// An error message on one line (node logs can span several), capped.
pub fn one_line(s: &str) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 600 {
        flat.chars().take(600).collect::<String>() + " …"
    } else {
        flat
    }
}

/// A text progress bar: `[####......] 4/10`.
pub fn bar(step: u64, total: u64) -> String {
    const W: u64 = 30;
    let total = total.max(1);
    let f = (step.min(total) * W / total) as usize;
    format!(
        "[{}{}] {step}/{total}",
        "#".repeat(f),
        ".".repeat(W as usize - f)
    )
}

pub fn read_file(p: &Path) -> Result<Vec<u8>> {
    io(p, std::fs::read(p))
}

/// A temporary directory, removed when dropped.
pub fn tempfile_dir() -> Result<tempfile::TempDir> {
    io(
        &std::env::temp_dir(),
        tempfile::Builder::new().prefix("impulse-").tempdir(),
    )
}

/// Waits for SIGTERM or Ctrl-C.
pub async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// A contract's "no such thing" (its message contains one of `markers`)
/// becomes the one-line input error `input`; any other failure keeps its
/// chain context.
pub fn missing(
    e: impulse_chain::api::Error,
    markers: &[&str],
    input: String,
    context: String,
) -> DaemonError {
    match e.contract_message() {
        Some(m) if markers.iter().any(|k| m.contains(k)) => DaemonError::Input(input),
        _ => DaemonError::Chain { context, source: e },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_print_on_one_line() {
        assert_eq!(one_line("a\n  b\tc"), "a b c");
        assert!(one_line(&"x ".repeat(1000)).chars().count() < 700);
    }

    #[test]
    fn progress_bar() {
        assert_eq!(bar(0, 10), format!("[{}] 0/10", ".".repeat(30)));
        assert_eq!(bar(10, 10), format!("[{}] 10/10", "#".repeat(30)));
        assert!(bar(5, 0).contains("5/1"));
    }
}
