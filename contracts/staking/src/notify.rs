//! Messages to the reputation contract. They are sent as sub-messages that
//! reply only on error, so a broken or paused reputation contract can never
//! block unstake, slash or claim (checklist item 13): the failure is recorded
//! as an event and the staking change still lands.

use cosmwasm_std::{
    to_json_binary, Addr, Decimal, Deps, Reply, Response, StdResult, SubMsg, SubMsgResult, Uint128,
    WasmMsg,
};
use impulse_types::reputation::{ExecuteMsg as RepMsg, Fault, QueryMsg as RepQuery, ScoreResponse};

use crate::error::ContractError;
use crate::state::CONFIG;

/// Reply id of every reputation notification.
pub const REPLY_REPUTATION: u64 = 1;

fn submsg(reputation: &Addr, msg: &RepMsg) -> StdResult<SubMsg> {
    Ok(SubMsg::reply_on_error(
        WasmMsg::Execute {
            contract_addr: reputation.to_string(),
            msg: to_json_binary(msg)?,
            funds: vec![],
        },
        REPLY_REPUTATION,
    ))
}

/// Collects reputation notifications; empty when no reputation contract is set.
pub struct Notifier {
    reputation: Option<Addr>,
    msgs: Vec<SubMsg>,
}

impl Notifier {
    pub fn new(deps: Deps) -> StdResult<Self> {
        Ok(Notifier {
            reputation: CONFIG.load(deps.storage)?.reputation,
            msgs: vec![],
        })
    }

    fn push(&mut self, msg: RepMsg) -> StdResult<()> {
        if let Some(rep) = &self.reputation {
            self.msgs.push(submsg(rep, &msg)?);
        }
        Ok(())
    }

    pub fn stake(&mut self, provider: &Addr, stake: Uint128) -> StdResult<()> {
        self.push(RepMsg::RecordStake {
            provider: provider.to_string(),
            stake,
        })
    }

    pub fn missed_heartbeats(&mut self, provider: &Addr, intervals: u64) -> StdResult<()> {
        if intervals == 0 {
            return Ok(());
        }
        self.push(RepMsg::RecordMissedHeartbeats {
            provider: provider.to_string(),
            intervals,
        })
    }

    pub fn fault(&mut self, provider: &Addr, fault: Fault) -> StdResult<()> {
        self.push(RepMsg::RecordFault {
            provider: provider.to_string(),
            fault,
        })
    }

    pub fn apply(self, resp: Response) -> Response {
        resp.add_submessages(self.msgs)
    }
}

/// The provider's reputation score now, or `None` when there is no
/// reputation contract or it cannot answer (the caller then assumes the
/// least trusted score, so an outage never shortens a lock-up).
pub fn score(deps: Deps, provider: &Addr) -> Option<Decimal> {
    let reputation = CONFIG.load(deps.storage).ok()?.reputation?;
    let resp: ScoreResponse = deps
        .querier
        .query_wasm_smart(
            reputation,
            &RepQuery::Score {
                provider: provider.to_string(),
            },
        )
        .ok()?;
    Some(resp.score.min(Decimal::one()))
}

pub fn handle_reply(reply: Reply) -> Result<Response, ContractError> {
    match (reply.id, reply.result) {
        (REPLY_REPUTATION, SubMsgResult::Err(err)) => Ok(Response::new()
            .add_attribute("action", "reputation_update_failed")
            .add_attribute("error", err)),
        (REPLY_REPUTATION, SubMsgResult::Ok(_)) => Ok(Response::new()),
        (id, _) => Err(ContractError::UnknownReplyId { id }),
    }
}
