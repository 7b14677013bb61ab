//! Migration rules: a contract migrates only from its own earlier (or the
//! same) version. Versions are compared as numbers, so 0.10.0 > 0.9.0.

use crate::GovError;

/// `MAJOR.MINOR.PATCH` as three numbers; `None` for anything else (a
/// pre-release suffix, a `v` prefix, missing or extra parts).
pub fn parse_semver(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    let parsed = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(parsed)
}

fn parse(version: &str) -> Result<(u64, u64, u64), GovError> {
    parse_semver(version).ok_or_else(|| GovError::InvalidVersion {
        version: version.to_string(),
    })
}

/// A migration must keep the contract name and must not go back in version.
pub(crate) fn check(
    stored_name: &str,
    stored_version: &str,
    name: &str,
    version: &str,
) -> Result<(), GovError> {
    if stored_name != name {
        return Err(GovError::WrongContract {
            stored: stored_name.to_string(),
            expected: name.to_string(),
        });
    }
    if parse(version)? < parse(stored_version)? {
        return Err(GovError::CannotDowngrade {
            stored: stored_version.to_string(),
            new: version.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_plain_versions() {
        assert_eq!(parse_semver("0.10.2"), Some((0, 10, 2)));
        for bad in ["1.0", "v0.0.1", "0.0.1-rc1", "0.0.1.2", "", "x.y.z"] {
            assert_eq!(parse_semver(bad), None, "{bad}");
        }
        assert!(parse_semver("0.9.0") < parse_semver("0.10.0"));
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(check("a", "0.9.0", "a", "0.10.0").is_ok());
        assert!(check("a", "0.1.0", "a", "0.1.0").is_ok());
        assert!(matches!(
            check("a", "0.2.0", "a", "0.1.9"),
            Err(GovError::CannotDowngrade { .. })
        ));
        assert!(matches!(
            check("b", "0.1.0", "a", "0.1.0"),
            Err(GovError::WrongContract { .. })
        ));
        assert!(matches!(
            check("a", "x.y", "a", "0.1.0"),
            Err(GovError::InvalidVersion { .. })
        ));
    }
}
