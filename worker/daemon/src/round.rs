//! How the daemon names a job's attempts and verification rounds, and what
//! a committee member reports for a round (protocol.md §6.5-§6.6).

use std::fmt;
use std::str::FromStr;

use cosmwasm_std::Decimal;
use impulse_protocol::Hash;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One attempt at a job (a re-queued job is trained again, by another
/// prover, under the next attempt number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttemptKey {
    pub job: u64,
    pub attempt: u32,
}

/// One committee draw of an attempt (a round without a quorum is drawn
/// again). Written `job/attempt/draw` in `daemon-state.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoundKey {
    pub job: u64,
    pub attempt: u32,
    pub draw: u32,
}

impl fmt::Display for RoundKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.job, self.attempt, self.draw)
    }
}

impl FromStr for RoundKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a round key (job/attempt/draw)");
        let mut parts = s.split('/');
        let mut next = || parts.next().ok_or_else(bad);
        let key = RoundKey {
            job: next()?.parse().map_err(|_| bad())?,
            attempt: next()?.parse().map_err(|_| bad())?,
            draw: next()?.parse().map_err(|_| bad())?,
        };
        match parts.next() {
            None => Ok(key),
            Some(_) => Err(bad()),
        }
    }
}

impl Serialize for RoundKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RoundKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a committee member reports for the challenged steps of a round:
/// the replayed `h'_i` of each, the model hash when step L is among them,
/// and the distances in tolerance mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub hashes: Vec<Hash>,
    pub model_hash: Option<Hash>,
    pub distances: Option<Vec<Decimal>>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn round_keys_are_written_as_before() {
        let k = RoundKey {
            job: 3,
            attempt: 2,
            draw: 1,
        };
        let m = BTreeMap::from([(k, "x".to_string())]);
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(text, r#"{"3/2/1":"x"}"#);
        assert_eq!(
            serde_json::from_str::<BTreeMap<RoundKey, String>>(&text).unwrap(),
            m
        );
        assert!("3/2".parse::<RoundKey>().is_err());
        assert!("3/2/1/0".parse::<RoundKey>().is_err());
        assert!("a/2/1".parse::<RoundKey>().is_err());
    }
}
