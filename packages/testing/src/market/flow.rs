//! A verification round played by the suite (protocol.md section 6): the
//! committee commits and reveals its secrets, the prover commits its result
//! and opens the challenged steps, and each member commits and reveals a
//! verdict per its `Behaviour`. The invariant is checked after every message.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use cosmwasm_std::HexBinary;
use cw_multi_test::AppResponse;
use impulse_protocol::secret_commitment;
use impulse_types::marketplace::{ExecuteMsg, JobState};

use crate::fixtures::{
    commitment_of, hex, reveal_for, reveal_verdict_msg, salt_of, secret_of, Behaviour, Run,
};
use crate::Suite;

/// The response of the last of a sequence of messages (`None`: none sent).
pub type Last = Result<Option<AppResponse>>;

/// Member `i`'s behaviour (honest unless told otherwise).
fn behaviour_of(behaviour: &[Behaviour], i: usize) -> Behaviour {
    behaviour.get(i).copied().unwrap_or(Behaviour::Honest)
}

impl Suite {
    /// Every committee member commits its deterministic secret.
    pub fn commit_secrets(&mut self, id: u64) -> Result<()> {
        let r = self.round(id);
        for m in r.committee.iter().filter(|m| m.secret_hash.is_none()) {
            let s = secret_of(id, r.attempt, m.address.as_str());
            let secret_hash = hex(&secret_commitment(&s));
            let msg = ExecuteMsg::CommitSecret {
                job_id: id,
                secret_hash,
            };
            self.exec_market(&m.address, &msg, 0)?;
            self.assert_invariant();
        }
        Ok(())
    }

    pub fn commit_result(&mut self, id: u64, run: &Run) -> Result<AppResponse> {
        let job = self.job(id);
        let prover = job
            .prover
            .ok_or_else(|| anyhow!("job {id} has no prover"))?;
        self.exec_market(&prover, &run.commit_msg(id, job.spec.backend), 0)
    }

    /// Every member commits its secret, then the prover its result.
    pub fn commit_round(&mut self, id: u64, run: &Run) -> Result<AppResponse> {
        self.commit_secrets(id)?;
        self.commit_result(id, run)
    }

    /// Members `who` (indexes) reveal their secrets; the last response.
    pub fn reveal_secrets(&mut self, id: u64, who: &[usize]) -> Last {
        let r = self.round(id);
        let mut last = None;
        for &i in who {
            let m = &r.committee[i];
            let secret = hex(&secret_of(id, r.attempt, m.address.as_str()));
            let msg = ExecuteMsg::RevealSecret { job_id: id, secret };
            last = Some(self.exec_market(&m.address, &msg, 0)?);
            self.assert_invariant();
        }
        Ok(last)
    }

    /// The committee commits its verdicts per `behaviour` (one per member).
    pub fn commit_verdicts(&mut self, id: u64, run: &Run, behaviour: &[Behaviour]) -> Last {
        let r = self.round(id);
        let mode = self.job(id).spec.verification.mode;
        let mut commitments: BTreeMap<usize, HexBinary> = BTreeMap::new();
        let mut last = None;
        for (i, m) in r.committee.iter().enumerate() {
            let member = m.address.as_str();
            let c = match behaviour_of(behaviour, i) {
                Behaviour::Silent => continue,
                Behaviour::Copy(j) => commitments
                    .get(&j)
                    .cloned()
                    .ok_or_else(|| anyhow!("member {j} has not committed yet"))?,
                b => {
                    let rv = reveal_for(b, run, &r.challenged_steps, &mode);
                    hex(&commitment_of(member, &rv, &salt_of(id, r.draw, member)))
                }
            };
            commitments.insert(i, c.clone());
            let msg = ExecuteMsg::CommitVerdict {
                job_id: id,
                commitment: c,
            };
            last = Some(self.exec_market(&m.address, &msg, 0)?);
            self.assert_invariant();
        }
        Ok(last)
    }

    /// Reveal message of member `i` per `behaviour` (a copier reveals what it
    /// copied: the original's reveal).
    pub fn reveal_msg(&self, id: u64, run: &Run, i: usize, behaviour: &[Behaviour]) -> ExecuteMsg {
        let r = self.round(id);
        let mode = self.job(id).spec.verification.mode;
        let (src, b) = match behaviour_of(behaviour, i) {
            Behaviour::Copy(j) => (j, behaviour_of(behaviour, j)),
            b => (i, b),
        };
        let src_addr = r.committee[src].address.as_str();
        let rv = reveal_for(b, run, &r.challenged_steps, &mode);
        reveal_verdict_msg(id, &rv, &salt_of(id, r.draw, src_addr))
    }

    /// Members reveal per `behaviour`; copiers' reveals are expected to fail.
    pub fn reveal_verdicts(&mut self, id: u64, run: &Run, behaviour: &[Behaviour]) -> Last {
        let r = self.round(id);
        let mut last = None;
        for (i, m) in r.committee.iter().enumerate() {
            let b = behaviour_of(behaviour, i);
            if matches!(b, Behaviour::Silent | Behaviour::NoReveal) {
                continue;
            }
            let msg = self.reveal_msg(id, run, i, behaviour);
            let res = self.exec_market(&m.address, &msg, 0);
            if let Behaviour::Copy(_) = b {
                crate::assert_err(res, "does not match the verdict commitment");
            } else {
                last = Some(res?);
            }
            self.assert_invariant();
        }
        Ok(last)
    }

    /// The prover opens every challenged step (in chunks of the per-tx max).
    pub fn open_all(&mut self, id: u64, run: &Run) -> Last {
        let r = self.round(id);
        let prover = self.job(id).prover.ok_or_else(|| anyhow!("no prover"))?;
        let max = self.market_params().max_openings_per_tx as usize;
        let mut last = None;
        for chunk in r.challenged_steps.chunks(max) {
            last = Some(self.exec_market(&prover, &run.open_msg(id, chunk), 0)?);
            self.assert_invariant();
        }
        Ok(last)
    }

    /// A challenged round to its end: verdict commits, openings, reveals
    /// (per `behaviour`); the last reveal's response.
    pub fn finish_round(&mut self, id: u64, run: &Run, behaviour: &[Behaviour]) -> Last {
        self.commit_verdicts(id, run, behaviour)?;
        self.open_all(id, run)?;
        self.reveal_verdicts(id, run, behaviour)
    }

    /// Let a phase window of `blocks` pass and crank the timeouts.
    fn close_window(&mut self, blocks: u64) -> Result<AppResponse> {
        self.advance_live(blocks + 1);
        let res = self.process_timeouts()?;
        self.assert_invariant();
        Ok(res)
    }

    /// An assigned job from commitment to verdict: secrets, result, reveals,
    /// verdict commits, openings, reveals. The response of the last message
    /// (the one that decided, when everyone acted).
    pub fn drive(&mut self, id: u64, run: &Run, behaviour: &[Behaviour]) -> Result<AppResponse> {
        self.commit_secrets(id)?;
        self.commit_result(id, run)?;
        self.assert_invariant();
        let k = self.round(id).committee.len();
        self.reveal_secrets(id, &(0..k).collect::<Vec<_>>())?;
        let ch = self.round(id).challenged_steps;
        if let Some(m) = self.market.as_mut() {
            m.challenges.insert(id, ch);
        }
        self.commit_verdicts(id, run, behaviour)?;
        if self.job(id).state == JobState::Challenged {
            // Someone stayed silent: close the commit window.
            self.close_window(self.market_params().verify_commit_blocks)?;
        }
        self.open_all(id, run)?;
        let last = self.reveal_verdicts(id, run, behaviour)?;
        if self.job(id).state == JobState::Verifying {
            return self.close_window(self.market_params().verify_reveal_blocks);
        }
        last.ok_or_else(|| anyhow!("nothing revealed"))
    }

    /// The first assigned job whose training window is still open.
    pub fn open_assigned(&self) -> Option<u64> {
        let now = self.height();
        self.all_jobs(Some(JobState::Assigned))
            .into_iter()
            .find(|j| j.phase_deadline.is_some_and(|d| now <= d))
            .map(|j| j.id)
    }

    /// Drive the first open assigned job (if any) with an honest or a
    /// cheating run and the committee `Behaviour::committee(pick)`.
    pub fn drive_open(&mut self, cheat: bool, pick: u8) -> Result<()> {
        let Some(id) = self.open_assigned() else {
            return Ok(());
        };
        let spec = self.job(id).spec;
        let run = Run::new(spec.hyper.seed, spec.hyper.steps, cheat);
        self.drive(id, &run, &Behaviour::committee(pick)).map(drop)
    }

    /// The first open assigned job (if any) gets its secrets and an honest
    /// result committed, and nothing more.
    pub fn commit_open(&mut self) -> Result<()> {
        let Some(id) = self.open_assigned() else {
            return Ok(());
        };
        let spec = self.job(id).spec;
        let run = Run::honest(spec.hyper.seed, spec.hyper.steps);
        self.commit_round(id, &run).map(drop)
    }

    /// Let every deadline pass (six times 1,000 blocks, cranking the
    /// timeouts each time); the jobs left that have not ended.
    pub fn drain_jobs(&mut self) -> Result<Vec<(u64, JobState)>> {
        for _ in 0..6 {
            self.advance(1_000);
            self.process_timeouts()?;
            self.assert_invariant();
        }
        Ok(self
            .all_jobs(None)
            .into_iter()
            .filter(|j| !j.state.is_terminal())
            .map(|j| (j.id, j.state))
            .collect())
    }
}
