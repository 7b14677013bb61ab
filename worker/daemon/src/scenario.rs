//! Demo scenarios (TOML): who provides, how they behave, which jobs the
//! trainer submits, and the chain parameters the run uses. The default
//! scenario ships in `scenarios/default.toml` and is embedded in the binary.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::adversary::Behaviour;
use crate::error::{DaemonError, Result};

/// The shipped default scenario (embedded in the binary, see
/// [`crate::assets`]).
pub use crate::assets::DEFAULT_SCENARIO as DEFAULT;

/// A scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// Seed of the jobs (each job's seed is derived from it unless given).
    #[serde(default = "d_seed")]
    pub seed: u64,
    /// Wall-clock time per block of the embedded chain (ms).
    #[serde(default = "d_block_ms")]
    pub block_ms: u64,
    /// Epochs the demo closes before it ends (rewards are claimed after).
    #[serde(default = "d_epochs")]
    pub epochs: u64,
    /// Longest the demo may run (s) before it gives up with an error.
    #[serde(default = "d_timeout")]
    pub timeout_secs: u64,
    #[serde(default)]
    pub chain: ChainSettings,
    pub providers: Vec<ProviderSpec>,
    pub jobs: Vec<JobEntry>,
}

fn d_seed() -> u64 {
    7
}
fn d_block_ms() -> u64 {
    250
}
fn d_epochs() -> u64 {
    2
}
fn d_timeout() -> u64 {
    600
}

/// Contract parameters the demo sets (the rest are protocol defaults).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSettings {
    /// Rewards epoch length (blocks).
    #[serde(default = "d_epoch_blocks")]
    pub epoch_blocks: u64,
    /// Heartbeat interval (blocks).
    #[serde(default = "d_heartbeat")]
    pub heartbeat_blocks: u64,
    /// Training deadline: `train_base_blocks + L * blocks_per_step`.
    #[serde(default = "d_train_base")]
    pub train_base_blocks: u64,
    #[serde(default = "d_per_step")]
    pub blocks_per_step: u64,
    /// Window (blocks) in which a committee commits its secrets; the
    /// prover's root waits for them (protocol.md §6.3).
    #[serde(default = "d_window")]
    pub secret_blocks: u64,
    /// Reveal / verify windows (blocks).
    #[serde(default = "d_window")]
    pub reveal_blocks: u64,
    #[serde(default = "d_window")]
    pub verify_commit_blocks: u64,
    #[serde(default = "d_window")]
    pub verify_reveal_blocks: u64,
    /// What a verifier earns per challenged step (uimp).
    #[serde(default = "d_vprice")]
    pub verifier_price_per_step: u128,
}

fn d_epoch_blocks() -> u64 {
    300
}
fn d_heartbeat() -> u64 {
    40
}
fn d_train_base() -> u64 {
    120
}
fn d_per_step() -> u64 {
    4
}
fn d_window() -> u64 {
    120
}
fn d_vprice() -> u128 {
    1_000
}

impl Default for ChainSettings {
    fn default() -> Self {
        toml::from_str("").expect("defaults")
    }
}

/// The four contracts' parameters for one deployment.
#[derive(Clone, Debug)]
pub struct ProtocolParams {
    pub staking: impulse_types::staking::StakingParams,
    pub reputation: impulse_types::reputation::ReputationParams,
    pub marketplace: impulse_types::marketplace::MarketplaceParams,
    pub rewards: impulse_types::rewards::RewardsParams,
}

impl ChainSettings {
    /// The protocol defaults with these timings and the verifier price:
    /// what the demo deploys on the embedded chain and `impulse deploy` on
    /// wasmd.
    pub fn protocol_params(&self) -> ProtocolParams {
        let mut p = ProtocolParams {
            staking: Default::default(),
            reputation: Default::default(),
            marketplace: Default::default(),
            rewards: Default::default(),
        };
        p.rewards.epoch_blocks = self.epoch_blocks;
        p.staking.heartbeat_blocks = self.heartbeat_blocks;
        p.marketplace.train_base_blocks = self.train_base_blocks;
        p.marketplace.blocks_per_step = self.blocks_per_step;
        p.marketplace.secret_blocks = self.secret_blocks;
        p.marketplace.reveal_blocks = self.reveal_blocks;
        p.marketplace.verify_commit_blocks = self.verify_commit_blocks;
        p.marketplace.verify_reveal_blocks = self.verify_reveal_blocks;
        p.marketplace.verifier_price_per_step =
            cosmwasm_std::Uint128::new(self.verifier_price_per_step);
        p
    }
}

/// One provider.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    pub name: String,
    /// Staked at registration (uimp).
    pub stake: u128,
    /// Price per step (uimp).
    pub price: u128,
    #[serde(default)]
    pub behaviour: Behaviour,
    /// The steps a cheating behaviour cheats at (`cheat_steps = [6]`);
    /// every step when absent.
    #[serde(default)]
    pub cheat_steps: crate::adversary::CheatSteps,
    /// `prover`, `verifier`: what the stake must allow (checked against the
    /// staking minimums).
    #[serde(default = "d_roles")]
    pub roles: Vec<String>,
    /// Memory (GiB) and devices offered.
    #[serde(default = "d_mem")]
    pub memory_gib: u32,
    #[serde(default = "d_dev")]
    pub devices: u32,
}

fn d_roles() -> Vec<String> {
    vec!["prover".into(), "verifier".into()]
}
fn d_mem() -> u32 {
    16
}
fn d_dev() -> u32 {
    2
}

/// One job the trainer submits.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobEntry {
    pub name: String,
    /// Engine model id (`lm-ref` with the shipped base).
    #[serde(default = "d_model")]
    pub model: String,
    /// `shipped`: the base model in `worker/engine/data`; `none`: train
    /// from the seeded initialisation.
    #[serde(default = "d_base")]
    pub base: String,
    /// LoRA rank and alpha (needs a base); 0: full training.
    #[serde(default = "d_rank")]
    pub lora_rank: usize,
    #[serde(default = "d_lalpha")]
    pub lora_alpha: f64,
    /// `shipped`: the first 90 % of the shipped corpus (the rest is the
    /// held-out set); or a path to a text file.
    #[serde(default = "d_base")]
    pub dataset: String,
    pub steps: u64,
    #[serde(default = "d_batch")]
    pub batch_size: u32,
    #[serde(default = "d_lr")]
    pub lr: f64,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Challenge probability per step.
    #[serde(default = "d_alpha")]
    pub alpha: f64,
    /// Committee size.
    #[serde(default = "d_committee")]
    pub committee: u32,
    /// `exact` or `tolerance`.
    #[serde(default = "d_mode")]
    pub mode: String,
    /// Tolerance threshold (tolerance mode).
    #[serde(default = "d_tau")]
    pub tau: f64,
    /// Highest price per step the trainer pays.
    #[serde(default = "d_max_price")]
    pub max_price: u128,
    /// Budget (uimp); absent: the smallest the marketplace accepts.
    #[serde(default)]
    pub budget: Option<u128>,
    /// Memory (GiB) the job needs on its prover.
    #[serde(default = "d_job_mem")]
    pub memory_gib: u32,
    /// A private job: its dataset, states and model are served only to its
    /// trainer, prover and committee members (signed requests).
    #[serde(default)]
    pub private: bool,
}

fn d_model() -> String {
    "lm-ref".into()
}
fn d_base() -> String {
    "shipped".into()
}
fn d_rank() -> usize {
    4
}
fn d_lalpha() -> f64 {
    8.0
}
fn d_batch() -> u32 {
    8
}
fn d_lr() -> f64 {
    0.01
}
fn d_alpha() -> f64 {
    0.1
}
fn d_committee() -> u32 {
    3
}
fn d_mode() -> String {
    "exact".into()
}
fn d_tau() -> f64 {
    1e-4
}
fn d_max_price() -> u128 {
    20
}
fn d_job_mem() -> u32 {
    8
}

impl Scenario {
    /// Parses and checks a scenario.
    pub fn parse(text: &str, source: &str) -> Result<Scenario> {
        let s: Scenario =
            toml::from_str(text).map_err(|e| DaemonError::Scenario(format!("{source}: {e}")))?;
        s.check()
            .map_err(|e| DaemonError::Scenario(format!("{source}: {e}")))?;
        Ok(s)
    }

    /// Reads a scenario file.
    pub fn load(path: &Path) -> Result<Scenario> {
        let text = crate::error::io(path, std::fs::read_to_string(path))?;
        Scenario::parse(&text, &path.display().to_string())
    }

    /// The shipped default.
    pub fn default_scenario() -> Scenario {
        Scenario::parse(DEFAULT, "scenarios/default.toml").expect("the shipped scenario is valid")
    }

    fn check(&self) -> std::result::Result<(), String> {
        if self.providers.is_empty() {
            return Err("no providers".into());
        }
        if self.jobs.is_empty() {
            return Err("no jobs".into());
        }
        if self.block_ms == 0 || self.block_ms > 10_000 {
            return Err("block_ms must be 1..=10000".into());
        }
        let mut names = BTreeSet::new();
        for p in &self.providers {
            if !names.insert(&p.name) {
                return Err(format!("provider name {:?} is used twice", p.name));
            }
            if p.name.is_empty()
                || !p
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(format!(
                    "provider name {:?}: use letters, digits, - and _",
                    p.name
                ));
            }
            for r in &p.roles {
                if r != "prover" && r != "verifier" {
                    return Err(format!(
                        "provider {}: unknown role {r:?} (prover, verifier)",
                        p.name
                    ));
                }
            }
        }
        let mut jobs = BTreeSet::new();
        for j in &self.jobs {
            if !jobs.insert(&j.name) {
                return Err(format!("job name {:?} is used twice", j.name));
            }
            if j.steps == 0 || j.batch_size == 0 {
                return Err(format!(
                    "job {}: steps and batch_size must be positive",
                    j.name
                ));
            }
            if !(j.alpha > 0.0 && j.alpha <= 1.0) {
                return Err(format!("job {}: alpha must be in (0, 1]", j.name));
            }
            if j.mode != "exact" && j.mode != "tolerance" {
                return Err(format!(
                    "job {}: mode {:?} (exact, tolerance)",
                    j.name, j.mode
                ));
            }
            if j.lora_rank > 0 && j.base == "none" {
                return Err(format!(
                    "job {}: LoRA needs a base (base = \"shipped\")",
                    j.name
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_scenario_parses_and_has_what_the_issue_asks() {
        let s = Scenario::default_scenario();
        let honest = s
            .providers
            .iter()
            .filter(|p| p.behaviour == Behaviour::Honest)
            .count();
        assert!(honest >= 4);
        assert!(s.providers.iter().any(|p| p.behaviour.cheats_training()));
        assert!(s
            .providers
            .iter()
            .any(|p| p.behaviour == Behaviour::LazyVerifier));
        assert!(s.jobs.len() >= 2);
        assert!(s.epochs >= 2);
    }

    #[test]
    fn bad_scenarios_are_rejected_with_the_reason() {
        let e = Scenario::parse("name = 'x'\nproviders = []\njobs = []", "t").unwrap_err();
        assert!(e.to_string().contains("no providers"), "{e}");
        let bad = r#"
name = "x"
[[providers]]
name = "a"
stake = 1
price = 1
behaviour = "sneaky"
[[jobs]]
name = "j"
steps = 3
"#;
        let e = Scenario::parse(bad, "t").unwrap_err().to_string();
        assert!(e.contains("sneaky"), "{e}");
        let e = Scenario::parse(
            &bad.replace("sneaky", "honest")
                .replace("steps = 3", "steps = 3\nmode = \"fuzzy\""),
            "t",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("fuzzy"), "{e}");
    }
}
