//! The conservation invariant (protocol.md section 4): every contract's
//! balance equals everything it owes, the per-account records add up to the
//! totals, the bank supply is what was minted less what was burned, every
//! job is in exactly one lifecycle state and every settled job's fee reached
//! the rewards contract. `Suite::assert_invariant` checks all of it; the
//! suite calls it after every message it sends on a test's behalf.

use std::collections::BTreeMap;

use cosmwasm_std::{Decimal, Uint128, Uint256};
use impulse_types::marketplace::{JobResponse, JobState};

use crate::market::RewardsKind;
use crate::Suite;

impl Suite {
    /// The staking contract holds exactly what it owes (plus donations), and
    /// what it owes adds up:
    /// - bank balance == bonded + unbonding + slash rewards + donations;
    /// - the providers' stakes add up to `bonded`, and their unbonding plus
    ///   claimable amounts (with the slash shares of the suite's other
    ///   accounts) to `unbonding + slash_rewards`;
    /// - the bank supply is what the suite minted minus what was burned;
    /// - with the real reputation contract, every provider's score and
    ///   success rate are in [0, 1].
    ///
    /// With the real rewards contract or the marketplace, their halves too.
    #[track_caller]
    pub fn assert_invariant(&self) {
        let t = self.totals();
        let owed = t.bonded + t.unbonding + t.slash_rewards + self.donations;
        let held = self.balance(&self.staking);
        assert_eq!(
            Uint128::new(held),
            owed,
            "staking balance {held} != bonded {} + unbonding {} + slash rewards {} + donations {}",
            t.bonded,
            t.unbonding,
            t.slash_rewards,
            self.donations
        );

        let providers = self.all_providers();
        let mut stakes = Uint128::zero();
        let mut outgoing = Uint128::zero();
        for p in &providers {
            stakes = stakes.checked_add(p.stake).expect("stake sum overflows");
            outgoing = outgoing
                .checked_add(p.unbonding)
                .and_then(|v| v.checked_add(p.claimable))
                .expect("unbonding sum overflows");
        }
        for a in &self.accounts {
            if providers.iter().any(|p| p.address == *a) {
                continue;
            }
            if let Ok(u) = self.try_unbonding(a) {
                outgoing = outgoing
                    .checked_add(u.claimable_now)
                    .expect("slash share sum overflows");
            }
        }
        assert_eq!(stakes, t.bonded, "provider stakes != totals.bonded");
        assert_eq!(
            outgoing,
            t.unbonding + t.slash_rewards,
            "provider unbonding + claimable != totals.unbonding {} + totals.slash_rewards {}",
            t.unbonding,
            t.slash_rewards
        );

        let supply = self.supply256();
        assert_eq!(
            supply + Uint256::from(t.burned),
            self.minted,
            "supply {supply} + burned {} != minted {}",
            t.burned,
            self.minted
        );

        if self.real_rewards {
            self.assert_rewards_invariant();
        }
        if self.market.is_some() {
            self.assert_market_invariant();
        }

        if self.real_reputation {
            for p in &providers {
                if let Ok(r) = self.reputation_of(&p.address) {
                    assert!(r.score <= Decimal::one(), "score {} > 1", r.score);
                    assert!(
                        r.success_rate <= Decimal::one(),
                        "success rate {} > 1",
                        r.success_rate
                    );
                }
            }
        }
    }

    /// The marketplace holds exactly what it owes, every job is in exactly
    /// one lifecycle state, and the mock rewards contract holds exactly the
    /// fees it recorded (with the real one, `assert_fees_delivered`).
    #[track_caller]
    pub fn assert_market_invariant(&self) {
        let m = self.market();
        let t = self.market_totals();
        let held = self.balance(&m.contract);
        assert_eq!(
            Uint128::new(held),
            t.escrow + t.undelivered_fees + m.donations,
            "marketplace balance {held} != escrow {} + undelivered fees {} + donations {}",
            t.escrow,
            t.undelivered_fees,
            m.donations
        );
        let jobs = self.all_jobs(None);
        assert_eq!(jobs.len() as u64, t.jobs, "job count");
        let escrow: Uint128 = jobs.iter().map(|j| j.escrow).sum();
        assert_eq!(escrow, t.escrow, "job escrows != totals.escrow");
        let mut seen: BTreeMap<u64, JobState> = BTreeMap::new();
        for s in JobState::ALL {
            for j in self.all_jobs(Some(s)) {
                assert_eq!(
                    j.state, s,
                    "job {} listed under {s} but is {}",
                    j.id, j.state
                );
                assert!(seen.insert(j.id, s).is_none(), "job {} in two states", j.id);
            }
        }
        assert_eq!(seen.len(), jobs.len(), "a job is in no state");
        for j in &jobs {
            if j.state.is_terminal() {
                assert!(j.escrow.is_zero(), "ended job {} still holds escrow", j.id);
            }
        }
        if m.rewards_kind == RewardsKind::Real {
            self.assert_fees_delivered(&jobs, t.undelivered_fees);
        }
        if m.rewards_kind == RewardsKind::Working {
            let rec = self.rewards_record();
            assert_eq!(
                Uint128::new(self.balance(&m.rewards)),
                rec.pool + rec.vault,
                "rewards balance != fees recorded"
            );
        }
    }

    /// With the real rewards contract: every fee a settled job paid is
    /// either in the rewards contract's epoch records (closed ones and the
    /// open one) or still undelivered at the marketplace; the rewards
    /// contract never counted more finished jobs than the marketplace ended;
    /// the reputation contract holds no funds.
    #[track_caller]
    pub fn assert_fees_delivered(&self, jobs: &[JobResponse], undelivered: Uint128) {
        let settled_jobs = || jobs.iter().filter(|j| j.state == JobState::Settled);
        let owed: u128 = settled_jobs().map(|j| self.job_fee(j)).sum();
        let epochs = self.all_epochs();
        let current = self.current_epoch();
        let received: Uint128 = epochs.iter().map(|e| e.fees_in).sum::<Uint128>() + current.fees_in;
        assert_eq!(
            received + undelivered,
            Uint128::new(owed),
            "fees received by rewards {received} + undelivered {undelivered} != fees of settled jobs {owed}"
        );
        let settled = settled_jobs().count() as u64;
        let ended = jobs.iter().filter(|j| j.state.is_terminal()).count() as u64;
        let recorded_settled =
            epochs.iter().map(|e| e.jobs_settled).sum::<u64>() + current.jobs_settled;
        let recorded_failed =
            epochs.iter().map(|e| e.jobs_failed).sum::<u64>() + current.jobs_failed;
        assert!(
            recorded_settled <= settled,
            "rewards recorded {recorded_settled} settled jobs of {settled}"
        );
        assert!(
            recorded_settled + recorded_failed <= ended,
            "rewards recorded {} finished jobs of {ended}",
            recorded_settled + recorded_failed
        );
        if let Some(r) = &self.reputation {
            assert_eq!(self.balance(r), 0, "the reputation contract holds funds");
        }
    }

    /// The rewards contract holds exactly what it owes (plus donations):
    /// - balance == reserve + current pool + unclaimed + vault + donations;
    /// - `unclaimed` is what the closed epochs' cohort pools still owe, and
    ///   no epoch paid more than its pools; every record's pool splits
    ///   exactly into providers + verifiers + vault;
    /// - everything claimed was either paid or fined;
    /// - funded == reserve + issued; issuance never exceeded the reserve;
    /// - what the known accounts can claim fits in `unclaimed`.
    #[track_caller]
    pub fn assert_rewards_invariant(&self) {
        let t = self.rewards_totals();
        let held = Uint128::new(self.balance(&self.rewards));
        let owed = t.reserve + t.current_pool + t.unclaimed + t.vault + self.rewards_donations;
        assert_eq!(
            held, owed,
            "rewards balance {held} != reserve {} + current pool {} + unclaimed {} + vault {} + donations {}",
            t.reserve, t.current_pool, t.unclaimed, t.vault, self.rewards_donations
        );
        // Capped shares return what they could not pay to the reserve.
        assert_eq!(
            t.funded + t.returned,
            t.reserve + t.issued,
            "funded + returned != reserve + issued"
        );

        // Stored records only: a record that is due but not yet closed has
        // not moved anything in the totals.
        let mut owed_by_epochs = Uint128::zero();
        let mut claimed = Uint128::zero();
        let mut issued = Uint128::zero();
        let mut pending = Uint128::zero();
        for e in self.all_epochs() {
            let pools = e.providers_pool + e.verifiers_pool;
            assert_eq!(
                pools + e.to_vault,
                e.pool,
                "epoch {} pool does not split exactly",
                e.epoch
            );
            assert!(
                e.multiplier <= Decimal::one(),
                "multiplier {} > 1",
                e.multiplier
            );
            assert!(
                e.claimed + e.dust <= pools,
                "epoch {} settled {} + dust {} of pools {pools}",
                e.epoch,
                e.claimed,
                e.dust,
            );
            if self.epoch_is_stored(e.epoch) {
                owed_by_epochs += pools - e.claimed - e.dust;
                claimed += e.claimed;
                issued += e.issuance;
            } else {
                pending += pools;
            }
        }
        assert_eq!(owed_by_epochs, t.unclaimed, "epoch pools owed != unclaimed");
        assert_eq!(
            claimed,
            t.paid + t.fined + t.returned,
            "claimed != paid + fined + returned"
        );
        assert_eq!(issued, t.issued, "sum of issuance != issued");

        let mut claimable = Uint128::zero();
        for a in &self.accounts {
            claimable += self.claimable(a).total;
        }
        // Claimable includes epochs that close lazily at the next message.
        assert!(
            claimable <= t.unclaimed + pending,
            "claimable {claimable} > unclaimed {} + pending {pending}",
            t.unclaimed
        );
    }

    /// Whether epoch `id`'s record is in storage (not just due to close).
    fn epoch_is_stored(&self, id: u64) -> bool {
        // The contract stores records under "epochs" keyed by big-endian id.
        let mut key = Vec::with_capacity(2 + 6 + 8);
        key.extend_from_slice(&(6u16).to_be_bytes());
        key.extend_from_slice(b"epochs");
        key.extend_from_slice(&id.to_be_bytes());
        self.app
            .wrap()
            .query_wasm_raw(self.rewards.to_string(), key)
            .ok()
            .flatten()
            .is_some()
    }
}
