//! The demo's report: what `impulse demo` writes to `report.json`, renders
//! as `index.html` (the `html` module) and prints as its summary, and what the
//! tests read. Amounts are raw uimp (`Uint128`, a string in JSON like every
//! contract amount) and scores the contracts' `Decimal`s; people see them
//! through [`crate::amount::imp`] and [`crate::amount::score`].

use cosmwasm_std::{Decimal, Uint128};
use impulse_types::marketplace::JobState;
use impulse_types::rewards::Kpis;
use serde::{Deserialize, Serialize};

/// Everything one demo run did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    pub impulse_version: String,
    pub scenario: ScenarioInfo,
    pub chain: ChainInfo,
    /// Wall time of the run (s, one decimal).
    pub wall_secs: f64,
    pub invariant: Invariant,
    pub jobs: Vec<JobReport>,
    pub providers: Vec<ProviderReport>,
    /// The closed reward epochs.
    pub epochs: Vec<EpochReport>,
    /// Every provider's stake and reputation every few blocks (the charts).
    pub samples: Vec<Sample>,
    pub narration: Vec<Line>,
}

/// Which scenario ran.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScenarioInfo {
    pub name: String,
    pub seed: u64,
    /// Where it came from (a file, or the embedded default).
    pub source: String,
}

/// Which chain it ran on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChainInfo {
    /// `embedded` or `wasmd`.
    pub kind: String,
    pub chain_id: String,
    /// Block time of the embedded chain; `None` on wasmd.
    pub block_ms: Option<u64>,
    pub start_height: u64,
    pub end_height: u64,
    /// Transactions and SDK gas, where the chain counts them (wasmd).
    pub txs: Option<TxStats>,
}

/// Transactions the demo's accounts got included, and their gas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxStats {
    pub count: u64,
    pub gas_used: u64,
}

/// The conservation invariant, checked every half-second.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Invariant {
    pub held: bool,
    pub checks: u64,
    pub violations: Vec<String>,
}

/// One job, whatever its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobReport {
    pub name: String,
    pub id: u64,
    pub status: JobState,
    pub trainer: String,
    /// The last prover (scenario name), if the job was ever assigned.
    pub prover: Option<String>,
    /// The prover of each attempt, in order.
    #[serde(default)]
    pub provers: Vec<String>,
    pub attempts: u32,
    /// The challenged steps of the last round (none when the job ended
    /// without one, e.g. failed).
    #[serde(default)]
    pub challenged_steps: Vec<u64>,
    #[serde(default)]
    pub committee: Vec<String>,
    #[serde(default)]
    pub verdicts: Vec<Verdict>,
    pub budget: Uint128,
    pub escrow_left: Uint128,
    /// What the escrow paid when the job closed (from the marketplace's
    /// events): the prover, the verifiers of the majority, the protocol
    /// fee, and what went back to the trainer.
    #[serde(default)]
    pub paid_prover: Uint128,
    #[serde(default)]
    pub paid_verifiers: Uint128,
    #[serde(default)]
    pub fees: Uint128,
    #[serde(default)]
    pub refunded: Uint128,
    /// Hex of the final model hash committed on chain.
    #[serde(default)]
    pub committed_model_hash: Option<String>,
    /// Hex of the fetched model's hash, when it matched the commitment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_model_hash: Option<String>,
    /// Whether the fetched final state matched the commitment (settled
    /// jobs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_hash_matches: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_error: Option<String>,
    /// Where the trainer wrote the fetched model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out_loss: Option<HeldOutLoss>,
    #[serde(default)]
    pub loss_curve: Vec<LossPoint>,
    /// Seconds since the start at submission and at the end state.
    #[serde(default)]
    pub submitted_secs: Option<f64>,
    #[serde(default)]
    pub ended_secs: Option<f64>,
}

/// A committee member of the last round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub verifier: String,
    pub revealed: bool,
}

/// Loss on the held-out text, base model vs trained.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldOutLoss {
    pub base: f64,
    pub trained: f64,
}

/// One training step's loss, as the prover reported it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LossPoint {
    pub attempt: u32,
    pub prover: String,
    pub step: u64,
    pub loss: f32,
}

/// One provider, before and after the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderReport {
    pub name: String,
    pub address: String,
    pub behaviour: String,
    #[serde(default)]
    pub roles: Vec<String>,
    pub stake_before: Uint128,
    pub stake_after: Uint128,
    pub slashed: Uint128,
    pub banned: bool,
    #[serde(default)]
    pub missed_heartbeats: u32,
    pub reputation_before: Decimal,
    pub reputation_after: Decimal,
    #[serde(default)]
    pub rewards_claimed: Uint128,
    /// Liquid balance after staking and at the end.
    #[serde(default)]
    pub balance_before: Uint128,
    #[serde(default)]
    pub balance_after: Uint128,
    /// Stake the staking contract holds for it to claim (released
    /// unbonding, slash shares).
    #[serde(default)]
    pub stake_claimable: Uint128,
    #[serde(default)]
    pub unpaid_fine_intervals: u32,
}

/// A closed reward epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    pub epoch: u64,
    pub start_height: u64,
    pub end_height: u64,
    pub issuance: Uint128,
    pub multiplier: Decimal,
    pub kpis: Kpis,
    pub fees_in: Uint128,
    pub jobs_settled: u64,
    pub jobs_failed: u64,
}

/// A provider's stake and reputation at a height.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub height: u64,
    pub provider: String,
    pub stake: Uint128,
    pub reputation: Decimal,
}

/// One narration line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub height: u64,
    /// Seconds since the start (one decimal).
    pub secs: f64,
    pub text: String,
}

impl Report {
    /// The job named `name`.
    pub fn job(&self, name: &str) -> Option<&JobReport> {
        self.jobs.iter().find(|j| j.name == name)
    }

    /// The provider named `name`.
    pub fn provider(&self, name: &str) -> Option<&ProviderReport> {
        self.providers.iter().find(|p| p.name == name)
    }
}

/// Seconds rounded to one decimal, as the report shows them.
pub fn tenths(secs: f64) -> f64 {
    (secs * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_stay_raw_uimp_strings_in_json() {
        let p = ProviderReport {
            name: "a".into(),
            address: "wasm1a".into(),
            behaviour: "honest".into(),
            roles: vec!["prover".into()],
            stake_before: Uint128::new(1_200_000_000),
            stake_after: Uint128::new(300_000_000),
            slashed: Uint128::new(900_000_000),
            banned: true,
            missed_heartbeats: 0,
            reputation_before: Decimal::zero(),
            reputation_after: Decimal::percent(41),
            rewards_claimed: Uint128::zero(),
            balance_before: Uint128::zero(),
            balance_after: Uint128::zero(),
            stake_claimable: Uint128::zero(),
            unpaid_fine_intervals: 0,
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["stake_before"], "1200000000");
        assert_eq!(v["reputation_after"], "0.41");
        let back: ProviderReport = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);
        let r: Report = serde_json::from_str("{}").unwrap();
        assert_eq!(r, Report::default());
    }
}
