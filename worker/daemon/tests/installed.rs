//! The `impulse` binary outside a checkout, as `cargo install` leaves it:
//! copied to an empty directory, run from another one, with a fresh HOME
//! and cache. Everything it ships (scenarios, corpus, base model, the
//! localnet scripts) must come from the binary itself.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use impulse_daemon::assets;

struct Sandbox {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin/impulse");
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_impulse"), &bin).unwrap();
        for d in ["work", "home", "cache"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Sandbox { dir, bin }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// `impulse ARGS` in `work/`, with nothing of this checkout in its
    /// environment.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args)
            .current_dir(self.path("work"))
            .env("HOME", self.path("home"))
            .env("IMPULSE_CACHE", self.path("cache"))
            .stdin(Stdio::null());
        for (k, _) in std::env::vars() {
            if (k.starts_with("IMPULSE_") && k != "IMPULSE_CACHE") || k.starts_with("CARGO") {
                c.env_remove(k);
            }
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run impulse")
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_and_scenarios_come_from_the_binary() {
    let s = Sandbox::new();
    for args in [
        vec!["--help"],
        vec!["demo", "--help"],
        vec!["scenario", "--help"],
        vec!["localnet", "--help"],
        vec!["deploy", "--help"],
        vec!["keys", "--help"],
        vec!["gov", "set-param", "--help"],
        vec!["job", "submit", "--help"],
        vec!["provider", "--help"],
        vec!["query", "--help"],
        vec!["worker", "run", "--help"],
        vec!["serve", "--help"],
    ] {
        let out = s.run(&args);
        assert!(
            out.status.success(),
            "impulse {args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stdout).contains("Usage: impulse"), "{args:?}");
    }
    let out = s.run(&["scenario"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), assets::DEFAULT_SCENARIO);
    let out = s.run(&["scenario", "withhold"]);
    assert_eq!(text(&out.stdout), assets::scenario("withhold").unwrap());
    let list = text(&s.run(&["scenario", "--list"]).stdout);
    assert!(list.lines().any(|l| l == "lazy_verifier"), "{list}");
    let out = s.run(&["scenario", "nope"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).starts_with("error: no shipped scenario"));
}

#[test]
fn the_localnet_scripts_are_written_to_the_cache_and_run() {
    let s = Sandbox::new();
    // Nothing runs in the sandbox: status says so (exit status 3 of
    // status.sh), after reading go.mod for the wasmd version.
    let out = s.run(&["localnet", "status"]);
    let stdout = text(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("node:    stopped"), "{stdout}");
    assert!(
        stdout.contains("/wasmd-v"),
        "the version comes from go.mod: {stdout}"
    );
    let dirs: Vec<PathBuf> = std::fs::read_dir(s.path("cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    for (name, body) in assets::LOCALNET {
        assert_eq!(std::fs::read_to_string(dirs[0].join(name)).unwrap(), *body);
    }
}

#[test]
fn the_demo_starts_outside_a_checkout() {
    let s = Sandbox::new();
    let mut child = s
        .cmd(&["demo", "--scenario", "honest", "--out", "report"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The shipped corpus and base model are served and the job goes out.
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut seen = Vec::new();
    let submitted = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l.contains("trainer: submitted job 1") => break true,
            Ok(l) => seen.push(l),
            Err(_) => break false,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(submitted, "no job submitted:\n{}", seen.join("\n"));
    assert!(Path::new(&s.path("work/report/work")).is_dir());
}
