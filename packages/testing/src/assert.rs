//! Assertions shared by every test: errors (which cross cw-multi-test as
//! text), event attributes, and `Outcome`, which checks a message's result
//! and the conservation invariant in one call.

use anyhow::Result;
use cw_multi_test::AppResponse;

use crate::Suite;

/// Assert that `res` failed with an error whose message contains `expected`'s
/// message (errors cross cw-multi-test as text).
#[track_caller]
pub fn assert_err<T: std::fmt::Debug>(res: Result<T>, expected: impl std::fmt::Display) {
    let expected = expected.to_string();
    match res {
        Ok(v) => panic!("expected error {expected:?}, got Ok({v:?})"),
        Err(e) => {
            let got = format!("{e:#}");
            assert!(
                got.contains(&expected),
                "expected error containing {expected:?}, got {got:?}"
            );
        }
    }
}

impl Suite {
    /// Run `f`, which must fail with an error containing `expected`, and
    /// check that `snapshot` (what the contracts show of their state) is the
    /// same afterwards and that the invariant still holds.
    #[track_caller]
    pub fn rejects_unchanged<S: PartialEq + std::fmt::Debug, T: std::fmt::Debug>(
        &mut self,
        snapshot: impl Fn(&Suite) -> S,
        f: impl FnOnce(&mut Suite) -> Result<T>,
        expected: impl std::fmt::Display,
    ) {
        let before = snapshot(self);
        let res = f(self);
        assert_err(res, expected);
        assert_eq!(snapshot(self), before, "a failed message changed state");
        self.assert_invariant();
    }
}

/// Find an attribute of a wasm event in a response (the first one).
pub fn attr(res: &AppResponse, key: &str) -> Option<String> {
    attrs(res, key).into_iter().next()
}

/// Every value of an attribute of the wasm events in a response, in order
/// (replies add events of their own).
pub fn attrs(res: &AppResponse, key: &str) -> Vec<String> {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .filter(|a| a.key == key)
        .map(|a| a.value.clone())
        .collect()
}

/// Whether any wasm event of the response has `key = value`.
pub fn has_attr(res: &AppResponse, key: &str, value: &str) -> bool {
    attrs(res, key).iter().any(|v| v == value)
}

/// Check the outcome of a message and the suite invariant in one call:
/// `suite.stake(&a, 5).must(&suite)`.
pub trait Outcome {
    /// The message succeeded; the invariant holds afterwards.
    fn must(self, suite: &Suite) -> AppResponse;
    /// The message failed with an error containing `expected`; the
    /// invariant holds afterwards.
    fn must_fail(self, suite: &Suite, expected: impl std::fmt::Display);
}

impl Outcome for Result<AppResponse> {
    #[track_caller]
    fn must(self, suite: &Suite) -> AppResponse {
        let res = match self {
            Ok(r) => r,
            Err(e) => panic!("expected success, got {e:#}"),
        };
        suite.assert_invariant();
        res
    }

    #[track_caller]
    fn must_fail(self, suite: &Suite, expected: impl std::fmt::Display) {
        assert_err(self, expected);
        suite.assert_invariant();
    }
}
