//! The contract list, read from `ci/contracts.txt` (compiled in), the single
//! place a new contract is named. Shell scripts read the same file.

use anyhow::{bail, Result};

const CONTRACTS_TXT: &str = include_str!("../../../ci/contracts.txt");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    /// Cargo package, e.g. `impulse-staking`; also the cw2/schema name.
    pub package: String,
    /// Short name, e.g. `staking`: the folder under `schema/`.
    pub short: String,
}

impl Contract {
    /// File name of the optimized wasm under `artifacts/`.
    pub fn wasm_file(&self) -> String {
        format!("{}.wasm", self.package.replace('-', "_"))
    }
}

pub fn contracts() -> Result<Vec<Contract>> {
    parse(CONTRACTS_TXT)
}

fn parse(text: &str) -> Result<Vec<Contract>> {
    let mut out: Vec<Contract> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [package, short] = cols[..] else {
            bail!(
                "ci/contracts.txt line {}: expected `<package> <short name>`",
                i + 1
            );
        };
        if out.iter().any(|c| c.package == package || c.short == short) {
            bail!(
                "ci/contracts.txt line {}: {package} / {short} listed twice",
                i + 1
            );
        }
        out.push(Contract {
            package: package.to_string(),
            short: short.to_string(),
        });
    }
    if out.is_empty() {
        bail!("ci/contracts.txt lists no contract");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_list_parses() {
        let list = contracts().unwrap();
        assert!(list.iter().any(|c| c.package == "impulse-staking"));
        assert_eq!(
            list.iter()
                .find(|c| c.short == "reputation")
                .unwrap()
                .wasm_file(),
            "impulse_reputation.wasm"
        );
    }

    #[test]
    fn rejects_bad_lines() {
        assert!(parse("a b c\n").is_err());
        assert!(parse("a b\na c\n").is_err());
        assert!(parse("# nothing\n").is_err());
        assert_eq!(parse("x-y  z # note\n").unwrap()[0].wasm_file(), "x_y.wasm");
    }
}
