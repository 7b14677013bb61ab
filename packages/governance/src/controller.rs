//! [`Controller`]: the governance role of one contract.

use cosmwasm_std::{from_json, to_json_vec, Addr, Api, DepsMut, Response, StdError, Storage};
use cw_storage_plus::Item;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{
    ensure_caller, migrate, validate_addr, wired, GovError, Governed, InstantiateMsg, Sudo, SudoMsg,
};

/// The two steps of handing the governance role over, as every contract's
/// `ExecuteMsg` spells them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Handover {
    /// The governance names its successor.
    ProposeGovernance { address: String },
    /// The successor takes the role.
    AcceptGovernance {},
}

/// Checks parameters against their bounds; `current` is the configuration
/// in force (`None` at instantiation).
pub type Validate<P> = fn(new: &P, current: Option<&P>) -> Result<(), GovError>;

/// The governance role of a contract: its cw2 name and version, the `Item`
/// its configuration is stored in and its parameter bounds.
pub struct Controller<C: Governed + 'static> {
    config: Item<C>,
    name: &'static str,
    version: &'static str,
    validate: Validate<C::Params>,
}

impl<C> Controller<C>
where
    C: Governed + Serialize + DeserializeOwned + 'static,
{
    pub const fn new(
        config: Item<C>,
        name: &'static str,
        version: &'static str,
        validate: Validate<C::Params>,
    ) -> Self {
        Controller {
            config,
            name,
            version,
            validate,
        }
    }

    /// The contract's cw2 name, e.g. `crates.io:impulse-staking`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The configuration of a new contract from its `InstantiateMsg`: its
    /// governance, its parameters (or the defaults), checked against their
    /// bounds, and every field of `msg` named like a contract the
    /// configuration points at (`staking`, ...). Records the cw2 version and
    /// stores the configuration.
    pub fn instantiate(
        &self,
        storage: &mut dyn Storage,
        api: &dyn Api,
        msg: &impl InstantiateMsg<Params = C::Params>,
    ) -> Result<(C, Response), GovError> {
        let params = msg.params().unwrap_or_default();
        (self.validate)(&params, None)?;
        let mut config = C::new(validate_addr(api, msg.governance())?, params);
        wire(api, &mut config, &fields(msg)?, Response::new())?;
        cw2::set_contract_version(storage, self.name, self.version)?;
        self.config.save(storage, &config)?;
        let resp = Response::new()
            .add_attribute("action", "instantiate")
            .add_attribute("governance", config.governance().as_str());
        Ok((config, resp))
    }

    /// The configuration, if `sender` is the governance address.
    pub fn ensure(
        &self,
        storage: &dyn Storage,
        sender: &Addr,
        action: &'static str,
    ) -> Result<C, GovError> {
        let config = self.config.load(storage)?;
        ensure_caller(config.governance(), sender, action)?;
        Ok(config)
    }

    /// The configuration, if `sender` is the contract `name` it points at
    /// (e.g. only the configured marketplace may lock stake).
    pub fn ensure_wired(
        &self,
        storage: &dyn Storage,
        name: &'static str,
        sender: &Addr,
        action: &'static str,
    ) -> Result<C, GovError> {
        let config = self.config.load(storage)?;
        ensure_caller(wired(&config, name)?, sender, action)?;
        Ok(config)
    }

    /// A governance message through `execute`: `ProposeGovernance` and
    /// `AcceptGovernance` are handled here; any other (`UpdateParams`,
    /// `SetContracts`, ...) must come from the governance address and is
    /// then handed to `sudo` as the contract's `SudoMsg` of the same name.
    pub fn execute<E, S, Err>(
        &self,
        deps: DepsMut,
        sender: &Addr,
        msg: &E,
        sudo: impl FnOnce(DepsMut, S) -> Result<Response, Err>,
    ) -> Result<Response, Err>
    where
        E: Serialize,
        S: DeserializeOwned,
        Err: From<GovError>,
    {
        let (name, _) = variant(msg)?;
        if name == "propose_governance" || name == "accept_governance" {
            return Ok(self.handover(deps.storage, deps.api, sender, msg)?);
        }
        let sudo_msg = self.privileged(deps.storage, sender, msg)?;
        sudo(deps, sudo_msg)
    }

    /// A governance-only `execute` message that `sudo` also takes (same
    /// variant name and fields, e.g. `UpdateParams`, `SetContracts`): checks
    /// that `sender` is the governance address, then returns it as the
    /// contract's `SudoMsg`, so the governance address and x/gov reach the
    /// same handler by construction.
    fn privileged<E, S>(&self, storage: &dyn Storage, sender: &Addr, msg: &E) -> Result<S, GovError>
    where
        E: Serialize,
        S: DeserializeOwned,
    {
        let json = to_json_vec(msg)?;
        let name = variant_name(&json).unwrap_or_default();
        self.ensure(storage, sender, action(&name))?;
        from_json(&json).map_err(|e| {
            GovError::Std(StdError::msg(format!(
                "{name} is not a governance message of this contract: {e}"
            )))
        })
    }

    /// A `SudoMsg` from x/gov (or from `execute` through [`Self::execute`]):
    /// `UpdateParams` and `SetContracts` are handled here, the contract's
    /// own messages by `own`.
    pub fn sudo<M, Err>(
        &self,
        deps: DepsMut,
        msg: M,
        own: impl FnOnce(DepsMut, M) -> Result<Response, Err>,
    ) -> Result<Response, Err>
    where
        M: SudoMsg<Params = C::Params>,
        Err: From<GovError>,
    {
        match msg.split() {
            Sudo::UpdateParams(params) => Ok(self.update_params(deps.storage, params)?),
            Sudo::SetContracts(msg) => Ok(self.set_contracts(deps.storage, deps.api, &msg)?),
            Sudo::Own(msg) => own(deps, msg),
        }
    }

    /// Replace the parameters once they are within their bounds. The
    /// response carries one attribute per parameter.
    pub fn update_params(
        &self,
        storage: &mut dyn Storage,
        params: C::Params,
    ) -> Result<Response, GovError> {
        let mut config = self.config.load(storage)?;
        (self.validate)(&params, Some(config.params()))?;
        *config.params_mut() = params;
        self.config.save(storage, &config)?;
        let resp = Response::new().add_attribute("action", "update_params");
        Ok(resp.add_attributes(attributes(config.params())?))
    }

    /// The contract's `SetContracts` message (`{"set_contracts": {"staking":
    /// ..}}`): point at other contracts; an absent address is kept.
    pub fn set_contracts(
        &self,
        storage: &mut dyn Storage,
        api: &dyn Api,
        msg: &impl Serialize,
    ) -> Result<Response, GovError> {
        let mut config = self.config.load(storage)?;
        let resp = Response::new().add_attribute("action", "set_contracts");
        let (_, body) = variant(msg)?;
        let resp = wire(api, &mut config, &top_level(&body)?, resp)?;
        self.config.save(storage, &config)?;
        Ok(resp)
    }

    /// The contract's `ProposeGovernance { address }` or
    /// `AcceptGovernance {}` message.
    fn handover(
        &self,
        storage: &mut dyn Storage,
        api: &dyn Api,
        sender: &Addr,
        msg: &impl Serialize,
    ) -> Result<Response, GovError> {
        let step: Handover = from_json(to_json_vec(msg)?).map_err(|e| {
            GovError::Std(StdError::msg(format!("not a governance hand-over: {e}")))
        })?;
        match step {
            Handover::ProposeGovernance { address } => {
                let mut config = self.ensure(storage, sender, "propose a new governance")?;
                let proposed = validate_addr(api, &address)?;
                *config.pending_governance_mut() = Some(proposed.clone());
                self.config.save(storage, &config)?;
                Ok(Response::new()
                    .add_attribute("action", "propose_governance")
                    .add_attribute("proposed", proposed.as_str()))
            }
            Handover::AcceptGovernance {} => {
                let mut config = self.config.load(storage)?;
                match config.pending_governance_mut() {
                    None => return Err(GovError::NoPendingGovernance {}),
                    Some(p) if p != sender => {
                        return Err(GovError::unauthorized(sender, "accept governance"))
                    }
                    Some(_) => {}
                }
                *config.pending_governance_mut() = None;
                let previous = std::mem::replace(config.governance_mut(), sender.clone());
                self.config.save(storage, &config)?;
                Ok(Response::new()
                    .add_attribute("action", "accept_governance")
                    .add_attribute("previous", previous.as_str())
                    .add_attribute("governance", sender.as_str()))
            }
        }
    }

    /// `migrate`: refuses another contract's state and any downgrade, proves
    /// the stored configuration still decodes, then records this version
    /// (cw2). wasmd lets only the contract's admin (x/gov) migrate.
    pub fn migrate(&self, storage: &mut dyn Storage) -> Result<Response, GovError> {
        let stored = cw2::get_contract_version(storage)?;
        migrate::check(&stored.contract, &stored.version, self.name, self.version)?;
        self.config
            .load(storage)
            .map_err(|e| StdError::msg(format!("the stored configuration does not decode: {e}")))?;
        cw2::set_contract_version(storage, self.name, self.version)?;
        Ok(Response::new()
            .add_attribute("action", "migrate")
            .add_attribute("from_version", stored.version)
            .add_attribute("to_version", self.version))
    }
}

/// Point `config` at the contracts named in `fields` (in their order, each
/// address validated; `null` keeps the current one), one attribute each.
/// Fields that name no contract of this configuration are not wiring.
fn wire<C: Governed>(
    api: &dyn Api,
    config: &mut C,
    fields: &[(String, String)],
    mut resp: Response,
) -> Result<Response, GovError> {
    let mut slots = config.wiring_mut();
    for (name, value) in fields {
        let Some((name, slot)) = slots.iter_mut().find(|(n, _)| n == name) else {
            continue;
        };
        if value == "null" {
            continue;
        }
        let addr = validate_addr(api, value)?;
        resp = resp.add_attribute(*name, addr.as_str());
        **slot = Some(addr);
    }
    Ok(resp)
}

fn json_text(value: &impl Serialize) -> Result<String, GovError> {
    String::from_utf8(to_json_vec(value)?).map_err(|e| GovError::Std(StdError::msg(e.to_string())))
}

/// `(key, value)` of every top-level field of a JSON object's text.
fn top_level(json: &str) -> Result<Vec<(String, String)>, GovError> {
    top_level_fields(json).ok_or_else(|| GovError::Std(StdError::msg("not a JSON object")))
}

/// The top-level fields of `value` serialized.
fn fields(value: &impl Serialize) -> Result<Vec<(String, String)>, GovError> {
    top_level(&json_text(value)?)
}

/// The variant name and body of an externally tagged enum value.
fn variant(value: &impl Serialize) -> Result<(String, String), GovError> {
    let mut f = fields(value)?;
    match f.pop() {
        Some(v) if f.is_empty() => Ok(v),
        _ => Err(GovError::Std(StdError::msg("not an enum message"))),
    }
}

/// One attribute per top-level field of `params`: strings without their
/// quotes, numbers and booleans as written, nested values as compact JSON.
/// (A hand-rolled splitter: the VM refuses the float code of a JSON value
/// type.)
fn attributes(params: &impl Serialize) -> Result<Vec<(String, String)>, GovError> {
    fields(params)
}

/// The `(key, value)` pairs of a compact JSON object.
fn top_level_fields(json: &str) -> Option<Vec<(String, String)>> {
    let body = json.strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut escaped, mut start) = (0i32, false, false, 0usize);
    let mut push = |field: &str| -> Option<()> {
        let (key, value) = field.split_once(':')?;
        let key = key.strip_prefix('"')?.strip_suffix('"')?;
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        out.push((key.to_string(), value.to_string()));
        Some(())
    };
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '{' | '[' if !in_str => depth += 1,
            '}' | ']' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => {
                push(&body[start..i])?;
                start = i + 1;
            }
            _ => {}
        }
    }
    if !body.is_empty() {
        push(&body[start..])?;
    }
    Some(out)
}

/// The variant name of an externally tagged enum in JSON: `{"name":{...}}`.
fn variant_name(json: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(json).ok()?;
    let rest = text.strip_prefix("{\"")?;
    Some(rest[..rest.find('"')?].to_string())
}

/// What an `Unauthorized` error says the caller may not do.
fn action(variant: &str) -> &'static str {
    match variant {
        "update_params" => "update params",
        "set_contracts" => "set contracts",
        "spend_vault" => "spend the vault",
        _ => "act as governance",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_top_level_fields() {
        let f = top_level_fields(
            r#"{"denom":"uimp","n":5,"ok":true,"w":{"a":"1","b":[1,2]},"s":"a,b\"c"}"#,
        )
        .unwrap();
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            f,
            vec![
                ("denom", "uimp"),
                ("n", "5"),
                ("ok", "true"),
                ("w", r#"{"a":"1","b":[1,2]}"#),
                ("s", r#"a,b\"c"#),
            ]
        );
        assert!(top_level_fields("{}").unwrap().is_empty());
        assert!(top_level_fields("[1]").is_none());
    }

    #[test]
    fn names_the_variant() {
        assert_eq!(
            variant_name(br#"{"update_params":{"params":{}}}"#).as_deref(),
            Some("update_params")
        );
        assert_eq!(action("spend_vault"), "spend the vault");
        assert_eq!(variant_name(b"[]"), None);
    }
}
