//! The contract's entropy chain (protocol.md §6.3): every submission,
//! assignment and revealed secret is folded in with the block height and
//! time. See the crate README for its bias analysis.

use cosmwasm_std::{Env, HexBinary, Storage};
use sha2::{Digest, Sha256};

use crate::error::ContractError;
use crate::state::ENTROPY;

/// Fold `tag`, `data`, the height and the time into the entropy chain and
/// return the new value.
pub fn mix_entropy(
    storage: &mut dyn Storage,
    env: &Env,
    tag: &[u8],
    data: &[u8],
) -> Result<[u8; 32], ContractError> {
    let prev = ENTROPY.may_load(storage)?.unwrap_or_default();
    let mut h = Sha256::new();
    h.update(b"impulse/entropy/v1");
    h.update(prev.as_slice());
    h.update(tag);
    h.update(data);
    h.update(env.block.height.to_be_bytes());
    h.update(env.block.time.nanos().to_be_bytes());
    let out: [u8; 32] = h.finalize().into();
    ENTROPY.save(storage, &HexBinary::from(out.to_vec()))?;
    Ok(out)
}
