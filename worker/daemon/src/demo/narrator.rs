//! The demo's narration: one line per thing worth telling, on stderr as it
//! happens and in the report, plus what the providers' events tell the
//! report (loss curves, claimed rewards).

use std::collections::BTreeMap;
use std::time::Instant;

use crate::provider::Event;
use crate::report::{tenths, Line, LossPoint};

pub(super) struct Narrator {
    start: Instant,
    narrate: bool,
    pub lines: Vec<Line>,
    /// Loss per step, per job (all attempts).
    pub losses: BTreeMap<u64, Vec<LossPoint>>,
    /// Rewards each provider said it claimed (uimp).
    pub claimed: BTreeMap<String, u128>,
}

impl Narrator {
    pub fn new(start: Instant, narrate: bool) -> Narrator {
        Narrator {
            start,
            narrate,
            lines: Vec::new(),
            losses: BTreeMap::new(),
            claimed: BTreeMap::new(),
        }
    }

    pub fn say(&mut self, height: u64, text: String) {
        let secs = self.start.elapsed().as_secs_f64();
        if self.narrate {
            eprintln!("[{secs:6.1}s #{height:>5}] {text}");
        }
        self.lines.push(Line {
            height,
            secs: tenths(secs),
            text,
        });
    }

    pub fn event(&mut self, height: u64, e: Event) {
        match e {
            Event::Say { who, job, text } => {
                if let Some(n) = text
                    .strip_prefix("claimed ")
                    .and_then(|t| t.split(' ').next())
                    .and_then(|n| n.parse::<u128>().ok())
                {
                    *self.claimed.entry(who.clone()).or_default() += n;
                }
                let j = job.map(|j| format!(" job {j}:")).unwrap_or_default();
                self.say(height, format!("{who}:{j} {text}"));
            }
            Event::Step {
                who,
                job,
                attempt,
                step,
                total,
                loss,
            } => {
                if let Some(loss) = loss {
                    self.losses.entry(job).or_default().push(LossPoint {
                        attempt,
                        prover: who.clone(),
                        step,
                        loss,
                    });
                }
                if self.narrate && (step % 10 == 0 || step == total) {
                    eprintln!(
                        "             {who}: job {job} step {step}/{total} loss {}",
                        loss.map(|l| format!("{l:.4}"))
                            .unwrap_or_else(|| "-".into())
                    );
                }
            }
        }
    }
}
