//! A real wasmd localnet for the tests, started with the `localnet/` scripts
//! in a temporary home on free ports and stopped on drop (also when the test
//! panics).

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use impulse_chain::{ChainClient, ChainConfig, Signer};

/// Serialises the localnet tests of one binary (each runs its own node; two
/// at once would fight over the two CPU cores the CI machine has).
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The optimised staking contract built by `bash ci/build-wasm.sh`.
pub fn staking_wasm() -> Vec<u8> {
    let path = repo_root().join("artifacts/impulse_staking.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): build the contract artifacts first with `bash ci/build-wasm.sh`",
            path.display()
        )
    })
}

/// Runs `cmd` (`what`, in a panic) and returns its stdout; panics with its
/// stderr unless it succeeds.
fn stdout_of(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().expect(what);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

fn go_found() -> bool {
    Command::new("go")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

pub struct Localnet {
    home: tempfile::TempDir,
    env: Vec<(String, String)>,
    pub grpc: String,
}

impl Localnet {
    /// Builds wasmd if needed (cached under ~/.cache/impulse), initialises a
    /// chain in a temporary home on free ports and starts it. `None` (after
    /// printing why) only when Go is not installed.
    pub fn start(test: &str) -> Option<Localnet> {
        if !go_found() {
            eprintln!(
                "SKIPPED {test}: Go is not installed, so wasmd cannot be built \
                 (install Go >= 1.24 to run the real-chain tests)"
            );
            return None;
        }
        let home = tempfile::Builder::new()
            .prefix("impulse-localnet-")
            .tempdir()
            .expect("temp dir");
        let grpc_port = free_port();
        let env = vec![
            (
                "IMPULSE_LOCALNET_HOME".to_string(),
                home.path().display().to_string(),
            ),
            ("IMPULSE_GRPC_PORT".into(), grpc_port.to_string()),
            ("IMPULSE_RPC_PORT".into(), free_port().to_string()),
            ("IMPULSE_P2P_PORT".into(), free_port().to_string()),
            ("IMPULSE_API_PORT".into(), free_port().to_string()),
            ("IMPULSE_ABCI_PORT".into(), free_port().to_string()),
        ];
        let net = Localnet {
            home,
            env,
            grpc: format!("http://127.0.0.1:{grpc_port}"),
        };
        let t = Instant::now();
        net.script("start.sh");
        eprintln!("{test}: localnet up in {:.1?}", t.elapsed());
        Some(net)
    }

    fn script(&self, name: &str) -> String {
        let path = repo_root().join("localnet").join(name);
        let out = Command::new("bash")
            .arg(&path)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            panic!("localnet/{name} failed ({}):\n{stderr}", out.status);
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn stop(&self) {
        self.script("stop.sh");
    }

    pub fn restart(&self) {
        self.script("start.sh");
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn config(&self) -> ChainConfig {
        ChainConfig::localnet().with_endpoint(self.grpc.clone())
    }

    /// A client for the test key `name` of localnet/test-mnemonics.txt.
    pub async fn client(&self, name: &str) -> ChainClient {
        let signer = Signer::from_mnemonic(&test_mnemonic(name), "wasm").unwrap();
        ChainClient::connect(self.config(), signer)
            .await
            .unwrap_or_else(|e| panic!("connect {name}: {e}"))
    }

    /// The address wasmd's own keyring derived for test key `name`.
    pub fn wasmd_address(&self, name: &str) -> String {
        // build.sh prints the cached binary's path (instant when built).
        let built = stdout_of(
            Command::new("bash").arg(repo_root().join("localnet/build.sh")),
            "localnet/build.sh",
        );
        let bin = PathBuf::from(built.trim());
        let dir = bin.parent().expect("wasmd's directory").to_path_buf();
        let out = stdout_of(
            Command::new(dir.join("wasmd"))
                .env("LD_LIBRARY_PATH", &dir)
                .args(["keys", "show", name, "-a", "--keyring-backend", "test"])
                .arg("--home")
                .arg(self.home().join("node")),
            "wasmd keys show",
        );
        out.trim().to_string()
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let path = repo_root().join("localnet/stop.sh");
        let _ = Command::new("bash")
            .arg(path)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output();
    }
}

/// The mnemonic of test key `name` in localnet/test-mnemonics.txt.
pub fn test_mnemonic(name: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join("localnet/test-mnemonics.txt")).unwrap();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, words)| words.trim().to_string())
        .unwrap_or_else(|| panic!("no test key {name}"))
}

/// Polls `f` until it succeeds or `timeout` passes; returns the last error.
pub async fn eventually<T, E: std::fmt::Debug, F, Fut>(timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) if Instant::now() >= deadline => {
                panic!("still failing after {timeout:?}: {e:?}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}
