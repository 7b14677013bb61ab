//! How a provider behaves: honestly, or as one of the adversaries of
//! protocol.md §10 that the demo and the tests play.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A provider's behaviour. Cheating provers cheat on every step from 1 on,
/// so the last step (always challenged) catches them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Trains, serves, verifies and reveals as the protocol says.
    #[default]
    Honest,
    /// Prover: skips the updates (copies the state) and commits the result.
    SkipSteps,
    /// Prover: trains on half of each batch.
    TruncatedBatch,
    /// Prover: trains each step on the previous step's batch.
    StaleGradient,
    /// Prover: trains honestly but commits a perturbed final model.
    FakeFinal,
    /// Prover: trains and commits, then serves nothing and opens nothing.
    Withhold,
    /// Verifier: commits a verdict without replaying anything.
    LazyVerifier,
    /// Verifier: replays, then reports a mismatch on an honest step.
    FalseAccuser,
    /// Registers and stakes, then sends nothing at all (no heartbeats, no
    /// duties).
    Offline,
}

impl Behaviour {
    pub const ALL: [Behaviour; 9] = [
        Behaviour::Honest,
        Behaviour::SkipSteps,
        Behaviour::TruncatedBatch,
        Behaviour::StaleGradient,
        Behaviour::FakeFinal,
        Behaviour::Withhold,
        Behaviour::LazyVerifier,
        Behaviour::FalseAccuser,
        Behaviour::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Behaviour::Honest => "honest",
            Behaviour::SkipSteps => "skip_steps",
            Behaviour::TruncatedBatch => "truncated_batch",
            Behaviour::StaleGradient => "stale_gradient",
            Behaviour::FakeFinal => "fake_final",
            Behaviour::Withhold => "withhold",
            Behaviour::LazyVerifier => "lazy_verifier",
            Behaviour::FalseAccuser => "false_accuser",
            Behaviour::Offline => "offline",
        }
    }

    /// A prover whose commitment is wrong (caught by replay).
    pub fn cheats_training(self) -> bool {
        matches!(
            self,
            Behaviour::SkipSteps
                | Behaviour::TruncatedBatch
                | Behaviour::StaleGradient
                | Behaviour::FakeFinal
        )
    }

    /// The engine's prover behaviour for a job of `steps` steps.
    pub fn engine(self, steps: u64) -> impulse_engine::Behaviour {
        let all: BTreeSet<u64> = (1..=steps).collect();
        let mut b = impulse_engine::Behaviour::honest();
        match self {
            Behaviour::SkipSteps => b.skip = all,
            Behaviour::TruncatedBatch => b.truncate = all,
            Behaviour::StaleGradient => b.stale = all,
            Behaviour::FakeFinal => b.fake_final = true,
            _ => {}
        }
        b
    }
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Behaviour {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Behaviour::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Behaviour::ALL.iter().map(|b| b.as_str()).collect();
                format!("unknown behaviour {s:?} (one of: {})", names.join(", "))
            })
    }
}
