//! The JSON schemas of every contract, written as `write_api!` would write
//! them from inside the contract crate: `schema/<short>/<package>.json` (the
//! combined API), `raw/` (one file per message), and the same again under
//! `cw_schema/`. They come from the message types in `impulse-types` alone,
//! so this does not build the contracts.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use cosmwasm_schema::{cw_schema, schema_for, Api, CwApi, QueryResponses};

use crate::registry;

/// Both APIs of one contract, named like its cw2 name and versioned with the
/// workspace version.
macro_rules! apis {
    ($package:expr, $module:ident) => {{
        use impulse_types::$module as m;
        let api = Api {
            contract_name: $package.to_string(),
            contract_version: env!("CARGO_PKG_VERSION").to_string(),
            instantiate: Some(schema_for!(m::InstantiateMsg)),
            execute: Some(schema_for!(m::ExecuteMsg)),
            query: Some(schema_for!(m::QueryMsg)),
            migrate: Some(schema_for!(m::MigrateMsg)),
            sudo: Some(schema_for!(m::SudoMsg)),
            responses: Some(<m::QueryMsg as QueryResponses>::response_schemas()),
        };
        let cw_api = CwApi {
            contract_name: $package.to_string(),
            contract_version: env!("CARGO_PKG_VERSION").to_string(),
            instantiate: Some(cw_schema::schema_of::<m::InstantiateMsg>()),
            execute: Some(cw_schema::schema_of::<m::ExecuteMsg>()),
            query: Some(cw_schema::schema_of::<m::QueryMsg>()),
            migrate: Some(cw_schema::schema_of::<m::MigrateMsg>()),
            sudo: Some(cw_schema::schema_of::<m::SudoMsg>()),
            responses: Some(<m::QueryMsg as QueryResponses>::response_schemas_cw()),
        };
        (api, cw_api)
    }};
}

/// The message types of each contract. A contract listed in
/// `ci/contracts.txt` but missing here fails the generator.
fn apis_of(package: &str) -> Option<(Api, CwApi)> {
    Some(match package {
        "impulse-staking" => apis!(package, staking),
        "impulse-reputation" => apis!(package, reputation),
        "impulse-rewards" => apis!(package, rewards),
        "impulse-marketplace" => apis!(package, marketplace),
        _ => return None,
    })
}

pub fn run(out: &Path) -> Result<()> {
    let contracts = registry::contracts()?;
    let missing: Vec<&str> = contracts
        .iter()
        .filter(|c| apis_of(&c.package).is_none())
        .map(|c| c.package.as_str())
        .collect();
    if !missing.is_empty() {
        bail!(
            "no schema entry for {} (listed in ci/contracts.txt): add the message types to \
             `apis_of` in tools/gas/src/schema.rs",
            missing.join(", ")
        );
    }
    for c in &contracts {
        let (api, cw_api) = apis_of(&c.package).expect("checked above");
        let dir = out.join(&c.short);
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
        let api = api.render();
        write_set(&dir, &c.package, api.to_string()?, api.to_schema_files()?)?;
        let cw_api = cw_api.render();
        write_set(
            &dir.join("cw_schema"),
            &c.package,
            cw_api.to_string()?,
            cw_api.to_schema_files()?,
        )?;
        println!("wrote {}", dir.display());
    }
    Ok(())
}

fn write_set(dir: &Path, name: &str, combined: String, raw: Vec<(String, String)>) -> Result<()> {
    let raw_dir = dir.join("raw");
    fs::create_dir_all(&raw_dir).with_context(|| format!("creating {}", raw_dir.display()))?;
    write(&dir.join(format!("{name}.json")), combined)?;
    for (file, json) in raw {
        write(&raw_dir.join(file), json)?;
    }
    Ok(())
}

fn write(path: &Path, json: String) -> Result<()> {
    fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_contract_has_schema_types() {
        for c in registry::contracts().unwrap() {
            assert!(
                apis_of(&c.package).is_some(),
                "{} has no schema entry",
                c.package
            );
        }
    }

    #[test]
    fn schemas_carry_the_doc_comments() {
        let (api, _) = apis_of("impulse-staking").unwrap();
        let json = api.render().to_string().unwrap();
        assert!(json.contains("\"contract_name\": \"impulse-staking\""));
        assert!(json.contains("Become a provider."));
    }
}
