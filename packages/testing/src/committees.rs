//! Seeded simulation of forged jobs through the real contracts, to measure
//! what `analysis` computes exactly: how often a forged job settles and how
//! often an honest verifier is slashed, when a share of the verifiers are
//! Sybils that rubber-stamp their prover's forgery.

use crate::analysis::Committees;
use crate::market::{default_spec, Behaviour, Run};
use crate::{Suite, SuiteBuilder};
use cosmwasm_std::Addr;
use impulse_types::marketplace::JobState;

/// A small deterministic generator (splitmix64) for the seeds of a run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// One forged job on a fresh network of `n` equally staked verifiers, the
/// first `sybils` of them Sybils: `(settled, an honest verifier slashed)`.
pub fn forged_job(n: usize, sybils: usize, seed: u64) -> (bool, bool) {
    let mut s = SuiteBuilder::new().marketplace().build();
    let (_, verifiers) = s.network(1, n);
    let sybil: Vec<Addr> = verifiers[..sybils].to_vec();
    // A different block (so a different committee) per seed.
    s.advance(1 + seed % 100_000);
    s.heartbeats();
    let trainer = s.addr("trainer");
    const L: u64 = 20;
    let (id, _) = s
        .submit(&trainer, &default_spec(s.height(), L, seed))
        .expect("submit");
    let run = Run::cheating(seed, L, &[L]);
    let stakes: Vec<_> = verifiers.iter().map(|v| s.provider(v).stake).collect();
    let behaviour = |s: &Suite| -> Vec<Behaviour> {
        s.round(id)
            .committee
            .iter()
            .map(|m| {
                if sybil.contains(&m.address) {
                    Behaviour::Rubberstamp
                } else {
                    Behaviour::Honest
                }
            })
            .collect()
    };
    let b = behaviour(&s);
    s.drive(id, &run, &b).expect("drive");
    // A dispute escalated: the larger committee judges the same steps.
    while s.job(id).state == JobState::Challenged {
        let b = behaviour(&s);
        s.commit_verdicts(id, &run, &b).expect("commit verdicts");
        s.reveal_verdicts(id, &run, &b).expect("reveal verdicts");
    }
    let settled = s.job(id).state == JobState::Settled;
    let honest_slashed = verifiers
        .iter()
        .zip(&stakes)
        .any(|(v, before)| !sybil.contains(v) && s.provider(v).stake < *before);
    (settled, honest_slashed)
}

/// `jobs` forged jobs (seeds from `seed`): the measured rates.
pub fn simulate(n: usize, sybils: usize, jobs: usize, seed: u64) -> Committees {
    let mut rng = Rng(seed);
    let (mut settled, mut slashed) = (0usize, 0usize);
    for _ in 0..jobs {
        let (a, b) = forged_job(n, sybils, rng.next_u64());
        settled += a as usize;
        slashed += b as usize;
    }
    Committees {
        forged_settles: settled as f64 / jobs as f64,
        honest_slashed: slashed as f64 / jobs as f64,
    }
}
