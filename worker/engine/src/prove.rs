//! The prover's side of a job (protocol.md §6, points 1 and 2): run the
//! steps, hash every state, keep every K-th one (and the last) as a
//! checkpoint, commit; recompute any state from the nearest checkpoint; and
//! serve states. The loop takes its step function as an argument: the
//! honest one is [`Engine::train_step`], and tests or adversaries outside
//! the engine pass their own.

use std::collections::BTreeMap;
use std::path::PathBuf;

use impulse_protocol::MerkleTree;

use crate::commit::Commitment;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::state::TrainState;

/// A prover's trace: leaves, stored checkpoints, commitment.
#[derive(Debug, Clone)]
pub struct Trace {
    /// `h_0..h_L`.
    pub hashes: Vec<[u8; 32]>,
    /// Stored states (canonical encodings) by step: every K-th and the last.
    pub checkpoints: BTreeMap<u64, Vec<u8>>,
    pub commitment: Commitment,
    pub final_state: Vec<u8>,
}

impl Trace {
    /// The Merkle tree over `h_0..h_L`.
    pub fn tree(&self) -> MerkleTree {
        MerkleTree::new(&self.hashes).expect("at least h_0")
    }
}

impl Engine {
    /// Runs the job honestly, storing every K-th state (and the last) in
    /// memory and, when `dir` is given, as files `state-<step>.bin` there.
    pub fn prove(&self, dir: Option<&PathBuf>) -> Result<Trace> {
        self.prove_with(|prev| Ok(self.train_step(prev)?.0), dir)
    }

    /// As [`Engine::prove`], with `next(state_{i-1})` as the step function
    /// (the honest one: `train_step`). The engine hashes, stores and commits
    /// whatever it returns.
    pub fn prove_with(
        &self,
        mut next: impl FnMut(&TrainState) -> Result<TrainState>,
        dir: Option<&PathBuf>,
    ) -> Result<Trace> {
        let k = self.job.checkpoint_every;
        let l = self.job.steps;
        let mut state = self.init_state()?;
        let mut hashes = vec![state.hash()];
        let mut checkpoints = BTreeMap::new();
        let mut store = |step: u64, s: &TrainState| -> Result<()> {
            let bytes = s.encode();
            if let Some(d) = dir {
                std::fs::create_dir_all(d).map_err(|source| EngineError::Io {
                    path: d.clone(),
                    source,
                })?;
                let p = d.join(format!("state-{step:08}.bin"));
                std::fs::write(&p, &bytes).map_err(|source| EngineError::Io { path: p, source })?;
            }
            checkpoints.insert(step, bytes);
            Ok(())
        };
        store(0, &state)?;
        for i in 1..=l {
            state = next(&state)?;
            hashes.push(state.hash());
            if i % k == 0 || i == l {
                store(i, &state)?;
            }
        }
        let commitment = self.commitment(&hashes, &state)?;
        Ok(Trace {
            hashes,
            checkpoints,
            commitment,
            final_state: state.encode(),
        })
    }

    /// Recomputes `state_step` from the nearest stored checkpoint at or
    /// before it (honestly: what a prover serves).
    pub fn recompute(&self, checkpoints: &BTreeMap<u64, Vec<u8>>, step: u64) -> Result<TrainState> {
        if step > self.job.steps {
            return Err(EngineError::StepOutOfRange {
                step,
                steps: self.job.steps,
            });
        }
        let (&k, bytes) = checkpoints
            .range(..=step)
            .next_back()
            .ok_or(EngineError::NoCheckpoint(step))?;
        let mut state = self.decode(bytes)?;
        if state.step != k {
            return Err(EngineError::CorruptCheckpoint(format!(
                "checkpoint for step {k} holds step {}",
                state.step
            )));
        }
        for i in k + 1..=step {
            state = self.step(&state, &self.batch(i));
        }
        Ok(state)
    }

    /// What an honest prover of `trace` serves for `state_step`: its stored
    /// or recomputed state.
    pub fn serve(&self, trace: &Trace, step: u64) -> Result<Vec<u8>> {
        match trace.checkpoints.get(&step) {
            Some(b) => Ok(b.clone()),
            None => Ok(self.recompute(&trace.checkpoints, step)?.encode()),
        }
    }
}
