//! End to end on a real wasmd localnet, everything through the `impulse`
//! binary as separate processes: deploy the four contracts, start four
//! provider daemons (one cheating prover), submit jobs with the CLI and see
//! them trained, challenged, verified and settled by real transactions.
//! Along the way: the cheater is slashed and banned on chain; the wasmd node
//! is restarted mid-job and everyone reconnects; a prover stopped with
//! SIGTERM resumes the same job from its checkpoints; a prover killed with
//! SIGKILL misses its deadline, takes the benign penalty, and the job is
//! re-queued and completed by another; a parameter changes through an x/gov
//! proposal; every bad CLI input prints one line and exits non-zero.
//!
//! Needs Go (wasmd is built once and cached) and the contract artifacts
//! (`bash ci/build-wasm.sh`); skipped with a message only when Go is missing.

#[path = "../../chain/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Localnet;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_impulse");

/// Chain timings for ~1 s blocks: short training deadlines (so a killed
/// prover times out quickly) and windows long enough for four daemons and
/// a node restart.
const TIMINGS: &str = r#"
name = "e2e"
seed = 1
[chain]
epoch_blocks = 60
heartbeat_blocks = 30
train_base_blocks = 25
blocks_per_step = 1
reveal_blocks = 20
verify_commit_blocks = 25
verify_reveal_blocks = 25
verifier_price_per_step = 1000

[[providers]]
name = "unused"
stake = 1_000_000_000
price = 1

[[jobs]]
name = "unused"
steps = 1
"#;

struct Env {
    dir: tempfile::TempDir,
    node: String,
    workers: BTreeMap<String, Child>,
}

impl Env {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("IMPULSE_HOME", self.dir.path().join("home"))
            .env("IMPULSE_NODE", &self.node)
            .env("IMPULSE_CHAIN_ID", "impulse-local")
            .env_remove("IMPULSE_FROM")
            .env_remove("IMPULSE_DEPLOYMENT")
            .stdin(Stdio::null());
        c
    }

    fn output(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run impulse")
    }

    /// Runs a command with `--output json`, expects success, parses stdout.
    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--output", "json"]);
        let out = self.output(&a);
        assert!(
            out.status.success(),
            "impulse {}: {}\n{}",
            a.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "impulse {}: stdout is not JSON ({e}): {}",
                a.join(" "),
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs a command that must fail with a one-line error containing `want`.
    fn fails(&self, args: &[&str], want: &str) {
        let out = self.output(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "impulse {} succeeded: {err}",
            args.join(" ")
        );
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines.len(),
            1,
            "impulse {}: not one line: {err}",
            args.join(" ")
        );
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains(want),
            "impulse {}: expected an error with {want:?}, got {err}",
            args.join(" ")
        );
        eprintln!("  ok: impulse {} -> {}", args.join(" "), lines[0]);
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// Starts `impulse worker run` as key `test:NAME`, logging to NAME.log
    /// (appending, so a restart keeps the earlier lines).
    fn start_worker(&mut self, name: &str, extra: &[&str]) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log(name))
            .unwrap();
        let data = self.dir.path().join("workers").join(name);
        let from = format!("test:{name}");
        let mut args = vec![
            "worker",
            "run",
            "--from",
            &from,
            "--poll-ms",
            "700",
            "--data-dir",
            data.to_str().unwrap(),
        ];
        args.extend(extra);
        let child = self
            .cmd(&args)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn worker");
        self.workers.insert(name.to_string(), child);
    }

    fn signal(&mut self, name: &str, sig: &str) -> std::process::ExitStatus {
        let mut child = self.workers.remove(name).expect("running worker");
        let st = Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        child.wait().unwrap()
    }

    fn log_text(&self, name: &str) -> String {
        std::fs::read_to_string(self.log(name)).unwrap_or_default()
    }

    fn dump_logs(&self) {
        for name in [
            "alice", "bob", "carol", "dave", "submit-1", "submit-2", "submit-3",
        ] {
            let t = self.log_text(name);
            if t.is_empty() {
                continue;
            }
            let lines: Vec<&str> = t.lines().collect();
            let from = lines.len().saturating_sub(40);
            eprintln!(
                "---- {name}.log (last 40 lines)\n{}",
                lines[from..].join("\n")
            );
        }
    }

    fn job(&self, id: u64) -> Value {
        self.json(&["query", "job", &id.to_string()])
    }

    fn provider(&self, addr: &str) -> Value {
        self.json(&["query", "provider", addr])
    }

    /// Polls job `id` until `f` accepts it.
    fn wait_job(
        &self,
        id: u64,
        what: &str,
        timeout: Duration,
        f: impl Fn(&Value) -> bool,
    ) -> Value {
        let t = Instant::now();
        loop {
            let out = self.output(&["query", "job", &id.to_string(), "--output", "json"]);
            if out.status.success() {
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                if f(&v["job"]) {
                    return v["job"].clone();
                }
            }
            if t.elapsed() > timeout {
                self.dump_logs();
                panic!("job {id}: still not {what} after {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(700));
        }
    }

    /// `impulse job submit` in the background (it serves the dataset and
    /// waits until the job ends).
    fn submit(&self, n: u32, steps: u64, fetch: Option<&Path>) -> Child {
        let log = File::create(self.log(&format!("submit-{n}"))).unwrap();
        let steps = steps.to_string();
        let mut args = vec![
            "job",
            "submit",
            "--from",
            "test:erin",
            "--steps",
            &steps,
            "--alpha",
            "0.2",
            "--committee",
            "3",
            "--seed",
            "5",
        ];
        let f;
        if let Some(p) = fetch {
            f = p.display().to_string();
            args.extend(["--fetch", &f]);
        }
        self.cmd(&args)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn job submit")
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        for (_, mut c) in std::mem::take(&mut self.workers) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The honest workers' arguments (the same on a restart).
fn honest_args(name: &str) -> Vec<&'static str> {
    let price = match name {
        "bob" => "8",
        "carol" => "9",
        "dave" => "10",
        _ => "11",
    };
    vec!["--price", price, "--keeper"]
}

fn num(v: &Value) -> u128 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an amount: {v}"))
}

fn wait_child(env: &Env, c: &mut Child, what: &str, timeout: Duration) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(st) = c.try_wait().unwrap() {
            return st;
        }
        if t.elapsed() > timeout {
            let _ = c.kill();
            env.dump_logs();
            panic!("{what} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Waits (up to 90 s) until the marketplace has a scheduler entry for
/// every address in `addrs`.
fn wait_advertised(net: &Localnet, deployment: &Path, addrs: &[&str]) {
    use impulse_types::marketplace::{ProviderEntryResponse, QueryMsg};
    let d = impulse_chain::api::Deployment::load(deployment).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let reader = net.client("validator").await;
        let t = Instant::now();
        loop {
            let mut missing = Vec::new();
            for a in addrs {
                let q = QueryMsg::Provider {
                    address: a.to_string(),
                };
                let entry: Result<ProviderEntryResponse, _> =
                    reader.query_smart(&d.marketplace, &q).await;
                if entry.is_err() {
                    missing.push(*a);
                }
            }
            if missing.is_empty() {
                return;
            }
            assert!(
                t.elapsed() < Duration::from_secs(90),
                "not advertised after 90 s: {missing:?}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
}

#[test]
fn the_protocol_runs_end_to_end_on_wasmd() {
    let Some(net) = Localnet::start("the_protocol_runs_end_to_end_on_wasmd") else {
        return;
    };
    let t0 = Instant::now();
    let mut env = Env {
        dir: tempfile::Builder::new()
            .prefix("impulse-e2e-")
            .tempdir()
            .unwrap(),
        node: net.grpc.clone(),
        workers: BTreeMap::new(),
    };
    let timings = env.dir.path().join("timings.toml");
    std::fs::write(&timings, TIMINGS).unwrap();
    let addr = |name: &str| -> String {
        env.json(&["keys", "show", &format!("test:{name}")])["address"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (alice, bob, carol, dave, frank) = (
        addr("alice"),
        addr("bob"),
        addr("carol"),
        addr("dave"),
        addr("frank"),
    );
    let name_of: BTreeMap<String, &str> = [
        (alice.clone(), "alice"),
        (bob.clone(), "bob"),
        (carol.clone(), "carol"),
        (dave.clone(), "dave"),
        (frank.clone(), "frank"),
    ]
    .into_iter()
    .collect();

    // --- deploy ---------------------------------------------------------------
    env.fails(&["query", "params"], "no deployment file");
    let artifacts = common::repo_root().join("artifacts");
    let d = env.json(&[
        "deploy",
        "--from",
        "test:validator",
        "--artifacts",
        artifacts.to_str().unwrap(),
        "--scenario",
        timings.to_str().unwrap(),
    ]);
    for c in ["staking", "reputation", "marketplace", "rewards"] {
        assert!(d[c].as_str().unwrap().starts_with("wasm1"), "{d}");
    }
    // The deployer defaults to test:validator on the localnet; a live
    // deployment is not overwritten without --force.
    env.fails(&["deploy"], "live on this chain");
    let params = env.json(&["query", "params"]);
    assert_eq!(params["marketplace"]["train_base_blocks"], 25);
    eprintln!("e2e: deployed in {:.1?}", t0.elapsed());

    // --- bad input: one line, non-zero ----------------------------------------
    env.fails(&["query", "job", "999"], "unknown job 999");
    env.fails(
        &["query", "provider", "wasm1notanaddress"],
        "malformed address",
    );
    env.fails(&["query", "provider", &dave], "not a registered provider");
    env.fails(
        &["provider", "stake", "100uatom", "--from", "test:alice"],
        "wrong denom \"uatom\"",
    );
    env.fails(
        &["job", "submit", "--from", "test:nobody", "--steps", "5"],
        "insufficient funds",
    );
    env.fails(
        &[
            "provider",
            "register",
            "--from",
            "test:alice",
            "--stake",
            "999999999999999999999999uimp",
            "--price",
            "5",
        ],
        "insufficient funds",
    );
    env.fails(
        &["job", "cancel", "999", "--from", "test:erin"],
        "unknown job 999",
    );
    env.fails(
        &["job", "watch", "12", "--node", "http://127.0.0.1:1"],
        "cannot use the node",
    );
    env.fails(&["query", "jobs", "--state", "finished"], "unknown state");
    env.fails(&["provider", "heartbeat"], "--from");
    env.fails(
        &["provider", "heartbeat", "--from", "nokey"],
        "no key named",
    );

    // --- five providers: alice cheats (cheapest, room for one job) ------------
    env.start_worker(
        "alice",
        &[
            "--behaviour",
            "skip_steps",
            "--price",
            "5",
            "--stake",
            "1200000000uimp",
            "--memory-gib",
            "8",
            "--devices",
            "1",
        ],
    );
    for name in ["bob", "carol", "dave", "frank"] {
        env.start_worker(name, &honest_args(name));
    }
    let t = Instant::now();
    loop {
        let p = env.json(&["query", "providers"]);
        if p["providers"].as_array().unwrap().len() == 5 {
            break;
        }
        if t.elapsed() > Duration::from_secs(90) {
            env.dump_logs();
            panic!("providers did not register: {p}");
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    // The scheduler must know every provider (each daemon's `Advertise`
    // landed) before job 1, so that it goes to the cheapest by the rules,
    // not by which transaction was faster.
    let deployment = env.dir.path().join("home/deployment.json");
    wait_advertised(&net, &deployment, &[&alice, &bob, &carol, &dave, &frank]);
    let alice_before = num(&env.provider(&alice)["stake"]);
    assert_eq!(alice_before, 1_200_000_000);

    // --- job 1: the cheater is caught; the node restarts mid-job --------------
    let models = env.dir.path().join("models");
    let mut s1 = env.submit(1, 12, Some(&models));
    let j = env.wait_job(1, "assigned", Duration::from_secs(60), |j| {
        j["prover"].is_string()
    });
    assert_eq!(
        j["prover"].as_str(),
        Some(alice.as_str()),
        "the cheapest prover gets job 1"
    );
    // Caught, slashed and re-queued: attempt 2 by someone else.
    let j = env.wait_job(1, "re-assigned", Duration::from_secs(180), |j| {
        j["attempts"].as_u64() >= Some(2) && j["prover"].is_string()
    });
    assert_ne!(j["prover"].as_str(), Some(alice.as_str()));
    let alice_p = env.provider(&alice);
    assert_eq!(
        num(&alice_p["stake"]),
        alice_before / 4,
        "slashed 75%: {alice_p}"
    );
    assert_eq!(alice_p["banned"], true);
    eprintln!("e2e: cheater slashed and banned at {:.1?}", t0.elapsed());
    // Restart the node while attempt 2 runs.
    net.stop();
    std::thread::sleep(Duration::from_secs(3));
    net.restart();
    eprintln!("e2e: node restarted at {:.1?}", t0.elapsed());
    let st = wait_child(&env, &mut s1, "job 1", Duration::from_secs(300));
    if !st.success() {
        env.dump_logs();
    }
    assert!(
        st.success(),
        "job submit 1: {st}\n{}",
        env.log_text("submit-1")
    );
    let j = env.job(1);
    assert_eq!(j["job"]["state"], "settled");
    assert_eq!(j["job"]["attempts"], 2);
    let file = models.join("model-job1.safetensors");
    assert!(file.exists(), "the trainer fetched the model");
    let f = env.json(&[
        "job",
        "fetch",
        "1",
        "--out",
        models.to_str().unwrap(),
        "--held-out",
        "shipped",
    ]);
    assert_eq!(f["model_hash"], j["round"]["final_model_hash"]);
    assert!(
        f["trained"].as_f64().unwrap() < f["base"].as_f64().unwrap(),
        "held-out loss went down: {f}"
    );
    eprintln!("e2e: job 1 settled at {:.1?}", t0.elapsed());

    // --- job 2: SIGTERM the prover mid-training, restart, same job resumes ----
    let mut s2 = env.submit(2, 80, None);
    let j = env.wait_job(2, "assigned", Duration::from_secs(60), |j| {
        j["prover"].is_string()
    });
    let prover = name_of[j["prover"].as_str().unwrap()].to_string();
    let t = Instant::now();
    while !env.log_text(&prover).contains("job 2 [") && t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(300));
    }
    let st = env.signal(&prover, "-TERM");
    assert!(st.success(), "SIGTERM exits cleanly: {st}");
    assert!(env
        .log_text(&prover)
        .contains("stopping: checkpoint at step"));
    env.start_worker(&prover, &honest_args(&prover));
    let st = wait_child(&env, &mut s2, "job 2", Duration::from_secs(300));
    assert!(
        st.success(),
        "job submit 2: {st}\n{}",
        env.log_text("submit-2")
    );
    let j = env.job(2);
    assert_eq!(j["job"]["attempts"], 1, "the same attempt completed: {j}");
    assert_eq!(
        j["job"]["prover"].as_str(),
        Some(
            name_of
                .iter()
                .find(|(_, n)| **n == prover)
                .unwrap()
                .0
                .as_str()
        )
    );
    assert!(env.log_text(&prover).contains("resuming training at step"));
    eprintln!(
        "e2e: job 2 resumed after SIGTERM and settled at {:.1?}",
        t0.elapsed()
    );

    // --- job 3: SIGKILL the prover; timeout, benign penalty, re-queued -------
    let mut s3 = env.submit(3, 12, None);
    let j = env.wait_job(3, "assigned", Duration::from_secs(60), |j| {
        j["prover"].is_string()
    });
    let killed_addr = j["prover"].as_str().unwrap().to_string();
    let killed = name_of[&killed_addr].to_string();
    let before = num(&env.provider(&killed_addr)["stake"]);
    let st = env.signal(&killed, "-KILL");
    assert!(!st.success());
    // The training deadline passes: a benign penalty, and the job is queued
    // again without it (a timed-out prover never gets that job back).
    let t = Instant::now();
    loop {
        let p = env.provider(&killed_addr);
        if num(&p["stake"]) < before {
            assert_eq!(p["banned"], false, "a benign fault is not a ban: {p}");
            break;
        }
        if t.elapsed() > Duration::from_secs(180) {
            env.dump_logs();
            panic!("job 3: no benign penalty for the killed prover after 180 s: {p}");
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    // Back online (as a verifier for this job): with its heartbeat overdue
    // it could not be drawn, and the other live providers are one short of
    // a prover plus a committee of 3.
    env.start_worker(&killed, &honest_args(&killed));
    let j = env.wait_job(3, "re-assigned", Duration::from_secs(180), |j| {
        j["attempts"].as_u64() >= Some(2) && j["prover"].is_string()
    });
    assert_ne!(j["prover"].as_str(), Some(killed_addr.as_str()));
    let st = wait_child(&env, &mut s3, "job 3", Duration::from_secs(300));
    assert!(
        st.success(),
        "job submit 3: {st}\n{}",
        env.log_text("submit-3")
    );
    assert_eq!(env.job(3)["job"]["state"], "settled");
    eprintln!(
        "e2e: job 3 re-queued after SIGKILL and settled at {:.1?}",
        t0.elapsed()
    );

    // --- a parameter change through x/gov -------------------------------------
    let g = env.json(&[
        "gov",
        "set-param",
        "marketplace",
        "verifier_price_per_step",
        "\"2000\"",
        "--from",
        "test:validator",
        "--voter",
        "test:validator",
    ]);
    assert_eq!(g["status"], "passed", "{g}");
    assert_eq!(
        env.json(&["query", "params"])["marketplace"]["verifier_price_per_step"],
        "2000"
    );
    eprintln!("e2e: gov proposal passed at {:.1?}", t0.elapsed());

    for name in env.workers.keys().cloned().collect::<Vec<_>>() {
        let st = env.signal(&name, "-TERM");
        assert!(st.success(), "{name} stops cleanly on SIGTERM: {st}");
    }
    eprintln!("e2e: done in {:.1?}", t0.elapsed());
}
