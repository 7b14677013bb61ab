//! Contract versions as cw2 records them (protocol.md section 9): both
//! contracts refuse a migration to an older version, so they must read
//! versions the same way.

/// `MAJOR.MINOR.PATCH` as three numbers; `None` for anything else (a
/// pre-release suffix, a `v` prefix, missing or extra parts).
pub fn parse_semver(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    let parsed = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(parsed)
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
}
