//! One end-to-end run per provider behaviour (issue 6), plus a cheat
//! limited to one mid-run step (`cheat_one_step.toml`): each loads its
//! scenario from `scenarios/behaviours/<behaviour>.toml`, runs it with
//! `demo::run` (embedded chain with the real contracts, real gRPC on
//! loopback, real burn training) and checks the protocol's outcome in the
//! report: who is slashed, by exactly how much, who is banned, re-queues,
//! payouts, heartbeat faults, and the conservation invariant.
//!
//! The runs take turns (`common::run_scenario`): they poll on block-sized
//! timers and would fight over the CPU cores if they ran at once.

mod common;

use impulse_daemon::adversary::CheatSteps;
use impulse_daemon::scenario::Scenario;
use serde_json::Value;

/// Protocol constants (protocol.md §2): fraud takes 75% of the stake (rounded
/// up), half of it is burned (rounded down) and the rest is shared equally by
/// the honest committee; a benign fault takes 5% of the compute cost
/// (rounded up).
fn fraud_slash(stake: u128) -> u128 {
    (stake * 3).div_ceil(4)
}
fn fraud_share_each(slashed: u128, honest: u128) -> u128 {
    (slashed - slashed / 2) / honest
}
/// A benign fault's slash at the default parameters: the protocol's rule
/// (`impulse_protocol::penalty`), as the staking contract applies it.
fn benign_slash(cost: u128) -> u128 {
    let p = impulse_types::staking::StakingParams::default();
    impulse_protocol::penalty::benign_slash(cost.into(), p.slash_benign, p.min_benign_slash)
        .unwrap()
        .u128()
}

fn num(v: &Value) -> u128 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an amount: {v}"))
}

struct Run {
    scenario: Scenario,
    report: Value,
}

impl Run {
    fn provider(&self, name: &str) -> &Value {
        self.report["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no provider {name}"))
    }

    fn providers(&self) -> &Vec<Value> {
        self.report["providers"].as_array().unwrap()
    }

    fn honest(&self) -> Vec<&Value> {
        self.providers()
            .iter()
            .filter(|p| p["behaviour"] == "honest")
            .collect()
    }

    /// The scenario's only job.
    fn job(&self) -> &Value {
        let jobs = self.report["jobs"].as_array().unwrap();
        assert_eq!(jobs.len(), 1, "one job per behaviour scenario");
        &jobs[0]
    }

    fn said(&self, text: &str) -> bool {
        common::said(&self.report, text)
    }

    fn price_of(&self, name: &str) -> u128 {
        self.scenario
            .providers
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .price
    }

    /// What each verifier of the settled round earns:
    /// `verifier_price * min(challenged, ceil(alpha L) + 1)`.
    fn verifier_pay(&self) -> u128 {
        let j = &self.scenario.jobs[0];
        let alpha_micro = (j.alpha * 1e6).round() as u128;
        let ceil_alpha_l = (alpha_micro * j.steps as u128).div_ceil(1_000_000);
        let challenged = self.job()["challenged_steps"].as_array().unwrap().len() as u128;
        self.scenario.chain.verifier_price_per_step * challenged.min(ceil_alpha_l + 1)
    }

    /// Liquid balance gained during the run, less claimed rewards: what
    /// the marketplace paid the provider for jobs.
    fn job_pay(&self, name: &str) -> u128 {
        let p = self.provider(name);
        num(&p["balance_after"]) - num(&p["balance_before"]) - num(&p["rewards_claimed"])
    }

    /// The settled job, its prover paid `price * L`, each final committee
    /// member `verifier_pay`, every other honest provider nothing.
    fn check_settled_and_paid(&self) {
        let j = self.job();
        assert_eq!(j["status"], "settled", "{j}");
        assert_eq!(j["model_hash_matches"], true, "{j}");
        let prover = j["prover"].as_str().unwrap();
        let committee: Vec<&str> = j["committee"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        let steps = self.scenario.jobs[0].steps as u128;
        assert_eq!(
            self.job_pay(prover),
            self.price_of(prover) * steps,
            "prover {prover} is paid price x L"
        );
        assert_eq!(num(&j["paid_prover"]), self.price_of(prover) * steps);
        for h in self.honest() {
            let name = h["name"].as_str().unwrap();
            if name == prover {
                continue;
            }
            let expected = if committee.contains(&name) {
                self.verifier_pay()
            } else {
                0
            };
            assert_eq!(self.job_pay(name), expected, "verifier pay of {name}: {h}");
        }
    }

    fn check_honest_unharmed(&self) {
        for h in self.honest() {
            assert_eq!(num(&h["slashed"]), 0, "{h}");
            assert_eq!(h["banned"], false, "{h}");
        }
    }

    /// `offender` slashed exactly 75% and banned; the other half shared by
    /// `honest_committee` honest verifiers, as staking claims.
    fn check_fraud_slash(&self, offender: &str, honest_committee: u128) {
        let p = self.provider(offender);
        let before = num(&p["stake_before"]);
        let slashed = fraud_slash(before);
        assert_eq!(num(&p["slashed"]), slashed, "slashed 75%: {p}");
        assert_eq!(num(&p["stake_after"]), before - slashed, "{p}");
        assert_eq!(p["banned"], true, "{p}");
        assert_eq!(num(&p["rewards_claimed"]), 0, "{p}");
        let each = fraud_share_each(slashed, honest_committee);
        let sharers: Vec<&str> = self
            .providers()
            .iter()
            .filter(|x| num(&x["stake_claimable"]) > 0)
            .map(|x| {
                assert_eq!(num(&x["stake_claimable"]), each, "slash share: {x}");
                assert_eq!(x["behaviour"], "honest", "{x}");
                x["name"].as_str().unwrap()
            })
            .collect();
        assert_eq!(
            sharers.len() as u128,
            honest_committee,
            "the slash is shared by the honest committee: {sharers:?}"
        );
    }
}

async fn run(behaviour: &str) -> Run {
    run_file(behaviour, behaviour).await
}

/// Runs `scenarios/behaviours/<file>.toml`, which has a provider that
/// behaves as `behaviour`.
async fn run_file(file: &str, behaviour: &str) -> Run {
    let (path, scenario) = common::behaviour_scenario(file);
    assert!(
        scenario
            .providers
            .iter()
            .any(|p| p.behaviour.as_str() == behaviour),
        "the {behaviour} scenario has a provider that behaves so"
    );
    let report = common::run_scenario(scenario.clone(), &path, behaviour).await;
    Run { scenario, report }
}

/// A cheating prover (`name`) got the job first, was caught by the
/// committee, slashed 75% and banned; the job was re-queued and settled by
/// an honest prover.
fn check_caught_prover(r: &Run, name: &str) {
    assert!(
        r.said(&format!("(attempt 1, prover {name})")),
        "{name} got the job first"
    );
    let j = r.job();
    assert_eq!(j["attempts"], 2, "re-queued once: {j}");
    let prover = j["prover"].as_str().unwrap();
    assert_ne!(prover, name);
    assert_eq!(r.provider(prover)["behaviour"], "honest");
    r.check_settled_and_paid();
    // The first committee: 3 honest providers, all in the majority.
    r.check_fraud_slash(name, 3);
    r.check_honest_unharmed();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn honest_providers_settle_and_are_all_paid() {
    let r = run("honest").await;
    let j = r.job();
    assert_eq!(j["attempts"], 1, "{j}");
    assert_eq!(j["prover"], "honest-0", "the cheapest prover: {j}");
    assert_eq!(j["committee"].as_array().unwrap().len(), 3);
    for v in j["verdicts"].as_array().unwrap() {
        assert_eq!(v["revealed"], true, "{v}");
    }
    r.check_settled_and_paid();
    r.check_honest_unharmed();
    for p in r.providers() {
        assert_eq!(num(&p["stake_claimable"]), 0, "{p}");
        assert!(num(&p["rewards_claimed"]) > 0, "every provider worked: {p}");
    }
    assert!(!r.report["epochs"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn skip_steps_prover_is_slashed_banned_and_the_job_requeued() {
    let r = run("skip_steps").await;
    check_caught_prover(&r, "cheater");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn truncated_batch_prover_is_slashed_banned_and_the_job_requeued() {
    let r = run("truncated_batch").await;
    check_caught_prover(&r, "cheater");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stale_gradient_prover_is_slashed_banned_and_the_job_requeued() {
    let r = run("stale_gradient").await;
    check_caught_prover(&r, "cheater");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fake_final_prover_is_slashed_banned_and_the_job_requeued() {
    let r = run("fake_final").await;
    check_caught_prover(&r, "cheater");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_step_cheat_is_caught_when_its_step_is_challenged() {
    let r = run_file("cheat_one_step", "skip_steps").await;
    let cheater = &r.scenario.providers[0];
    assert_eq!(
        cheater.cheat_steps,
        CheatSteps::only([6]),
        "one mid-run step"
    );
    check_caught_prover(&r, "cheater");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tampered_states_prover_is_slashed_banned_and_the_job_requeued() {
    let r = run("tamper_served").await;
    assert!(
        r.said("cannot fetch state"),
        "the committee rejected the tampered states"
    );
    assert!(r.said("tamperer: job 1: opened"), "it opened its steps");
    check_caught_prover(&r, "tamperer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn withholding_prover_is_convicted_of_fraud_and_the_job_requeued() {
    let r = run("withhold").await;
    assert!(
        r.said("cannot fetch state"),
        "the committee could not fetch the withheld states"
    );
    assert!(!r.said("withholder: job 1: opened"), "it opened nothing");
    check_caught_prover(&r, "withholder");
}

/// A dishonest verifier on the committee (certainly: committee = every
/// provider but the prover) ends in the minority and is fraud-slashed;
/// the honest prover settles at the first attempt.
fn check_minority_verifier(r: &Run, name: &str) {
    let j = r.job();
    assert_eq!(j["attempts"], 1, "{j}");
    assert_eq!(j["prover"], "honest-0", "{j}");
    let committee = j["committee"].as_array().unwrap();
    assert!(committee.iter().any(|m| m == name), "{j}");
    for v in j["verdicts"].as_array().unwrap() {
        assert_eq!(v["revealed"], true, "{v}");
    }
    r.check_settled_and_paid();
    // The two honest verifiers are the majority and share the slash.
    r.check_fraud_slash(name, 2);
    assert_eq!(r.job_pay(name), 0, "the minority is not paid");
    r.check_honest_unharmed();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lazy_verifier_in_the_minority_is_slashed_and_banned() {
    let r = run("lazy_verifier").await;
    assert!(r.said("lazy: job 1: lazily approving"));
    check_minority_verifier(&r, "lazy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn false_accuser_in_the_minority_is_slashed_and_banned() {
    let r = run("false_accuser").await;
    assert!(r.said("accuser: job 1: falsely accusing"));
    check_minority_verifier(&r, "accuser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn offline_provider_misses_heartbeats_and_is_faulted_not_slashed_for_fraud() {
    let r = run("offline").await;
    let j = r.job();
    assert_eq!(j["attempts"], 1, "{j}");
    assert_eq!(j["prover"], "honest-0", "{j}");
    assert!(
        !r.said("prover offline"),
        "the offline provider is never assigned a job"
    );
    // Drawn on the committee (every provider but the prover), it committed
    // no secret: when the secret window closed it was faulted and dropped
    // (nobody was left to replace it), and the three honest verifiers went
    // on as the committee and are paid.
    let verdicts = j["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 3, "{j}");
    for v in verdicts {
        assert_ne!(v["verifier"], "offline", "{v}");
        assert_eq!(v["revealed"], true, "{v}");
    }
    r.check_settled_and_paid();
    r.check_honest_unharmed();

    let off = r.provider("offline");
    // Heartbeats: reported by the keeper, each missed interval owed as a
    // 1% fine on its next reward (it never claims, so all are unpaid).
    assert!(r.said("keeper: reported missed heartbeats of offline"));
    let misses = off["missed_heartbeats"].as_u64().unwrap();
    assert!(misses >= 1, "{off}");
    assert_eq!(
        off["unpaid_fine_intervals"].as_u64().unwrap(),
        misses,
        "{off}"
    );
    for h in r.honest() {
        assert!(
            h["missed_heartbeats"].as_u64().unwrap() < misses,
            "{h} vs {off}"
        );
    }
    // Stake: one benign committee fault (no secret), 5% of its
    // verification pay with the 1 IMP floor; missing heartbeats never
    // slashes stake, and nothing here bans it.
    let fault = benign_slash(r.verifier_pay());
    assert_eq!(num(&off["slashed"]), fault, "{off}");
    assert_eq!(off["banned"], false, "{off}");
    assert_eq!(num(&off["rewards_claimed"]), 0, "{off}");
    assert_eq!(r.job_pay("offline"), 0, "{off}");
    assert_eq!(num(&off["stake_claimable"]), 0, "{off}");
}
