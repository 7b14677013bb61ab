//! The committee member's role (protocol.md §6.3-§6.6): for each round
//! this provider is drawn into, `CommitSecret` then `RevealSecret`; once
//! the challenge is fixed, fetch `state_{i-1}` of each challenged step from
//! the prover's artifact service (checked against the committed root),
//! replay it, then `CommitVerdict` and `RevealVerdict`.
//!
//! Its state is per round ([`RoundKey`]): the secret and the verdict, both
//! written to `data_dir/daemon-state.json` before they are committed on
//! chain (so a restart reveals what was committed), and the replays in
//! progress.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cosmwasm_std::{Decimal, Uint128};
use impulse_artifact::ArtifactClient;
use impulse_chain::api::Chain;
use impulse_chain::contracts::{Marketplace, Staking};
use impulse_protocol::{secret_commitment, verdict_commitment, Hash};
use impulse_types::marketplace::{JobResponse, JobState, RoundResponse, VerificationMode};
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use crate::error::{io, ChainContext, DaemonError, Result};
use crate::node::{random32, unhex32, Node};
use crate::round::{Report, RoundKey};
use crate::spec;

/// What must survive a restart (`daemon-state.json`; the format of
/// earlier daemons: hex strings, keys `job/attempt/draw`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    /// Committee secrets.
    secrets: BTreeMap<RoundKey, String>,
    /// Verdicts, with the salt of their commitment.
    verdicts: BTreeMap<RoundKey, SavedVerdict>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct SavedVerdict {
    hashes: Vec<String>,
    model_hash: Option<String>,
    distances: Option<Vec<Decimal>>,
    salt: String,
}

impl SavedVerdict {
    fn new(r: &Report, salt: &Hash) -> SavedVerdict {
        SavedVerdict {
            hashes: r.hashes.iter().map(hex::encode).collect(),
            model_hash: r.model_hash.map(hex::encode),
            distances: r.distances.clone(),
            salt: hex::encode(salt),
        }
    }

    fn report(&self) -> Result<(Report, Hash)> {
        let report = Report {
            hashes: self
                .hashes
                .iter()
                .map(|h| unhex32(h))
                .collect::<Result<_>>()?,
            model_hash: self.model_hash.as_deref().map(unhex32).transpose()?,
            distances: self.distances.clone(),
        };
        Ok((report, unhex32(&self.salt)?))
    }
}

/// The member's book: what is saved, and the replays in progress.
#[derive(Default)]
struct Book {
    saved: Saved,
    replays: HashMap<RoundKey, JoinHandle<Result<Report>>>,
}

/// The committee-member role of a daemon.
pub struct Verifier<C: Chain> {
    node: Arc<Node<C>>,
    path: PathBuf,
    book: Mutex<Book>,
}

impl<C: Chain + 'static> Verifier<C> {
    /// Reads what an earlier run left in `data_dir/daemon-state.json`.
    pub fn load(node: Arc<Node<C>>) -> Result<Verifier<C>> {
        let path = node.cfg.data_dir.join("daemon-state.json");
        let saved = if path.exists() {
            let text = io(&path, std::fs::read_to_string(&path))?;
            serde_json::from_str(&text)
                .map_err(|e| DaemonError::Input(format!("{}: {e}", path.display())))?
        } else {
            Saved::default()
        };
        Ok(Verifier {
            node,
            path,
            book: Mutex::new(Book {
                saved,
                replays: HashMap::new(),
            }),
        })
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the saved state (atomically: a temporary file, renamed).
    fn save(&self, saved: &Saved) -> Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(saved).expect("state serializes");
        io(&tmp, std::fs::write(&tmp, text))?;
        io(&self.path, std::fs::rename(&tmp, &self.path))
    }

    /// What the round of `job` still needs from this member (`member`: its
    /// index in the committee).
    pub async fn duty(
        self: &Arc<Self>,
        job: &JobResponse,
        round: &RoundResponse,
        member: usize,
    ) -> Result<()> {
        let m = &round.committee[member];
        let key = RoundKey {
            job: job.id,
            attempt: round.attempt,
            draw: round.draw,
        };
        let market = Marketplace::new(&*self.node.chain);
        match round.state {
            // A committee collects secrets at assignment and, after a missed
            // quorum, again while the job is `Committed` (a new committee).
            JobState::Assigned | JobState::Committed
                if round.secrets_due.is_some() && m.secret_hash.is_none() =>
            {
                let secret = random32();
                {
                    let mut book = self.book();
                    book.saved.secrets.insert(key, hex::encode(secret));
                    self.save(&book.saved)?;
                }
                market
                    .commit_secret(job.id, &secret_commitment(&secret))
                    .await
                    .ctx(|| format!("committing a secret for job {}", job.id))?;
            }
            JobState::Committed
                if round.secrets_due.is_none() && m.secret.is_none() && m.secret_hash.is_some() =>
            {
                let Some(committed) = m.secret_hash.as_ref() else {
                    return Ok(());
                };
                // Found by its commitment: members that were kept when late
                // ones were replaced committed under an earlier draw.
                let Some(secret) = self.secret_for(key, committed.as_slice())? else {
                    return Ok(()); // lost: the contract will count a fault
                };
                market
                    .reveal_secret(job.id, &secret)
                    .await
                    .ctx(|| format!("revealing the secret for job {}", job.id))?;
            }
            JobState::Challenged if m.verdict_commitment.is_none() => {
                let known = self.book().saved.verdicts.get(&key).cloned();
                let verdict = match known {
                    Some(v) => Some(v),
                    None => self.verdict_ready(job, round, key)?,
                };
                let Some(v) = verdict else { return Ok(()) };
                let (r, salt) = v.report()?;
                let atomics: Option<Vec<u128>> = r
                    .distances
                    .as_ref()
                    .map(|d| d.iter().map(|x| x.atomics().u128()).collect());
                let c = verdict_commitment(
                    self.node.address().as_bytes(),
                    &r.hashes,
                    atomics.as_deref(),
                    r.model_hash.as_ref(),
                    &salt,
                );
                market
                    .commit_verdict(job.id, &c)
                    .await
                    .ctx(|| format!("committing the verdict for job {}", job.id))?;
            }
            JobState::Verifying if !m.revealed && m.verdict_commitment.is_some() => {
                let v = self.book().saved.verdicts.get(&key).cloned();
                let Some(v) = v else { return Ok(()) };
                let (r, salt) = v.report()?;
                market
                    .reveal_verdict(job.id, &r.hashes, r.distances, r.model_hash.as_ref(), &salt)
                    .await
                    .ctx(|| format!("revealing the verdict for job {}", job.id))?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The saved secret of this job's attempt whose commitment is
    /// `committed`.
    fn secret_for(&self, key: RoundKey, committed: &[u8]) -> Result<Option<Hash>> {
        let book = self.book();
        for (k, hex_secret) in &book.saved.secrets {
            if k.job != key.job || k.attempt != key.attempt {
                continue;
            }
            let secret = unhex32(hex_secret)?;
            if secret_commitment(&secret).as_slice() == committed {
                return Ok(Some(secret));
            }
        }
        Ok(None)
    }

    /// Starts (or collects) the replay of a round's challenged steps; the
    /// verdict once it is ready (saved first).
    fn verdict_ready(
        self: &Arc<Self>,
        job: &JobResponse,
        round: &RoundResponse,
        key: RoundKey,
    ) -> Result<Option<SavedVerdict>> {
        let mut book = self.book();
        match book.replays.get(&key) {
            None => {
                let me = self.clone();
                let (job, round) = (job.clone(), round.clone());
                let h = tokio::spawn(async move { me.verdict(job, round).await });
                book.replays.insert(key, h);
                Ok(None)
            }
            Some(h) if h.is_finished() => {
                let h = book.replays.remove(&key).expect("present");
                match finished(h) {
                    Some(Ok(report)) => {
                        let v = SavedVerdict::new(&report, &random32());
                        book.saved.verdicts.insert(key, v.clone());
                        self.save(&book.saved)?;
                        Ok(Some(v))
                    }
                    Some(Err(e)) => {
                        drop(book);
                        self.node
                            .say(Some(job.id), format!("verification failed, retrying: {e}"));
                        Ok(None)
                    }
                    None => Ok(None),
                }
            }
            Some(_) => Ok(None),
        }
    }

    /// The member's report on the challenged steps, as its behaviour makes
    /// it (the `verdict` hook), narrated.
    async fn verdict(self: Arc<Self>, job: JobResponse, round: RoundResponse) -> Result<Report> {
        let tolerance = matches!(
            job.spec.verification.mode,
            VerificationMode::Tolerance { .. }
        );
        let steps = round.challenged_steps.clone();
        let (report, said) = self
            .node
            .conduct
            .verdict(&steps, tolerance, self.replay(&job, &round, tolerance))
            .await?;
        self.node.say(Some(job.id), said);
        Ok(report)
    }

    /// Replays every challenged step from the prover's served states: the
    /// honest report, and what to say about it.
    async fn replay(
        &self,
        job: &JobResponse,
        round: &RoundResponse,
        tolerance: bool,
    ) -> Result<(Report, String)> {
        let steps = &round.challenged_steps;
        let l = job.spec.hyper.steps;
        let root = spec::hash32(
            round
                .root
                .as_ref()
                .ok_or_else(|| DaemonError::Check("no root".into()))?,
            "root",
        )?;
        let prover = job
            .prover
            .clone()
            .ok_or_else(|| DaemonError::Check("no prover".into()))?;
        let p = Staking::new(&*self.node.chain)
            .provider(prover.as_str())
            .await
            .ctx(|| "reading the prover's endpoint".into())?;
        let engine = self.node.engine(job).await?;
        let client = ArtifactClient::connect(&p.endpoint, self.node.client_config()).await;
        let mut hashes = Vec::new();
        let mut distances = Vec::new();
        let mut model_hash = None;
        let mut mismatches = Vec::new();
        for &s in steps {
            let served = match &client {
                Ok(c) => c
                    .fetch_state(job.id, s - 1, &root)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let served = match served {
                Ok(st) => st,
                Err(e) => {
                    // Nothing to replay from: report no hash (a mismatch);
                    // the prover must also open the step on chain.
                    self.node.say(
                        Some(job.id),
                        format!("cannot fetch state {} from the prover: {e}", s - 1),
                    );
                    hashes.push([0u8; 32]);
                    distances.push(Decimal::MAX);
                    if s == l {
                        model_hash = Some([0u8; 32]);
                    }
                    mismatches.push(s);
                    continue;
                }
            };
            let e = engine.clone();
            let claimed = match (&client, tolerance) {
                (Ok(c), true) => c.fetch_state(job.id, s, &root).await.ok().map(|v| v.bytes),
                _ => None,
            };
            let (h, mh, dist) = tokio::task::spawn_blocking(move || -> Result<_> {
                let (next, h) = e
                    .replay(&served.bytes, &served.hash, s)
                    .ctx(|| format!("replaying step {s}"))?;
                let last = s == e.job.steps;
                // Exact mode: the model of the replayed state `L`; tolerance
                // mode: the model of the state `L` the prover served (what
                // the trainer receives), which must be its committed model.
                let served = claimed
                    .map(|b| e.decode(&b).ctx(|| format!("decoding claimed state {s}")))
                    .transpose()?;
                let dist = served
                    .as_ref()
                    .map_or(f64::INFINITY, |c| impulse_engine::relative_l2(&next, c));
                let mh = last.then(|| match (tolerance, &served) {
                    (false, _) => next.model_hash(),
                    (true, Some(c)) => c.model_hash(),
                    (true, None) => [0u8; 32], // the claimed state `L` was not served
                });
                Ok((h, mh, dist))
            })
            .await
            .map_err(|e| DaemonError::Check(format!("replay task: {e}")))??;
            hashes.push(h);
            if tolerance {
                distances.push(decimal_distance(dist));
            }
            if mh.is_some() {
                model_hash = mh;
            }
        }
        let said = format!(
            "replayed {} challenged steps {:?}{}",
            steps.len(),
            steps,
            if mismatches.is_empty() {
                String::new()
            } else {
                format!(", unavailable: {mismatches:?}")
            }
        );
        let report = Report {
            hashes,
            model_hash,
            distances: tolerance.then_some(distances),
        };
        Ok((report, said))
    }
}

/// A tolerance-mode distance as the chain's decimal (12 digits; too large
/// or not finite: `Decimal::MAX`).
fn decimal_distance(d: f64) -> Decimal {
    if d.is_finite() {
        Decimal::from_atomics(Uint128::new((d * 1e12).round() as u128), 12).unwrap_or(Decimal::MAX)
    } else {
        Decimal::MAX
    }
}

/// The output of a finished task without blocking (it is finished).
fn finished<T>(mut h: JoinHandle<T>) -> Option<T> {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    match std::pin::Pin::new(&mut h).poll(&mut cx) {
        Poll::Ready(Ok(v)) => Some(v),
        _ => None,
    }
}
