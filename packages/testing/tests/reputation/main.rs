//! Tests of the reputation contract (protocol.md section 3) through
//! cw-multi-test, with mock "staking" and "marketplace" accounts as callers.
//! One test binary; `SECURITY.md` maps each invariant to its tests here.

mod checklist;
mod properties;
mod rules;
mod suite;
