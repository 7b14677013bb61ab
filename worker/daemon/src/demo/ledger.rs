//! What the marketplace did with each job's escrow, read from the events
//! of the transactions the demo's own accounts send (every transaction of
//! a demo run is one of theirs): who was assigned each attempt, and what
//! the closing paid the prover, the verifiers and the fee, and refunded.
//! The demo hands every daemon a [`Recorded`] chain, so the report shows
//! what happened rather than what a formula says should have.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use impulse_chain::api::{Chain, Deployment, Result, TxOutcome};
use impulse_chain::{Coin, ContractEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The marketplace's custom event for every job state change.
const JOB_EVENT: &str = "impulse_job";

/// What a job's closing paid out (uimp).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Closing {
    pub prover: u128,
    /// All verifiers of the majority together.
    pub verifiers: u128,
    pub fee: u128,
    pub refund: u128,
}

/// Assignments and closings of every job, as the events told them.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    /// `(attempt, prover address)` in order, per job.
    pub assigned: BTreeMap<u64, Vec<(u32, String)>>,
    pub closed: BTreeMap<u64, Closing>,
}

fn num<T: std::str::FromStr + Default>(e: &ContractEvent, key: &str) -> T {
    e.attr(key).and_then(|v| v.parse().ok()).unwrap_or_default()
}

impl Ledger {
    /// Reads the marketplace's events of one transaction.
    pub fn record(&mut self, marketplace: &str, out: &TxOutcome) {
        let ours = || out.events.iter().filter(move |e| e.contract == marketplace);
        // A settlement's payouts are attributes of the marketplace's
        // response, in the order its settled jobs' events come.
        let mut payouts = ours().filter(|e| e.ty == "wasm").flat_map(|e| {
            let mut found = Vec::new();
            for (k, v) in &e.attributes {
                let v: u128 = v.parse().unwrap_or_default();
                match k.as_str() {
                    "prover_pay" => found.push((v, 0, 0, 0)),
                    "verifier_pay" => found.last_mut().into_iter().for_each(|p| p.1 = v),
                    "verifiers_paid" => found.last_mut().into_iter().for_each(|p| p.2 = v),
                    "fee" => found.last_mut().into_iter().for_each(|p| p.3 = v),
                    _ => {}
                }
            }
            found
        });
        for e in ours().filter(|e| e.ty == JOB_EVENT) {
            let job: u64 = num(e, "job_id");
            match e.attr("to") {
                Some("assigned") => {
                    let prover = e.attr("prover").unwrap_or_default().to_string();
                    self.assigned
                        .entry(job)
                        .or_default()
                        .push((num(e, "attempt"), prover));
                }
                Some("settled" | "failed" | "cancelled" | "expired") => {
                    let mut c = Closing {
                        refund: num(e, "refund"),
                        ..Closing::default()
                    };
                    if e.attr("to") == Some("settled") {
                        if let Some((prover, per, n, fee)) = payouts.next() {
                            c.prover = prover;
                            c.verifiers = per.saturating_mul(n);
                            c.fee = fee;
                        }
                    }
                    self.closed.insert(job, c);
                }
                _ => {}
            }
        }
    }
}

/// A chain that records what its transactions did in a shared [`Ledger`].
pub(super) struct Recorded<C> {
    inner: Arc<C>,
    ledger: Arc<Mutex<Ledger>>,
}

impl<C: Chain> Recorded<C> {
    pub fn new(inner: Arc<C>, ledger: Arc<Mutex<Ledger>>) -> Recorded<C> {
        Recorded { inner, ledger }
    }
}

impl<C: Chain> Chain for Recorded<C> {
    fn address(&self) -> String {
        self.inner.address()
    }

    fn deployment(&self) -> &Deployment {
        self.inner.deployment()
    }

    async fn execute<M: Serialize + Sync>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[Coin],
    ) -> Result<TxOutcome> {
        let out = self.inner.execute(contract, msg, funds).await?;
        self.ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(&self.inner.deployment().marketplace, &out);
        Ok(out)
    }

    async fn query<Q: Serialize + Sync, T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &Q,
    ) -> Result<T> {
        self.inner.query(contract, msg).await
    }

    async fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        self.inner.balance(address, denom).await
    }

    fn account_public_key(&self) -> Option<[u8; 33]> {
        self.inner.account_public_key()
    }

    fn sign_bytes(&self, message: &[u8]) -> Option<[u8; 64]> {
        self.inner.sign_bytes(message)
    }

    fn owns_key(&self, address: &str, public_key: &[u8; 33]) -> bool {
        self.inner.owns_key(address, public_key)
    }

    async fn height(&self) -> Result<u64> {
        self.inner.height().await
    }

    async fn wait_until_height(&self, height: u64) -> Result<u64> {
        self.inner.wait_until_height(height).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_settlements_and_failures_are_read_from_events() {
        let m = "wasm1market";
        let mut l = Ledger::default();
        l.record(
            m,
            &TxOutcome {
                events: vec![ContractEvent::new(
                    m,
                    JOB_EVENT,
                    &[
                        ("job_id", "1"),
                        ("to", "assigned"),
                        ("prover", "wasm1p"),
                        ("attempt", "1"),
                    ],
                )],
                ..TxOutcome::default()
            },
        );
        // One crank settles job 1 and fails job 2; another contract's
        // events are ignored.
        l.record(
            m,
            &TxOutcome {
                events: vec![
                    ContractEvent::new(
                        m,
                        "wasm",
                        &[
                            ("prover_pay", "300"),
                            ("verifier_pay", "40"),
                            ("verifiers_paid", "3"),
                            ("fee", "15"),
                        ],
                    ),
                    ContractEvent::new("wasm1other", "wasm", &[("prover_pay", "999")]),
                    ContractEvent::new(
                        m,
                        JOB_EVENT,
                        &[("job_id", "1"), ("to", "settled"), ("refund", "85")],
                    ),
                    ContractEvent::new(
                        m,
                        JOB_EVENT,
                        &[("job_id", "2"), ("to", "failed"), ("refund", "500")],
                    ),
                ],
                ..TxOutcome::default()
            },
        );
        assert_eq!(l.assigned[&1], vec![(1, "wasm1p".to_string())]);
        assert_eq!(
            l.closed[&1],
            Closing {
                prover: 300,
                verifiers: 120,
                fee: 15,
                refund: 85
            }
        );
        assert_eq!(
            l.closed[&2],
            Closing {
                refund: 500,
                ..Closing::default()
            }
        );
    }
}
