//! How a provider behaves: honestly, or as one of the adversaries of
//! protocol.md §11 that the demo and the tests play. The training engine
//! only knows the honest step; every cheat lives here, as a wrapper around
//! the engine's primitives.
//!
//! A behaviour is one line in the `behaviours!` table below plus an arm in
//! each hook it changes. The hooks, one `match` each, in the order a job
//! meets them:
//!
//! | hook | called by | who uses it |
//! |---|---|---|
//! | [`Conduct::acts`] | the daemon's loop | `offline` |
//! | [`Conduct::train_step`] | the prover, every step | `skip_steps`, `truncated_batch`, `stale_gradient` |
//! | [`Conduct::final_state`] | the prover, after step L | `fake_final` |
//! | [`Conduct::served`] | the prover, for every state it serves | `withhold`, `tamper_served` |
//! | [`Conduct::openings`] | the prover, when challenged | `withhold` |
//! | [`Conduct::verdict`] | a committee member | `lazy_verifier`, `false_accuser` |
//!
//! A cheating prover cheats at its `cheat_steps` (every step unless the
//! scenario names some) and is honest at the others, so a cheat at one
//! mid-run step is caught only when the challenge samples that step.

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::str::FromStr;

use bytes::Bytes;
use cosmwasm_std::Decimal;
use impulse_engine::hash::SplitMix;
use impulse_engine::{Engine, EngineError, TrainState};
use impulse_types::marketplace::Opening;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::round::Report;

/// What a behaviour cheats on (`honest`: nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Honest,
    /// Commits a trace the honest step does not produce (caught by replay).
    Training,
    /// Commits honestly but does not serve what it committed.
    Serving,
    /// Reports a verdict that is not the replay's.
    Verifying,
    /// Does nothing at all after registering.
    Absent,
}

/// Declares [`Behaviour`] from one line per behaviour: its name in
/// scenarios and on the command line, and its [`Kind`].
macro_rules! behaviours {
    ($( $(#[$attr:meta])* $variant:ident = $name:literal, $kind:ident; )*) => {
        /// A provider's behaviour (`honest` unless a scenario or
        /// `--behaviour` says otherwise).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Behaviour {
            $( $(#[$attr])* #[serde(rename = $name)] $variant, )*
        }

        impl Behaviour {
            pub const ALL: &'static [Behaviour] = &[$(Behaviour::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Behaviour::$variant => $name,)* }
            }

            pub fn kind(self) -> Kind {
                match self { $(Behaviour::$variant => Kind::$kind,)* }
            }
        }
    };
}

behaviours! {
    /// Trains, serves, verifies and reveals as the protocol says.
    #[default]
    Honest = "honest", Honest;
    /// Prover: skips the updates (copies the state) and commits the result.
    SkipSteps = "skip_steps", Training;
    /// Prover: trains on half of each batch.
    TruncatedBatch = "truncated_batch", Training;
    /// Prover: trains each step on the previous step's batch.
    StaleGradient = "stale_gradient", Training;
    /// Prover: trains honestly but commits a perturbed final model.
    FakeFinal = "fake_final", Training;
    /// Prover: trains and commits, then serves nothing and opens nothing.
    Withhold = "withhold", Serving;
    /// Prover: trains and commits honestly, opens its steps, but serves
    /// tampered states (seeded noise 1e-6) that do not hash to its leaves.
    TamperServed = "tamper_served", Serving;
    /// Verifier: commits a verdict without replaying anything.
    LazyVerifier = "lazy_verifier", Verifying;
    /// Verifier: replays, then reports a mismatch on an honest step.
    FalseAccuser = "false_accuser", Verifying;
    /// Registers and stakes, then sends nothing at all (no heartbeats, no
    /// duties).
    Offline = "offline", Absent;
}

impl Behaviour {
    /// A prover whose commitment is wrong (caught by replay).
    pub fn cheats_training(self) -> bool {
        self.kind() == Kind::Training
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
            .iter()
            .copied()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Behaviour::ALL.iter().map(|b| b.as_str()).collect();
                format!("unknown behaviour {s:?} (one of: {})", names.join(", "))
            })
    }
}

/// The steps a cheating prover cheats at (`cheat_steps = [6]` in a
/// scenario); every step when none are named.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CheatSteps(Option<BTreeSet<u64>>);

impl CheatSteps {
    /// Every step (the default).
    pub fn every() -> Self {
        CheatSteps(None)
    }

    /// Only these steps.
    pub fn only(steps: impl IntoIterator<Item = u64>) -> Self {
        CheatSteps(Some(steps.into_iter().collect()))
    }

    pub fn contains(&self, step: u64) -> bool {
        self.0.as_ref().is_none_or(|s| s.contains(&step))
    }
}

/// A behaviour as a provider plays it: the hooks the daemon calls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conduct {
    pub behaviour: Behaviour,
    pub cheat_steps: CheatSteps,
}

type EngineResult<T> = std::result::Result<T, EngineError>;

impl Conduct {
    pub fn new(behaviour: Behaviour, cheat_steps: CheatSteps) -> Self {
        Conduct {
            behaviour,
            cheat_steps,
        }
    }

    /// An honest provider.
    pub fn honest() -> Self {
        Conduct::default()
    }

    /// Hook: the daemon's loop. Whether the provider does anything after
    /// registering (heartbeats, duties, claims).
    pub fn acts(&self) -> bool {
        !matches!(self.behaviour, Behaviour::Offline)
    }

    /// Hook: train step. `state_i` from `state_{i-1}` (`i = prev.step + 1`)
    /// and its training loss (`None` when no update was computed).
    pub fn train_step(
        &self,
        e: &Engine,
        prev: &TrainState,
    ) -> EngineResult<(TrainState, Option<f32>)> {
        let i = prev.step + 1;
        if i > e.job.steps || !self.cheat_steps.contains(i) {
            let (s, loss) = e.train_step(prev)?;
            return Ok((s, Some(loss)));
        }
        let on = |batch: impulse_engine::Batch| -> EngineResult<(TrainState, Option<f32>)> {
            let (s, loss) = e.step_with_loss(prev, &batch);
            Ok((s, Some(loss)))
        };
        match self.behaviour {
            Behaviour::SkipSteps => Ok((
                TrainState {
                    step: i,
                    ..prev.clone()
                },
                None,
            )),
            Behaviour::TruncatedBatch => {
                let b = e.batch(i);
                on(b.truncated(b.rows / 2))
            }
            Behaviour::StaleGradient if i > 1 => on(e.batch(i - 1)),
            _ => on(e.batch(i)),
        }
    }

    /// Hook: final model. The state the prover commits as `state_L` (its
    /// leaf `h_L` and the final model hash) after training step L.
    pub fn final_state(&self, e: &Engine, last: TrainState) -> EngineResult<TrainState> {
        match self.behaviour {
            Behaviour::FakeFinal if self.cheat_steps.contains(last.step) => perturb(e, &last, 1e-2),
            _ => Ok(last),
        }
    }

    /// The prover's next state: [`Conduct::train_step`], then
    /// [`Conduct::final_state`] after the last step. What the prover
    /// trains, recomputes after a restart, and commits.
    pub fn next_state(
        &self,
        e: &Engine,
        prev: &TrainState,
    ) -> EngineResult<(TrainState, Option<f32>)> {
        let (s, loss) = self.train_step(e, prev)?;
        if s.step == e.job.steps {
            return Ok((self.final_state(e, s)?, loss));
        }
        Ok((s, loss))
    }

    /// Hook: serving states. What the artifact service serves as `state`
    /// (whose canonical encoding is `honest`); `None`: nothing, and then
    /// no model either.
    pub fn served(
        &self,
        e: &Engine,
        state: &TrainState,
        honest: Bytes,
    ) -> EngineResult<Option<Bytes>> {
        match self.behaviour {
            Behaviour::Withhold => Ok(None),
            Behaviour::TamperServed if self.cheat_steps.contains(state.step) => {
                Ok(Some(Bytes::from(perturb(e, state, 1e-6)?.encode())))
            }
            _ => Ok(Some(honest)),
        }
    }

    /// Hook: opening steps. The openings the prover sends for its
    /// challenged steps (none: it sends nothing).
    pub fn openings(&self, honest: Vec<Opening>) -> Vec<Opening> {
        match self.behaviour {
            Behaviour::Withhold => Vec::new(),
            _ => honest,
        }
    }

    /// Hook: verdict. What a committee member reports for the challenged
    /// `steps` and what it says about it; `replay` is the honest replay
    /// (its report and narration), run only if the behaviour needs it.
    pub async fn verdict(
        &self,
        steps: &[u64],
        tolerance: bool,
        replay: impl Future<Output = Result<(Report, String)>>,
    ) -> Result<(Report, String)> {
        match self.behaviour {
            Behaviour::LazyVerifier => Ok((
                Report {
                    hashes: vec![[0u8; 32]; steps.len()],
                    model_hash: Some([0u8; 32]),
                    distances: tolerance.then(|| vec![Decimal::zero(); steps.len()]),
                },
                format!(
                    "lazily approving {} challenged steps without replaying them",
                    steps.len()
                ),
            )),
            Behaviour::FalseAccuser => {
                let (mut report, said) = replay.await?;
                let Some(first) = report.hashes.first_mut() else {
                    return Ok((report, said));
                };
                first[0] ^= 0xff;
                if let Some(d) = report.distances.as_mut().and_then(|d| d.first_mut()) {
                    *d = Decimal::one();
                }
                Ok((
                    report,
                    format!("falsely accusing the prover at step {}", steps[0]),
                ))
            }
            _ => replay.await,
        }
    }
}

/// `state` with seeded noise of `scale` (uniform in ±`scale`) added to
/// every trainable parameter; moments and step unchanged.
fn perturb(e: &Engine, state: &TrainState, scale: f32) -> EngineResult<TrainState> {
    let mut rng = SplitMix(0xBAD);
    e.map_trainable(state, |_, values| {
        for v in values {
            *v += scale * rng.next_sym();
        }
    })
}

#[cfg(test)]
mod tests;
