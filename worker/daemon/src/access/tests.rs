use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

fn caller(a: &str) -> Caller {
    Caller::new(a).expect("a valid address")
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// A chain stand-in: the readers it would return now, and how often it
/// was asked.
#[derive(Default)]
struct Chain {
    readers: Mutex<HashMap<u64, BTreeSet<String>>>,
    reads: AtomicUsize,
    down: std::sync::atomic::AtomicBool,
}

impl Chain {
    fn access(self: &Arc<Self>) -> Access {
        let me = self.clone();
        Access::with_source(Arc::new(move |job| {
            me.reads.fetch_add(1, Ordering::SeqCst);
            if me.down.load(Ordering::SeqCst) {
                return None;
            }
            me.readers.lock().unwrap().get(&job).cloned()
        }))
    }
    fn set(&self, job: u64, names: &[&str]) {
        self.readers.lock().unwrap().insert(job, set(names));
    }
}

#[test]
fn a_public_job_and_its_blobs_are_open_to_anyone() {
    let a = Access::default();
    a.bind(1, false, &[[1; 32]]);
    assert!(a.may_read_job(1, None));
    assert!(a.may_read_job(1, Some(&caller("stranger"))));
    assert!(a.may_read_blob(&[1; 32], None));
    // A blob nothing names is public (the shipped base weights).
    assert!(a.may_read_blob(&[9; 32], None));
}

#[test]
fn a_private_job_is_read_by_its_readers_only_and_never_unsigned() {
    let chain = Arc::new(Chain::default());
    chain.set(1, &["trainer", "prover", "member"]);
    let a = chain.access();
    a.bind(1, true, &[[1; 32]]);
    for who in ["trainer", "prover", "member"] {
        assert!(a.may_read_job(1, Some(&caller(who))), "{who}");
        assert!(a.may_read_blob(&[1; 32], Some(&caller(who))), "{who}");
    }
    assert!(!a.may_read_job(1, Some(&caller("stranger"))));
    assert!(!a.may_read_blob(&[1; 32], Some(&caller("stranger"))));
    let reads = chain.reads.load(Ordering::SeqCst);
    assert!(!a.may_read_job(1, None), "unsigned");
    assert!(!a.may_read_blob(&[1; 32], None), "unsigned");
    assert_eq!(
        chain.reads.load(Ordering::SeqCst),
        reads,
        "an unsigned caller never costs a chain read"
    );
}

#[test]
fn a_member_drawn_after_the_last_read_is_let_in_at_once() {
    let chain = Arc::new(Chain::default());
    chain.set(1, &["trainer", "prover"]);
    let a = chain.access();
    a.bind(1, true, &[[1; 32]]);
    assert!(a.may_read_job(1, Some(&caller("prover"))));
    assert!(!a.may_read_job(1, Some(&caller("escalated"))));
    // The chain draws a new member: its first request reads the chain again.
    chain.set(1, &["trainer", "prover", "escalated"]);
    assert!(a.may_read_job(1, Some(&caller("escalated"))));
    assert!(a.may_read_blob(&[1; 32], Some(&caller("escalated"))));
    // A member dropped from the committee is refused once the chain says so.
    chain.set(1, &["trainer", "prover"]);
    assert!(a.may_read_job(1, Some(&caller("escalated"))), "cached");
    assert!(!a.may_read_job(1, Some(&caller("someoneelse"))));
    assert!(!a.may_read_job(1, Some(&caller("escalated"))), "re-read");
}

#[test]
fn the_last_readers_are_kept_while_the_chain_cannot_answer() {
    let chain = Arc::new(Chain::default());
    chain.set(1, &["trainer"]);
    let a = chain.access();
    a.bind(1, true, &[]);
    assert!(a.may_read_job(1, Some(&caller("trainer"))));
    chain.down.store(true, Ordering::SeqCst);
    assert!(!a.may_read_job(1, Some(&caller("stranger"))));
    assert!(a.may_read_job(1, Some(&caller("trainer"))));
}

#[test]
fn a_guarded_dataset_is_closed_until_its_private_job_names_it() {
    let chain = Arc::new(Chain::default());
    chain.set(7, &["trainer", "prover"]);
    let a = chain.access();
    a.guard_blob([1; 32]);
    assert!(!a.may_read_blob(&[1; 32], Some(&caller("trainer"))));
    assert!(!a.may_read_blob(&[1; 32], None));
    a.bind(7, true, &[[1; 32]]);
    assert!(a.may_read_blob(&[1; 32], Some(&caller("prover"))));
    assert!(!a.may_read_blob(&[1; 32], Some(&caller("stranger"))));
}

#[test]
fn a_blob_a_public_job_names_stays_public_whatever_the_order() {
    let chain = Arc::new(Chain::default());
    chain.set(1, &["trainer"]);
    let a = chain.access();
    // Private first, then a public job names the same dataset.
    a.bind(1, true, &[[1; 32]]);
    assert!(!a.may_read_blob(&[1; 32], Some(&caller("stranger"))));
    a.bind(2, false, &[[1; 32]]);
    assert!(a.may_read_blob(&[1; 32], Some(&caller("stranger"))));
    // Public first, then a private job: still public; the job is not.
    a.bind(3, false, &[[2; 32]]);
    a.bind(4, true, &[[2; 32]]);
    assert!(a.may_read_blob(&[2; 32], None));
    assert!(!a.may_read_job(4, None));
    assert_ne!(a.job_visibility(4), Visibility::Public);
    assert_eq!(a.job_visibility(3), Visibility::Public);
    // The union of the private jobs' readers reads a private-only blob.
    chain.set(5, &["alice"]);
    chain.set(6, &["bob"]);
    a.bind(5, true, &[[3; 32]]);
    a.bind(6, true, &[[3; 32]]);
    assert!(a.may_read_blob(&[3; 32], Some(&caller("alice"))));
    assert!(a.may_read_blob(&[3; 32], Some(&caller("bob"))));
    assert_eq!(
        a.blob_visibility(&[3; 32]),
        Visibility::Private {
            readers: set(&["alice", "bob"])
        }
    );
}

#[test]
fn a_node_without_a_chain_uses_the_readers_it_was_given() {
    let a = Access::default();
    a.bind(1, true, &[]);
    assert!(!a.may_read_job(1, Some(&caller("alice"))));
    a.set_readers(1, set(&["alice"]));
    assert!(a.may_read_job(1, Some(&caller("alice"))));
    assert!(!a.may_read_job(1, Some(&caller("bob"))));
}
