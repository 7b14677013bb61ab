//! Verifier weights per backend in a Fenwick (binary indexed) tree stored in
//! the contract (protocol.md section 6.4): a weight update and a weighted
//! draw each touch `FENWICK_BITS + 1` nodes, whatever the number of
//! verifiers. Slots are 1-based; a provider keeps its slot while it has
//! weight, and a slot freed at weight 0 is reused first, so the
//! `FENWICK_SIZE` slots of a backend bound the verifiers at one time, not
//! the verifiers ever seen.

use cosmwasm_std::{Addr, StdResult, Storage, Uint128};

use crate::error::ContractError;
use cosmwasm_std::Order;

use crate::state::{FENWICK, FREE_VSLOTS, VSLOTS, VSLOT_COUNT};

/// log2 of the slots per backend.
pub const FENWICK_BITS: u32 = 16;
/// Slots per backend.
pub const FENWICK_SIZE: u32 = 1 << FENWICK_BITS;

/// A new slot for `addr` in backend `b`.
pub fn allocate(
    storage: &mut dyn Storage,
    b: u8,
    addr: &Addr,
) -> Result<Option<u32>, ContractError> {
    let freed = FREE_VSLOTS
        .prefix(b)
        .keys(storage, None, None, Order::Ascending)
        .next()
        .transpose()?;
    let slot = match freed {
        Some(slot) => {
            FREE_VSLOTS.remove(storage, (b, slot));
            slot
        }
        None => {
            let used = VSLOT_COUNT.may_load(storage, b)?.unwrap_or(0);
            if used >= FENWICK_SIZE {
                return Ok(None);
            }
            VSLOT_COUNT.save(storage, b, &(used + 1))?;
            used + 1
        }
    };
    VSLOTS.save(storage, (b, slot), addr)?;
    Ok(Some(slot))
}

/// Give `slot` (weight already 0) back for reuse.
pub fn free(storage: &mut dyn Storage, b: u8, slot: u32) -> StdResult<()> {
    VSLOTS.remove(storage, (b, slot));
    FREE_VSLOTS.save(storage, (b, slot), &())
}

/// Change the weight of `slot` from `old` to `new`.
pub fn set_weight(
    storage: &mut dyn Storage,
    b: u8,
    slot: u32,
    old: Uint128,
    new: Uint128,
) -> Result<(), ContractError> {
    if old == new {
        return Ok(());
    }
    let mut i = slot;
    while i <= FENWICK_SIZE {
        let v = FENWICK.may_load(storage, (b, i))?.unwrap_or_default();
        let v = if new > old {
            v.checked_add(new - old)?
        } else {
            v.checked_sub(old - new)?
        };
        FENWICK.save(storage, (b, i), &v)?;
        i += i & i.wrapping_neg();
    }
    Ok(())
}

/// Sum of every weight of backend `b` (node `FENWICK_SIZE` covers them all).
pub fn total(storage: &dyn Storage, b: u8) -> StdResult<Uint128> {
    Ok(FENWICK
        .may_load(storage, (b, FENWICK_SIZE))?
        .unwrap_or_default())
}

/// The slot whose cumulative weight range contains `r` (`r < total`).
pub fn find(storage: &dyn Storage, b: u8, r: Uint128) -> StdResult<u32> {
    let mut pos = 0u32;
    let mut rem = r;
    for bit in (0..=FENWICK_BITS).rev() {
        let next = pos + (1u32 << bit);
        if next > FENWICK_SIZE {
            continue;
        }
        let v = FENWICK.may_load(storage, (b, next))?.unwrap_or_default();
        if v <= rem {
            pos = next;
            rem -= v;
        }
    }
    Ok(pos + 1)
}

pub fn slot_addr(storage: &dyn Storage, b: u8, slot: u32) -> StdResult<Option<Addr>> {
    VSLOTS.may_load(storage, (b, slot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    #[test]
    fn draws_follow_the_weights() {
        let mut s = MockStorage::new();
        let weights = [5u128, 0, 3, 7, 1];
        for (i, w) in weights.iter().enumerate() {
            let a = Addr::unchecked(format!("v{i}"));
            let slot = allocate(&mut s, 0, &a).unwrap().unwrap();
            assert_eq!(slot, i as u32 + 1);
            set_weight(&mut s, 0, slot, Uint128::zero(), Uint128::new(*w)).unwrap();
        }
        assert_eq!(total(&s, 0).unwrap(), Uint128::new(16));
        let mut counts = [0u32; 5];
        for r in 0..16u128 {
            let slot = find(&s, 0, Uint128::new(r)).unwrap();
            counts[slot as usize - 1] += 1;
        }
        assert_eq!(counts, [5, 0, 3, 7, 1]);
        // update: slot 4 from 7 to 2
        set_weight(&mut s, 0, 4, Uint128::new(7), Uint128::new(2)).unwrap();
        assert_eq!(total(&s, 0).unwrap(), Uint128::new(11));
        assert_eq!(find(&s, 0, Uint128::new(8)).unwrap(), 4);
        assert_eq!(find(&s, 0, Uint128::new(10)).unwrap(), 5);
        // other backends are separate
        assert_eq!(total(&s, 1).unwrap(), Uint128::zero());
    }

    #[test]
    fn freed_slots_are_reused() {
        let mut s = MockStorage::new();
        let a = allocate(&mut s, 0, &Addr::unchecked("a")).unwrap().unwrap();
        let b = allocate(&mut s, 0, &Addr::unchecked("b")).unwrap().unwrap();
        free(&mut s, 0, a).unwrap();
        assert_eq!(slot_addr(&s, 0, a).unwrap(), None);
        let c = allocate(&mut s, 0, &Addr::unchecked("c")).unwrap().unwrap();
        assert_eq!(c, a);
        assert_eq!(slot_addr(&s, 0, c).unwrap(), Some(Addr::unchecked("c")));
        assert_eq!(VSLOT_COUNT.load(&s, 0).unwrap(), b);
    }
}
