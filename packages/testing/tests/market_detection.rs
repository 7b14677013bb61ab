//! Detection statistics (protocol.md section 6.7, checklist item 22).
//!
//! 1. A native simulation over the contract's own selection code
//!    (`impulse_protocol::challenged_steps`, exactly what the marketplace
//!    calls): for each (c, alpha), 2,000 seeded jobs falsify `c` random steps
//!    among `1..L-1` (the last step is always checked, so it is excluded);
//!    the caught fraction must match `1 - (1 - alpha)^c` within 4 standard
//!    errors. Run with `--nocapture` to print the table.
//! 2. 50 jobs through the real contracts: the contract convicts exactly the
//!    jobs whose falsified steps intersect the challenge.

use impulse_protocol::challenged_steps;
use impulse_testing::market::{default_spec, moved_to, Behaviour, Run};
use impulse_testing::SuiteBuilder;
use impulse_types::marketplace::JobState;

/// splitmix64: a small seeded generator, enough for sampling.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn fill(&mut self, out: &mut [u8; 32]) {
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_be_bytes());
        }
    }
    /// `c` distinct steps in `1..=max`.
    fn steps(&mut self, max: u64, c: usize) -> Vec<u64> {
        let mut out: Vec<u64> = Vec::with_capacity(c);
        while out.len() < c {
            let s = self.below(max) + 1;
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }
}

const L: u64 = 500;
const JOBS: usize = 2_000;

fn alpha_atomics(alpha_permille: u64) -> u128 {
    alpha_permille as u128 * 1_000_000_000_000_000
}

#[test]
fn caught_fraction_matches_one_minus_one_minus_alpha_to_the_c() {
    let configs: &[(u64, usize)] = &[
        (10, 1),
        (10, 10),
        (10, 50),
        (10, 100),
        (50, 1),
        (50, 5),
        (50, 20),
        (100, 1),
        (100, 5),
        (100, 10),
    ];
    let mut rng = Rng(0x1a2b_3c4d);
    let mut table = String::from(
        "| alpha | c | jobs | caught | expected 1-(1-alpha)^c | std. error | z |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for &(alpha_pm, c) in configs {
        let alpha = alpha_pm as f64 / 1000.0;
        let mut caught = 0usize;
        for _ in 0..JOBS {
            let mut seed = [0u8; 32];
            rng.fill(&mut seed);
            let falsified = rng.steps(L - 1, c);
            let challenged = challenged_steps(&seed, L, alpha_atomics(alpha_pm), 16_384);
            if falsified
                .iter()
                .any(|s| challenged.binary_search(s).is_ok())
            {
                caught += 1;
            }
        }
        let expected = 1.0 - (1.0 - alpha).powi(c as i32);
        let observed = caught as f64 / JOBS as f64;
        let se = (expected * (1.0 - expected) / JOBS as f64).sqrt().max(1e-9);
        let z = (observed - expected) / se;
        table.push_str(&format!(
            "| {alpha:.3} | {c} | {JOBS} | {observed:.4} | {expected:.4} | {se:.4} | {z:+.2} |\n"
        ));
        assert!(
            z.abs() <= 4.0,
            "alpha {alpha} c {c}: caught {observed} vs expected {expected} (z = {z:.2})"
        );
    }
    println!("{table}");
}

#[test]
fn the_contract_catches_exactly_the_jobs_whose_falsified_steps_are_challenged() {
    let mut s = SuiteBuilder::new().marketplace().build();
    let steps = 60u64;
    let (_provers, _verifiers) = s.network(30, 5);
    let trainer = s.addr("trainer");
    let mut rng = Rng(42);
    let (mut caught, mut escaped) = (0, 0);
    for j in 0..50u64 {
        let c = rng.below(4) as usize + 1;
        let falsified = rng.steps(steps - 1, c);
        let mut spec = default_spec(s.height(), steps, j);
        spec.verification.alpha = cosmwasm_std::Decimal::percent(20);
        let (id, _) = s.submit(&trainer, &spec).unwrap();
        assert_eq!(s.job(id).state, JobState::Assigned, "job {j} matched");
        let run = Run::cheating(j, steps, &falsified);
        let res = s.drive(id, &run, &[Behaviour::Honest; 3]).unwrap();
        let ch = s.market().challenges[&id].clone();
        let hit = falsified.iter().any(|f| ch.contains(f));
        if hit {
            assert!(
                moved_to(&res, id, JobState::Queued),
                "job {j}: intersecting falsification must be convicted"
            );
            caught += 1;
        } else {
            assert!(
                moved_to(&res, id, JobState::Settled),
                "job {j}: unchallenged falsification escapes"
            );
            escaped += 1;
        }
    }
    println!(
        "50 jobs: {caught} caught, {escaped} escaped (their falsified steps were not challenged)"
    );
    assert!(caught > 0 && escaped > 0, "both outcomes occur");
}
