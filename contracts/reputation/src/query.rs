//! Queries: anyone can read a provider's record and score at the current
//! block (protocol.md section 3). Lists are paginated and capped.

use cosmwasm_std::{Addr, Deps, Env};
use impulse_types::reputation::{
    ConfigResponse, ReputationParams, ReputationResponse, ReputationsResponse, ScoreResponse,
};

use impulse_governance::addr_page;

use crate::error::ContractError;
use crate::governance::validate_addr;
use crate::state::{Record, CONFIG, RECORDS};

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    Ok(CONFIG.load(deps.storage)?)
}

/// A record decayed to `height`, with its score.
pub fn view(
    provider: Addr,
    record: &Record,
    params: &ReputationParams,
    height: u64,
) -> Result<ReputationResponse, ContractError> {
    Ok(ReputationResponse {
        provider,
        success_rate: record.success_rate,
        work_value: record.work_value_at(params, height),
        work_score: record.work_score_at(params, height)?,
        stake_level: record.stake_level_at(params, height),
        score: record.score_at(params, height)?,
        jobs_recorded: record.jobs_recorded,
        faults: record.faults,
        cooling_off_until: record.cooling_off_until,
        updated_at: record.updated_at,
    })
}

pub fn reputation(
    deps: Deps,
    env: Env,
    provider: String,
) -> Result<ReputationResponse, ContractError> {
    let addr = validate_addr(deps.api, &provider)?;
    let record = RECORDS
        .may_load(deps.storage, &addr)?
        .ok_or(ContractError::ProviderNotFound { address: provider })?;
    let params = CONFIG.load(deps.storage)?.params;
    view(addr, &record, &params, env.block.height)
}

/// A provider never seen scores as a fresh record would (0: no work, no stake).
pub fn score(deps: Deps, env: Env, provider: String) -> Result<ScoreResponse, ContractError> {
    let addr = validate_addr(deps.api, &provider)?;
    let params = CONFIG.load(deps.storage)?.params;
    let height = env.block.height;
    let record = RECORDS
        .may_load(deps.storage, &addr)?
        .unwrap_or_else(|| Record::new(&params, height));
    Ok(ScoreResponse {
        score: record.score_at(&params, height)?,
    })
}

pub fn reputations(
    deps: Deps,
    env: Env,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<ReputationsResponse, ContractError> {
    let params = CONFIG.load(deps.storage)?.params;
    let height = env.block.height;
    let records = addr_page(
        deps.storage,
        deps.api,
        &RECORDS,
        start_after,
        limit,
        |addr, record| view(addr, &record, &params, height),
    )?;
    Ok(ReputationsResponse { records })
}
