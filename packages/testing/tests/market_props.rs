//! Checklist item 20 for the marketplace: 256 seeded random sequences mixing
//! jobs, providers, verdicts, faults and timeouts keep, after every message,
//! marketplace balance == escrow + undelivered fees, staking balance == its
//! stakes, every job in exactly one state (`Suite::assert_invariant`).

use cosmwasm_std::Decimal;
use impulse_testing::market::sequence_spec;
use impulse_testing::{Suite, SuiteBuilder};
use impulse_types::marketplace::{ExecuteMsg, JobState};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    AddProver(u128),
    AddVerifier,
    Submit {
        steps: u64,
        alpha_pct: u64,
        committee: u32,
        price: u128,
    },
    Drive {
        cheat: bool,
        behaviour: u8,
    },
    CommitOnly,
    Advance(u64),
    Timeouts,
    Scheduler,
    Cancel,
    Unstake(u8),
    Donate(u128),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (1u128..4).prop_map(|x| Op::AddProver(x * 1_000_000_000)),
        2 => Just(Op::AddVerifier),
        3 => (3u64..30, 5u64..60, 3u32..5, 5u128..15).prop_map(|(steps, alpha_pct, committee, price)| Op::Submit { steps, alpha_pct, committee, price }),
        3 => (any::<bool>(), 0u8..6).prop_map(|(cheat, behaviour)| Op::Drive { cheat, behaviour }),
        1 => Just(Op::CommitOnly),
        2 => (1u64..400).prop_map(Op::Advance),
        2 => Just(Op::Timeouts),
        1 => Just(Op::Scheduler),
        1 => Just(Op::Cancel),
        1 => (0u8..8).prop_map(Op::Unstake),
        1 => (1u128..1000).prop_map(Op::Donate),
    ]
}

fn first(s: &Suite, state: JobState) -> Option<u64> {
    s.all_jobs(Some(state)).first().map(|j| j.id)
}

fn apply(s: &mut Suite, op: &Op, n: &mut u32) {
    match op {
        Op::AddProver(stake) => {
            *n += 1;
            s.provider_node(&format!("p{n}"), *stake, impulse_types::Backend::Cpu, 10);
        }
        Op::AddVerifier => {
            *n += 1;
            s.provider_node(
                &format!("v{n}"),
                300_000_000,
                impulse_types::Backend::Cpu,
                8,
            );
        }
        Op::Submit {
            steps,
            alpha_pct,
            committee,
            price,
        } => {
            let t = s.addr("trainer");
            let mut spec = sequence_spec(s.height(), *steps, *n as u64, *committee, *price);
            spec.verification.alpha = Decimal::percent(*alpha_pct);
            s.submit(&t, &spec).expect("valid submit");
        }
        Op::Drive { cheat, behaviour } => s.drive_open(*cheat, *behaviour).expect("drive"),
        Op::CommitOnly => s.commit_open().expect("secrets and result"),
        Op::Advance(b) => s.advance(*b),
        Op::Timeouts => {
            s.process_timeouts().expect("crank");
        }
        Op::Scheduler => {
            s.run_scheduler(None).expect("crank");
        }
        Op::Cancel => {
            if let Some(id) = first(s, JobState::Queued) {
                let t = s.job(id).trainer;
                s.exec_market(&t, &ExecuteMsg::CancelJob { job_id: id }, 0)
                    .expect("cancel");
            }
        }
        Op::Unstake(i) => {
            let ps = s.all_providers();
            if !ps.is_empty() {
                let p = &ps[*i as usize % ps.len()];
                let _ = s.unstake(&p.address.clone(), p.stake.u128() / 2);
            }
        }
        Op::Donate(x) => {
            let t = s.addr("trainer");
            s.donate_market(&t, *x);
        }
    }
    s.assert_invariant();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn conservation_holds_after_every_message(ops in proptest::collection::vec(op(), 1..25)) {
        let mut s = SuiteBuilder::new().marketplace().build();
        let mut n = 0u32;
        s.network(1, 3);
        for o in &ops {
            apply(&mut s, o, &mut n);
        }
        // drain: every deadline passes, every job ends or waits
        let left = s.drain_jobs().expect("crank");
        prop_assert!(left.is_empty(), "jobs left unfinished: {:?}", left);
    }
}
