//! Rewards issuance over several epochs (protocol.md section 8): KPIs below,
//! at and above their targets, the multiplier and issuance recomputed here
//! independently (f64, from what the test itself recorded), the reserve
//! running dry and being refilled, and a long idle run closed in O(1).

use cosmwasm_std::{Decimal, Uint128};
use impulse_testing::rewards::RewardsSetup;
use impulse_testing::{Outcome, Suite, SuiteBuilder};
use impulse_types::rewards::{EpochResponse, JobOutcome, RewardsParams, WorkRole};

const STAKE: u128 = 250_000_000;
const MAX_ISSUANCE: f64 = 1_000_000_000.0;

/// What the test records in one epoch.
#[derive(Default, Clone)]
struct Plan {
    /// (provider index, contribution) of prover work.
    provers: Vec<(usize, u128)>,
    /// (provider index, contribution) of verifier work.
    verifiers: Vec<(usize, u128)>,
    /// (outcome, to_pool, to_vault).
    jobs: Vec<(JobOutcome, u128, u128)>,
}

impl Plan {
    /// Providers 0 to 10 prove `work` each, `verifiers` verify, and one
    /// settled job pays `(to_pool, to_vault)` before `more` settled jobs
    /// without fees.
    fn busy(work: u128, verifiers: Vec<(usize, u128)>, fee: (u128, u128), more: usize) -> Plan {
        let mut jobs = vec![(JobOutcome::Settled, fee.0, fee.1)];
        jobs.extend(vec![(JobOutcome::Settled, 0, 0); more]);
        Plan {
            provers: (0..11).map(|i| (i, work)).collect(),
            verifiers,
            jobs,
        }
    }
}

/// The protocol's formula, computed independently of the contract.
struct Model {
    reserve: f64,
    fee_history: Vec<f64>,
    epoch: u64,
}

struct Expected {
    kpis: [f64; 4],
    targets: [f64; 4],
    m: f64,
    issuance: f64,
}

impl Model {
    fn close(&mut self, plan: &Plan, scores: &[f64]) -> Expected {
        let p = RewardsParams::default();
        let growth = 1.001f64.powi(self.epoch as i32);
        let targets = [1_000_000.0 * growth, 10.0 * growth, 1.05, 0.95];
        let volume: f64 = plan.provers.iter().map(|(_, c)| *c as f64).sum();
        let mut active: Vec<usize> = plan
            .provers
            .iter()
            .filter(|(i, _)| scores[*i] > 0.8)
            .map(|(i, _)| *i)
            .collect();
        active.sort();
        active.dedup();
        let fees: f64 = plan.jobs.iter().map(|(_, a, b)| (*a + *b) as f64).sum();
        let avg = if self.fee_history.is_empty() {
            0.0
        } else {
            // the contract averages in integers (floor)
            (self.fee_history.iter().sum::<f64>() / self.fee_history.len() as f64).floor()
        };
        let growth_kpi = if avg == 0.0 {
            if fees > 0.0 {
                targets[2]
            } else {
                0.0
            }
        } else {
            fees / avg + 0.0
        };
        let settled = plan
            .jobs
            .iter()
            .filter(|(o, _, _)| *o == JobOutcome::Settled)
            .count() as f64;
        let success = if plan.jobs.is_empty() {
            0.0
        } else {
            settled / plan.jobs.len() as f64
        };
        let kpis = [volume, active.len() as f64, growth_kpi, success];
        let w = [0.4, 0.2, 0.2, 0.2];
        let sum: f64 = (0..4).map(|j| w[j] * (kpis[j] / targets[j]).min(1.0)).sum();
        let m = sum.max(p.m_floor.to_string().parse::<f64>().unwrap());
        let issuance = (MAX_ISSUANCE * m).floor().min(self.reserve);
        self.reserve -= issuance;
        self.fee_history.push(fees);
        if self.fee_history.len() > 7 {
            self.fee_history.remove(0);
        }
        self.epoch += 1;
        Expected {
            kpis,
            targets,
            m,
            issuance,
        }
    }
}

fn dec(d: Decimal) -> f64 {
    d.to_string().parse().unwrap()
}

fn run(s: &mut Suite, providers: &[cosmwasm_std::Addr], plan: &Plan, job_id: &mut u64) {
    for (i, c) in &plan.provers {
        s.record_work(&providers[*i], WorkRole::Prover, *c).must(s);
    }
    for (i, c) in &plan.verifiers {
        s.record_work(&providers[*i], WorkRole::Verifier, *c)
            .must(s);
    }
    for (o, a, b) in &plan.jobs {
        *job_id += 1;
        s.record_job(*job_id, *o, *a, *b).must(s);
    }
}

fn close(s: &mut Suite) -> EpochResponse {
    let id = s.current_epoch().epoch;
    s.next_epoch();
    let anyone = s.addr("anyone");
    s.close_epoch(&anyone).must(s);
    s.epoch_record(id).unwrap()
}

#[test]
fn issuance_follows_the_kpis_and_the_reserve_runs_dry() {
    let reserve = 3_000_000_000u128;
    let mut s = SuiteBuilder::new()
        .rewards(RewardsSetup {
            reserve,
            ..RewardsSetup::default()
        })
        .build();
    let providers: Vec<_> = (0..12).map(|i| s.addr(&format!("cp{i}"))).collect();
    let mut scores = vec![0.9; 12];
    scores[11] = 0.5; // a verifier below the active threshold
    for (i, p) in providers.iter().enumerate() {
        s.register(p, STAKE).must(&s);
        s.set_score(p, Decimal::from_ratio((scores[i] * 10.0) as u128, 10u128));
    }

    let mut plans: Vec<(&str, Plan)> = vec![];
    // 0: below target. 20% of the volume, 1 of 10 active, no fee history
    // (counts as met), half the jobs failed.
    plans.push((
        "below target",
        Plan {
            provers: vec![(0, 200_000)],
            verifiers: vec![(11, 2_000)],
            jobs: vec![(JobOutcome::Settled, 600, 400), (JobOutcome::Failed, 0, 0)],
        },
    ));
    // 1: exactly at target: 1_001_000 volume, 11 active > 10.01, fees 1050 =
    // 1.05 x 1000, 19 of 20 settled.
    let mut at_target = Plan::busy(91_000, vec![(11, 10_000)], (630, 420), 18);
    at_target.jobs.push((JobOutcome::Failed, 0, 0));
    plans.push(("at target", at_target));
    // 2: above every target: capped at 1.
    let above = Plan::busy(500_000, vec![(11, 10_000)], (1_200, 800), 9);
    plans.push(("above target", above));
    // 3: nothing happens: the floor.
    plans.push(("idle (floor)", Plan::default()));
    // 4: at target again, but the reserve cannot cover it: it runs dry.
    plans.push((
        "reserve runs dry",
        Plan::busy(200_000, vec![], (3_000, 2_000), 9),
    ));
    // 5: the reserve is empty: the pool is only the fee share.
    plans.push((
        "reserve empty",
        Plan::busy(200_000, vec![(11, 1)], (3_000, 2_000), 9),
    ));

    let mut model = Model {
        reserve: reserve as f64,
        fee_history: vec![],
        epoch: 0,
    };
    let mut job_id = 0;
    println!(
        "| epoch | case | volume / target | active / target | fee growth / target | success / target | m (model) | m (contract) | issuance (model) | issuance (contract) | reserve left |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (case, plan) in &plans {
        run(&mut s, &providers, plan, &mut job_id);
        let live = s.current_epoch();
        let rec = close(&mut s);
        let e = model.close(plan, &scores);
        assert_eq!(
            live.multiplier, rec.multiplier,
            "CurrentEpoch predicted the close"
        );
        assert!(
            (dec(rec.multiplier) - e.m).abs() < 1e-12,
            "epoch {} ({case}): m {} vs model {}",
            rec.epoch,
            rec.multiplier,
            e.m
        );
        assert!(
            (rec.issuance.u128() as f64 - e.issuance).abs() <= 1.0,
            "epoch {} ({case}): issuance {} vs model {}",
            rec.epoch,
            rec.issuance,
            e.issuance
        );
        assert_eq!(rec.kpis.compute_volume.u128() as f64, e.kpis[0]);
        assert_eq!(rec.kpis.active_providers as f64, e.kpis[1]);
        assert!((dec(rec.kpis.fee_growth) - e.kpis[2]).abs() < 1e-12);
        assert!((dec(rec.kpis.success_rate) - e.kpis[3]).abs() < 1e-12);
        assert!((dec(rec.targets.compute_volume) - e.targets[0]).abs() < 1e-6);
        let fees: u128 = plan.jobs.iter().map(|(_, a, _)| a).sum();
        assert_eq!(
            rec.pool,
            rec.issuance + Uint128::new(fees),
            "pool = issuance + fee share"
        );
        let t = s.rewards_totals();
        assert!((t.reserve.u128() as f64 - model.reserve).abs() <= 1.0 * (rec.epoch + 1) as f64);
        println!(
            "| {} | {case} | {} / {:.0} | {} / {:.2} | {:.4} / {} | {:.4} / {} | {:.6} | {} | {:.0} | {} | {} |",
            rec.epoch,
            rec.kpis.compute_volume,
            e.targets[0],
            rec.kpis.active_providers,
            e.targets[1],
            e.kpis[2],
            e.targets[2],
            e.kpis[3],
            e.targets[3],
            e.m,
            rec.multiplier,
            e.issuance,
            rec.issuance,
            t.reserve
        );
    }
    let recs: Vec<_> = (0..6).map(|i| s.epoch_record(i).unwrap()).collect();
    assert!(recs[0].multiplier < Decimal::one() && recs[0].multiplier > Decimal::percent(25));
    assert_eq!(recs[1].multiplier, Decimal::one(), "exactly at target");
    assert_eq!(recs[2].multiplier, Decimal::one(), "above target is capped");
    assert_eq!(recs[3].multiplier, Decimal::percent(25), "the floor");
    assert_eq!(recs[1].issuance, Uint128::new(1_000_000_000));
    let left = reserve - recs[..4].iter().map(|r| r.issuance.u128()).sum::<u128>();
    assert_eq!(recs[4].issuance.u128(), left, "the last of the reserve");
    assert!(left < 1_000_000_000, "it ran dry");
    assert_eq!(recs[5].issuance, Uint128::zero(), "nothing left to issue");
    assert_eq!(recs[5].pool, Uint128::new(3_000), "only the fee share");
    let t = s.rewards_totals();
    assert_eq!(t.reserve, Uint128::zero());
    assert_eq!(
        t.issued.u128(),
        reserve,
        "issuance never exceeds the reserve"
    );

    // Refill: issuance resumes at the next close.
    let gov = s.gov.clone();
    s.fund_reserve(&gov, 2_000_000_000).must(&s);
    let rec = close(&mut s);
    assert_eq!(
        rec.issuance,
        Uint128::new(250_000_000),
        "idle epoch after a refill: floor"
    );
    println!(
        "| {} | refilled, idle | 0 | 0 | 0 | 0 | 0.25 | {} | 250000000 | {} | {} |",
        rec.epoch,
        rec.multiplier,
        rec.issuance,
        s.rewards_totals().reserve
    );
}

#[test]
fn a_long_idle_run_closes_in_one_step_at_the_floor() {
    let mut s = SuiteBuilder::new()
        .rewards(RewardsSetup {
            reserve: 10_000_000_000,
            ..RewardsSetup::default()
        })
        .build();
    let anyone = s.addr("anyone");
    let blocks = RewardsParams::default().epoch_blocks;
    s.rewards_rejects(|s| s.close_epoch(&anyone), "is still open until block");
    s.advance(blocks * 25 + 3);
    let res = s.close_epoch(&anyone).must(&s);
    let closes: Vec<_> = res
        .events
        .iter()
        .filter(|e| e.ty == "wasm-close_epoch")
        .collect();
    assert_eq!(
        closes.len(),
        2,
        "the epoch that ended, then one record for the idle run"
    );
    let first = s.epoch_record(0).unwrap();
    let run = s.epoch_record(1).unwrap();
    assert_eq!((first.span, run.span), (1, 24));
    assert_eq!(run.issuance, Uint128::new(24 * 250_000_000));
    assert_eq!(
        run.to_vault, run.issuance,
        "nobody earned: all to the vault"
    );
    let cur = s.current_epoch();
    assert_eq!(cur.epoch, 2);
    assert!(cur.start_height <= s.height() && s.height() < cur.end_height);
    // Ten idle epochs on a reserve of nine: it stops at the reserve.
    s.advance(blocks * 60);
    s.close_epoch(&anyone).must(&s);
    let t = s.rewards_totals();
    assert_eq!(t.reserve, Uint128::zero());
    assert_eq!(t.issued, Uint128::new(10_000_000_000));
    assert_eq!(t.vault, t.issued);
}
