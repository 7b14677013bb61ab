//! The verifier's side (protocol.md §6, point 5): replay one step from a
//! served state checked against its leaf, verify a step of a trace the way
//! a committee member does, and the tolerance-mode distance.

use impulse_protocol::MerkleTree;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::hash::sha256;
use crate::params::collect_params;
use crate::prove::Trace;
use crate::state::TrainState;

/// Outcome of verifying one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Honest,
    Fraud(String),
}

impl Engine {
    /// Replay of step `step` (>= 1): checks the served `state_{step-1}`
    /// against its leaf `prev_leaf`, recomputes `state_step` and returns it
    /// with its hash `h'_step`.
    pub fn replay(
        &self,
        served_prev: &[u8],
        prev_leaf: &[u8; 32],
        step: u64,
    ) -> Result<(TrainState, [u8; 32])> {
        if step == 0 || step > self.job.steps {
            return Err(EngineError::StepOutOfRange {
                step,
                steps: self.job.steps,
            });
        }
        let actual: [u8; 32] = sha256(served_prev);
        if &actual != prev_leaf {
            return Err(EngineError::StateHashMismatch {
                step: step - 1,
                expected: hex::encode(prev_leaf),
                actual: hex::encode(actual),
            });
        }
        let prev = self.decode(served_prev)?;
        if prev.step != step - 1 {
            return Err(EngineError::CorruptCheckpoint(format!(
                "served state is step {}, expected {}",
                prev.step,
                step - 1
            )));
        }
        let next = self.step(&prev, &self.batch(step));
        let h = next.hash();
        Ok((next, h))
    }

    /// Verifies step `step` of `trace` as a verifier would: fetch the served
    /// state and the leaves (proofs checked against the root), replay. The
    /// state is what an honest prover serves ([`Engine::serve`]).
    pub fn verify_step(&self, trace: &Trace, step: u64) -> Verdict {
        self.verify_step_with(trace, step, |s| self.serve(trace, s))
    }

    /// As [`Engine::verify_step`], with `serve(i)` giving the bytes the
    /// prover serves for `state_i`.
    pub fn verify_step_with(
        &self,
        trace: &Trace,
        step: u64,
        serve: impl FnOnce(u64) -> Result<Vec<u8>>,
    ) -> Verdict {
        let tree: MerkleTree = trace.tree();
        let root = tree.root();
        let leaf = |i: u64| -> Option<[u8; 32]> {
            let h = *trace.hashes.get(i as usize)?;
            let p = tree.proof(i).ok()?;
            impulse_protocol::verify(&root, &h, &p).then_some(h)
        };
        let (Some(prev_leaf), Some(claimed)) = (leaf(step - 1), leaf(step)) else {
            return Verdict::Fraud("leaf does not open against the root".into());
        };
        let served = match serve(step - 1) {
            Ok(b) => b,
            Err(e) => return Verdict::Fraud(format!("cannot serve state {}: {e}", step - 1)),
        };
        match self.replay(&served, &prev_leaf, step) {
            Ok((_, h)) if h == claimed => Verdict::Honest,
            Ok((_, h)) => Verdict::Fraud(format!(
                "h'_{step} = {} != committed {}",
                hex::encode(h),
                hex::encode(claimed)
            )),
            Err(e) => Verdict::Fraud(format!("served state rejected: {e}")),
        }
    }
}

/// Tolerance mode: relative L2 distance `||a - b|| / ||b||` between the
/// parameters of a replayed state `a` and a claimed state `b`.
pub fn relative_l2(replayed: &TrainState, claimed: &TrainState) -> f64 {
    let a = collect_params(&replayed.model);
    let b = collect_params(&claimed.model);
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for (k, tb) in &b {
        match a.get(k) {
            Some(ta) if ta.values.len() == tb.values.len() => {
                for (x, y) in ta.values.iter().zip(&tb.values) {
                    let d = f64::from(*x) - f64::from(*y);
                    num += d * d;
                    den += f64::from(*y) * f64::from(*y);
                }
            }
            _ => return f64::INFINITY,
        }
    }
    if den == 0.0 {
        return if num == 0.0 { 0.0 } else { f64::INFINITY };
    }
    (num / den).sqrt()
}
