//! Every lifecycle path of protocol.md section 4's diagram, through the real
//! staking, reputation and marketplace contracts (and the mock rewards).

use cosmwasm_std::Uint128;
use impulse_testing::market::{default_spec, moved_to, with_job, with_network, Run};
use impulse_testing::{Outcome, SuiteBuilder};
use impulse_types::marketplace::{ExecuteMsg, JobState};

const L: u64 = 40;

#[test]
fn honest_job_settles_and_pays_everyone() {
    let mut s = SuiteBuilder::new().marketplace().build();
    let (provers, _verifiers) = s.network(2, 5);
    let trainer = s.addr("trainer");
    let spec = default_spec(s.height(), L, 1);
    let before = s.balance(&trainer);
    let (id, res) = s.submit(&trainer, &spec).unwrap();
    s.assert_invariant();
    assert!(moved_to(&res, id, JobState::Assigned), "matched on submit");
    let job = s.job(id);
    assert_eq!(job.state, JobState::Assigned);
    let prover = job.prover.clone().unwrap();
    assert!(provers.contains(&prover));
    let r = s.round(id);
    assert_eq!(r.committee.len(), 3);
    assert!(!r.committee.iter().any(|m| m.address == prover));
    // staking locked the prover for the job
    assert_eq!(s.provider(&prover).active_jobs, vec![id]);

    let run = Run::honest(1, L);
    let prover_before = s.balance(&prover);
    let res = s.drive(id, &run, &[]).unwrap();
    assert!(moved_to(&res, id, JobState::Settled));
    let job = s.job(id);
    assert_eq!(job.state, JobState::Settled);
    assert!(job.escrow.is_zero());
    // prover paid L * price
    assert_eq!(s.balance(&prover) - prover_before, (L as u128) * 10);
    assert!(s.provider(&prover).active_jobs.is_empty(), "released");
    // fee to rewards: ceil(5% of 400) = 20, half to the pool
    let rec = s.rewards_record();
    assert_eq!(rec.pool + rec.vault, Uint128::new(20));
    assert_eq!(rec.pool, Uint128::new(10));
    assert_eq!(rec.settled, 1);
    assert_eq!(rec.work.iter().filter(|w| w.1 == "prover").count(), 1);
    assert_eq!(rec.work.iter().filter(|w| w.1 == "verifier").count(), 3);
    // contribution = what the trainer paid for the verified work (issue 14)
    assert_eq!(rec.work[0].2, Uint128::new(L as u128 * 10));
    // the trainer paid exactly prover + verifiers + fee (the escalation
    // reserve came back)
    let c = s.round(id).challenged_steps.len() as u128;
    let per = c.min(4 + 1) * 10;
    assert_eq!(before - s.balance(&trainer), 400 + 3 * per + 20);
    // reputation recorded the job
    assert_eq!(s.reputation_of(&prover).unwrap().jobs_recorded, 1);
    s.assert_invariant();
}

#[test]
fn queued_without_providers_then_cancelled_with_full_refund() {
    let mut s = SuiteBuilder::new().marketplace().build();
    let trainer = s.addr("trainer");
    let spec = default_spec(s.height(), L, 1);
    let before = s.balance(&trainer);
    let (id, _) = s.submit(&trainer, &spec).unwrap();
    assert_eq!(s.job(id).state, JobState::Queued);
    let other = s.addr("other");
    s.exec_market(&other, &ExecuteMsg::CancelJob { job_id: id }, 0)
        .must_fail(&s, "may not cancel another trainer's job");
    let res = s
        .exec_market(&trainer, &ExecuteMsg::CancelJob { job_id: id }, 0)
        .must(&s);
    assert!(moved_to(&res, id, JobState::Cancelled));
    assert_eq!(s.balance(&trainer), before);
    s.exec_market(&trainer, &ExecuteMsg::CancelJob { job_id: id }, 0)
        .must_fail(&s, "is cancelled; this needs queued");
}

#[test]
fn queued_job_expires_after_its_deadline() {
    let mut s = SuiteBuilder::new().marketplace().build();
    let trainer = s.addr("trainer");
    let mut spec = default_spec(s.height(), L, 1);
    spec.deadline = s.height() + 20;
    let before = s.balance(&trainer);
    let (id, _) = s.submit(&trainer, &spec).unwrap();
    s.advance(20);
    let res = s.process_timeouts().must(&s);
    assert!(!moved_to(&res, id, JobState::Expired), "not yet past");
    s.advance(1);
    let res = s.process_timeouts().must(&s);
    assert!(moved_to(&res, id, JobState::Expired));
    assert_eq!(s.balance(&trainer), before);
}

#[test]
fn scheduler_crank_matches_a_job_queued_before_providers_came() {
    let mut s = SuiteBuilder::new().marketplace().build();
    let id = s.submit_default(L, 1);
    assert_eq!(s.job(id).state, JobState::Queued);
    s.network(1, 3);
    let res = s.run_scheduler(None).must(&s);
    assert!(moved_to(&res, id, JobState::Assigned));
}

#[test]
fn missed_training_deadline_is_a_benign_fault_and_requeues() {
    let (mut s, id) = with_job(2, 4, L, 1);
    let (prover, stake_before) = s.prover_of(id);
    let escrow_before = s.job(id).escrow;
    let p = s.market_params();
    // The committee commits its secrets; the prover never commits.
    s.commit_secrets(id).unwrap();
    s.advance_live(p.train_base_blocks + L * p.blocks_per_step + 1);
    let res = s.process_timeouts().must(&s);
    assert!(moved_to(&res, id, JobState::Queued));
    // max(5% of L * price = 20, min_benign_slash) from stake into the escrow
    let floor = s.staking_config().params.min_benign_slash;
    assert_eq!(stake_before - s.provider(&prover).stake, floor);
    assert_eq!(s.job(id).escrow, escrow_before + floor);
    assert!(s.provider(&prover).active_jobs.is_empty());
    assert_eq!(s.job(id).attempts, 1);
    // the crank matches it again, to another prover (issue 14)
    s.run_scheduler(None).must(&s);
    assert_eq!(s.job(id).state, JobState::Assigned);
    assert_eq!(s.job(id).attempts, 2);
    assert_ne!(s.job(id).prover, Some(prover));
}

#[test]
fn max_attempts_then_failed_with_refund() {
    let mut s = with_network(3, 5);
    let trainer = s.addr("trainer");
    let spec = default_spec(s.height(), L, 1);
    let before = s.balance(&trainer);
    let (id, _) = s.submit(&trainer, &spec).unwrap();
    let p = s.market_params();
    let mut last = None;
    for _ in 0..p.max_attempts {
        assert_eq!(s.job(id).state, JobState::Assigned);
        s.commit_secrets(id).unwrap();
        s.advance_live(p.train_base_blocks + L * p.blocks_per_step + 1);
        last = Some(s.process_timeouts().must(&s));
        s.run_scheduler(None).must(&s);
    }
    assert!(moved_to(&last.unwrap(), id, JobState::Failed));
    let job = s.job(id);
    assert_eq!(job.state, JobState::Failed);
    assert!(job.escrow.is_zero());
    // the trainer got its budget back plus the benign slash proceeds
    let floor = s.staking_config().params.min_benign_slash.u128();
    assert_eq!(s.balance(&trainer) - before, 3 * floor);
    assert_eq!(s.rewards_record().failed, 1);
}

#[test]
fn fraud_is_slashed_and_the_job_requeued_then_settled_by_another_prover() {
    let (mut s, id) = with_job(2, 6, L, 1);
    let (cheat, stake) = s.prover_of(id);
    // falsify the last step: always challenged
    let run = Run::cheating(1, L, &[L]);
    let res = s.drive(id, &run, &[]).unwrap();
    assert!(moved_to(&res, id, JobState::Queued));
    let p = s.provider(&cheat);
    assert!(p.banned, "fraud bans");
    assert_eq!(
        p.stake,
        stake - stake.mul_ceil(cosmwasm_std::Decimal::percent(75))
    );
    assert!(p.active_jobs.is_empty());
    assert!(!s.market_provider(&cheat).unwrap().indexed);
    // honest committee got slash shares
    let r_committee: Vec<_> = s
        .all_providers()
        .iter()
        .filter(|x| !x.claimable.is_zero())
        .map(|x| x.address.clone())
        .collect();
    assert_eq!(r_committee.len(), 3);
    s.run_scheduler(None).must(&s);
    let job = s.job(id);
    assert_eq!(job.state, JobState::Assigned);
    assert_ne!(job.prover.clone().unwrap(), cheat);
    let res = s.drive(id, &Run::honest(1, L), &[]).unwrap();
    assert!(moved_to(&res, id, JobState::Settled));
}
