//! The soundness tables of issue 14, from the protocol's default parameters
//! and from seeded runs through the real contracts:
//!
//! ```sh
//! cargo run -p impulse-testing --example soundness            # all tables
//! cargo run -p impulse-testing --example soundness -- --jobs 400
//! ```
//!
//! 1. Sybil committees: P(forged job settles) and P(an honest verifier is
//!    slashed) for a Sybil share `f` of the verifier weight, before (one
//!    committee of 3, majority decides) and now (a dispute escalates to 7).
//! 2. The same measured through the contracts (20 verifiers, seeded) next
//!    to the exact value for that population.
//! 3. Each attack's gain against its expected loss at the defaults.
//! 4. Wash trading for rewards through the four contracts: cost and gain.

use impulse_testing::analysis::{
    escalation_finite, escalation_share, escape, majority_rule, Share,
};
use impulse_testing::attacks::{wash_trade, WashTrade};
use impulse_testing::committees::simulate;
use impulse_types::marketplace::MarketplaceParams;
use impulse_types::rewards::RewardsParams;
use impulse_types::staking::StakingParams;

fn main() {
    let jobs = std::env::args()
        .skip_while(|a| a != "--jobs")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(200usize);
    committees_table();
    simulated_table(jobs);
    economics_table();
    wash_trading_table();
}

fn committees_table() {
    println!("### Sybil committees (exact, large population, k = 3)\n");
    println!("| Sybil share f | forged job settles: majority of 3 | now (escalation to 7) | honest verifier slashed: majority of 3 | now |");
    println!("|---:|---:|---:|---:|---:|");
    for f in [0.05, 0.1, 0.2, 0.33] {
        let old = majority_rule(&Share(f), 3);
        let new = escalation_share(f, 3, 7);
        println!(
            "| {f} | {:.4} | {:.4} | {:.4} | {:.4} |",
            old.forged_settles, new.forged_settles, old.honest_slashed, new.honest_slashed
        );
    }
    println!();
}

fn simulated_table(jobs: usize) {
    println!(
        "### Measured through the contracts ({jobs} forged jobs per row, 20 verifiers, seeded)\n"
    );
    println!("| Sybils of 20 | forged job settles: measured | exact | honest verifier slashed: measured | exact |");
    println!("|---:|---:|---:|---:|---:|");
    for (i, sybils) in [1usize, 2, 4, 7].into_iter().enumerate() {
        let exact = escalation_finite(20, sybils as u64, 3, 7);
        let got = simulate(20, sybils, jobs, 7_000 + i as u64);
        println!(
            "| {sybils} | {:.3} | {:.3} | {:.3} | {:.3} |",
            got.forged_settles, exact.forged_settles, got.honest_slashed, exact.honest_slashed
        );
    }
    println!();
}

fn imp(uimp: f64) -> String {
    format!("{:.2} IMP", uimp / 1e6)
}

fn economics_table() {
    let s = StakingParams::default();
    let m = MarketplaceParams::default();
    let r = RewardsParams::default();
    let slash = s.slash_fraud.to_string().parse::<f64>().unwrap();
    let prover_stake = s.min_prover_stake.u128() as f64;
    let verifier_stake = s.min_verifier_stake.u128() as f64;
    let fee = m.protocol_fee.to_string().parse::<f64>().unwrap();
    let caps = (r.reward_cap_prover + r.reward_cap_verifier)
        .to_string()
        .parse::<f64>()
        .unwrap();
    // A job of L = 1,000 steps at 1,000 uimp per step, alpha = 0.01.
    let (l, price, alpha) = (1_000f64, 1_000f64, 0.01);
    let pay = l * price;
    println!("### Each attack at the defaults (job of L = 1,000 steps at 1,000 uimp, alpha = 0.01; minimum stakes)\n");
    println!("| attack | most it can gain | expected loss | gain / loss |");
    println!("|---|---:|---:|---:|");
    for c in [1u64, 10, 100] {
        let caught = 1.0 - escape(alpha, c);
        // Skipping c steps saves at most their compute (their price).
        let gain = c as f64 * price;
        let loss = caught * (slash * prover_stake + pay);
        println!(
            "| prover skips {c} step(s) (not the last) | {} | {} | {:.2e} |",
            imp(gain),
            imp(loss),
            gain / loss
        );
    }
    let gain = pay;
    let loss = slash * prover_stake + pay;
    println!(
        "| prover fakes the last step or the final model | {} | {} (always challenged) | {:.2e} |",
        imp(gain),
        imp(loss),
        gain / loss
    );
    // A lazy verifier saves its replay work; on a forged job the honest
    // dissent escalates and it ends in the minority.
    let replays = (alpha * l).ceil() + 1.0;
    let gain = replays * m.verifier_price_per_step.u128() as f64;
    let loss = slash * verifier_stake;
    println!(
        "| lazy verifier, per forged job it rubber-stamps | {} | {} | {:.2e} |",
        imp(gain),
        imp(loss),
        gain / loss
    );
    for f in [0.05, 0.1, 0.2, 0.33] {
        let c = escalation_share(f, 3, 7);
        // The colluding prover is caught unless the job settles; each
        // caught Sybil verifier on the deciding committee loses its stake.
        let gain = c.forged_settles * pay;
        let sybil_seats = 3.0 * f + 7.0 * f;
        let loss = (1.0 - c.forged_settles)
            * (slash * prover_stake + sybil_seats * slash * verifier_stake);
        println!(
            "| forger with a Sybil share f = {f} of the verifiers | {} | {} | {:.2e} |",
            imp(gain),
            imp(loss),
            gain / loss
        );
    }
    // The last revealer of a committed secret chooses between revealing and
    // withholding without knowing either challenge (the seed takes the
    // entropy of the block the last reveal lands in): both give the forger
    // the same escape probability, so withholding gains nothing. (Before,
    // it knew the challenge: the escape probability p became
    // 1 - (1 - p)^2, a gain of p (1 - p), break-even at p = 0.5 and the
    // minimum stakes.)
    let loss = slash * verifier_stake;
    println!(
        "| withhold a committed secret | 0.00 IMP (the challenge is unknown until the last reveal lands; was {} at p = 0.5) | {} (+ ban) | 0 |",
        imp(0.25 * (slash * prover_stake + pay)),
        imp(loss),
    );
    let floor = s.min_benign_slash.u128() as f64;
    println!(
        "| price-1 prover that never trains (per timeout) | blocks one job for a training window | {} (+ suspension, never this job again) | - |",
        imp(floor)
    );
    let job_fee = fee * pay;
    println!(
        "| wash trading: own trainer pays own prover | {} (caps x fee) | {} (fee) + verification | {:.2} |",
        imp(caps * job_fee),
        imp(job_fee),
        caps
    );
    println!();
}

/// The wash trade of `tests/soundness.rs` at several sizes: a Sybil
/// trainer pays its own price-1 prover for a job declaring 10^9 model
/// units; what it cost (paid to anyone but itself) and what it earned.
fn wash_trading_table() {
    println!("### Wash trading through the four contracts (one honest job in the same epoch)\n");
    println!("| job | cost (paid to others) | rewards earned | earned / cost |");
    println!("|---|---:|---:|---:|");
    for (steps, price) in [(1u64, 1u128), (100, 1), (1_000, 100)] {
        let WashTrade { cost, gained, .. } = wash_trade(steps, price);
        println!(
            "| L = {steps}, price {price} | {cost} uimp | {gained} uimp | {:.3} |",
            gained as f64 / cost as f64
        );
    }
    println!();
}
