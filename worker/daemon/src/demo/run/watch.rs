//! The demo's watch loop: every half-second turn the keeper's cranks,
//! check the conservation invariant, narrate the jobs' state changes,
//! sample every provider's stake and reputation, and stop once every job
//! ended, the scenario's epochs closed and every reward was claimed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cosmwasm_std::Uint128;
use impulse_chain::api::Chain;
use impulse_chain::contracts::{Marketplace, Rewards};
use impulse_embedded::EmbeddedChain;
use impulse_types::marketplace::JobState;

use super::Demo;
use crate::demo::Net;
use crate::error::{ChainContext, DaemonError, Result};
use crate::report::{Invariant, Sample};
use crate::trainer::{claimable, provider_view};

/// What the loop saw.
pub(in crate::demo) struct Watched {
    pub invariant: Invariant,
    pub samples: Vec<Sample>,
}

/// Reads that disagree are read again this many times before a violation
/// is reported (see [`check_invariant`]).
const READS: u32 = 5;

/// Watches until the run is over; an error when the scenario's
/// `timeout_secs` pass first.
pub(in crate::demo) async fn watch<C: Chain + 'static>(
    demo: &mut Demo<'_, C>,
    net: &Net<'_, C>,
) -> Result<Watched> {
    let opts = demo.opts;
    let s = &opts.scenario;
    let mut w = Watched {
        invariant: Invariant::default(),
        samples: Vec::new(),
    };
    let mut last_sample = 0u64;
    let mut states: BTreeMap<u64, JobState> = BTreeMap::new();
    let mut epochs_seen = 0u64;
    let deadline = demo.start + Duration::from_secs(s.timeout_secs);
    let holders: Vec<String> = net
        .signers
        .values()
        .map(|c| c.address())
        .chain(net.embedded.iter().flat_map(|(_, a)| a.iter().cloned()))
        .collect();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let h = match demo.trainer.height().await {
            Ok(h) => h,
            Err(e) if e.is_unavailable() => continue,
            Err(e) => {
                return Err(DaemonError::Chain {
                    context: "height".into(),
                    source: e,
                })
            }
        };
        while let Ok(e) = demo.events.try_recv() {
            demo.nar.event(h, e);
        }
        crank(demo, h).await?;
        let embedded = net.embedded.as_ref().map(|(c, _)| *c);
        w.invariant
            .violations
            .extend(check_invariant(demo, embedded, &holders, h).await?);
        w.invariant.checks += 1;
        transitions(demo, &mut states, h).await?;
        if h >= last_sample + 5 {
            last_sample = h;
            sample(demo, h, &mut w.samples).await?;
        }
        // Epochs are numbered from 0: the open one's number is how many
        // have closed.
        let cur = Rewards::new(&*demo.trainer)
            .current_epoch()
            .await
            .ctx(|| "epoch".into())?;
        epochs_seen = epochs_seen.max(cur.epoch);
        let ended = states.len() == demo.jobs.len() && states.values().all(|s| s.is_terminal());
        let mut unclaimed = 0u128;
        if ended && epochs_seen >= s.epochs {
            unclaimed = unclaimed_rewards(demo).await?;
            if unclaimed == 0 {
                break;
            }
        }
        if Instant::now() > deadline {
            demo.stop.cancel();
            return Err(DaemonError::Check(format!(
                "the demo did not finish within {} s (jobs: {states:?}, epochs closed {epochs_seen}, unclaimed {unclaimed})",
                s.timeout_secs
            )));
        }
    }
    w.invariant.held = w.invariant.violations.is_empty();
    Ok(w)
}

/// One pass of the keeper's cranks, narrated.
async fn crank<C: Chain + 'static>(demo: &mut Demo<'_, C>, h: u64) -> Result<()> {
    let cr = demo.cranks.crank(&*demo.keeper, h).await?;
    if cr.timeouts {
        demo.nar.say(h, "keeper: processed passed deadlines".into());
    }
    if cr.epoch_closed {
        demo.nar.say(h, "keeper: closed the reward epoch".into());
    }
    for a in &cr.reported {
        let who = demo.name_of(a);
        demo.nar
            .say(h, format!("keeper: reported missed heartbeats of {who}"));
    }
    Ok(())
}

/// The conservation invariant at height `h`: every token is held by a
/// known account or contract (embedded chain: the sum of `holders`'
/// balances is the supply), and the marketplace holds exactly its escrow
/// plus undelivered fees. The reads are not atomic: a transaction between
/// two of them (a claim moving tokens from the rewards contract to a
/// provider read before it) looks like a mismatch. A real violation
/// persists, so a mismatch is read again, up to [`READS`] times, before it
/// is reported.
async fn check_invariant<C: Chain + 'static>(
    demo: &Demo<'_, C>,
    embedded: Option<&EmbeddedChain>,
    holders: &[String],
    h: u64,
) -> Result<Vec<String>> {
    let (trainer, denom) = (&*demo.trainer, &demo.d.denom);
    let mut violations = Vec::new();
    if let Some(chain) = embedded {
        for read in 1..=READS {
            let supply = chain.supply().await.ctx(|| "supply".into())?;
            let mut sum = 0u128;
            for a in holders {
                sum += trainer.balance(a, denom).await.ctx(|| "balance".into())?;
            }
            if sum == supply {
                break;
            }
            if read == READS {
                violations.push(format!(
                    "block {h}: balances sum to {sum}, supply is {supply}"
                ));
            }
        }
    }
    for read in 1..=READS {
        let totals = Marketplace::new(trainer)
            .totals()
            .await
            .ctx(|| "totals".into())?;
        let held = trainer
            .balance(&demo.d.marketplace, denom)
            .await
            .ctx(|| "balance".into())?;
        if held == totals.escrow.u128() + totals.undelivered_fees.u128() {
            break;
        }
        if read == READS {
            violations.push(format!(
                "block {h}: marketplace holds {held}, owes {} + {}",
                totals.escrow, totals.undelivered_fees
            ));
        }
    }
    Ok(violations)
}

/// Narrates each job's state changes; notes when a job ends.
async fn transitions<C: Chain + 'static>(
    demo: &mut Demo<'_, C>,
    states: &mut BTreeMap<u64, JobState>,
    h: u64,
) -> Result<()> {
    for i in 0..demo.jobs.len() {
        let id = demo.jobs[i].id;
        let j = Marketplace::new(&*demo.trainer)
            .job(id)
            .await
            .ctx(|| "job".into())?;
        if states.get(&id) == Some(&j.state) {
            continue;
        }
        states.insert(id, j.state);
        if j.state.is_terminal() {
            let secs = demo.secs();
            demo.jobs[i].ended_secs.get_or_insert(secs);
        }
        let who = j
            .prover
            .as_ref()
            .map(|p| demo.name_of(p.as_str()))
            .unwrap_or_default();
        let name = demo.jobs[i].name.clone();
        demo.nar.say(
            h,
            format!(
                "chain: job {id} ({name}) is {} (attempt {}, prover {who})",
                j.state, j.attempts
            ),
        );
    }
    Ok(())
}

/// Every provider's stake and reputation at `h`.
async fn sample<C: Chain + 'static>(
    demo: &Demo<'_, C>,
    h: u64,
    samples: &mut Vec<Sample>,
) -> Result<()> {
    for p in &demo.providers {
        let v = provider_view(&*demo.trainer, &p.address()).await?;
        samples.push(Sample {
            height: h,
            provider: p.name().to_string(),
            stake: Uint128::new(v.stake),
            reputation: v.reputation,
        });
    }
    Ok(())
}

/// Rewards the providers could still claim (an offline provider never
/// claims: not counted).
async fn unclaimed_rewards<C: Chain + 'static>(demo: &Demo<'_, C>) -> Result<u128> {
    let mut unclaimed = 0u128;
    for p in &demo.providers {
        if p.behaviour() != crate::Behaviour::Offline {
            unclaimed += claimable(&*demo.trainer, &p.address()).await?;
        }
    }
    Ok(unclaimed)
}
