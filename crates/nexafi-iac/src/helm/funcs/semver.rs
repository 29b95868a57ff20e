//! Version constraints as Sprig's `semverCompare` reads them (the Masterminds semver
//! rules): `>=1.21.0-0`, `~1.2`, `^2`, `1.x`, `<1.25 || >=1.27`, `>=1.19, <1.30`.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::helm::value::Value;

/// A semantic version; a part left out of a constraint is "dirty" (a wildcard).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub prerelease: String,
    pub metadata: String,
    original: String,
    minor_dirty: bool,
    patch_dirty: bool,
}

impl Version {
    /// Parses `v1.2.3-rc.1+build`; minor and patch may be missing or `x`, `X`, `*`.
    pub fn parse(text: &str) -> Result<Version, String> {
        let invalid = || format!("invalid semantic version {text:?}");
        let trimmed = text.trim();
        let body = trimmed.strip_prefix(['v', 'V']).unwrap_or(trimmed);
        let (body, metadata) = body.split_once('+').unwrap_or((body, ""));
        let (core, prerelease) = body.split_once('-').unwrap_or((body, ""));
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 || parts[0].is_empty() {
            return Err(invalid());
        }
        let wildcard = |part: &str| matches!(part, "x" | "X" | "*");
        let number = |part: &str| part.parse::<u64>().map_err(|_| invalid());
        let major = if wildcard(parts[0]) {
            0
        } else {
            number(parts[0])?
        };
        let (minor, minor_dirty) = match parts.get(1) {
            None => (0, true),
            Some(part) if wildcard(part) => (0, true),
            Some(part) => (number(part)?, false),
        };
        let (patch, patch_dirty) = match parts.get(2) {
            None => (0, true),
            Some(part) if wildcard(part) => (0, true),
            Some(part) => (number(part)?, minor_dirty),
        };
        Ok(Version {
            major,
            minor,
            patch,
            prerelease: prerelease.to_owned(),
            metadata: metadata.to_owned(),
            original: text.to_owned(),
            minor_dirty,
            patch_dirty,
        })
    }

    pub fn to_value(&self) -> Value {
        let entries = BTreeMap::from([
            (
                "Major".to_owned(),
                Value::Int(i64::try_from(self.major).unwrap_or(i64::MAX)),
            ),
            (
                "Minor".to_owned(),
                Value::Int(i64::try_from(self.minor).unwrap_or(i64::MAX)),
            ),
            (
                "Patch".to_owned(),
                Value::Int(i64::try_from(self.patch).unwrap_or(i64::MAX)),
            ),
            (
                "Prerelease".to_owned(),
                Value::string(self.prerelease.as_str()),
            ),
            ("Metadata".to_owned(), Value::string(self.metadata.as_str())),
            ("Original".to_owned(), Value::string(self.original.as_str())),
        ]);
        Value::map(entries)
    }

    fn compare(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| compare_prerelease(&self.prerelease, &other.prerelease))
    }

    fn next_major(&self) -> Version {
        self.with(self.major + 1, 0, 0)
    }

    fn next_minor(&self) -> Version {
        self.with(self.major, self.minor + 1, 0)
    }

    fn next_patch(&self) -> Version {
        self.with(self.major, self.minor, self.patch + 1)
    }

    fn with(&self, major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
            prerelease: String::new(),
            metadata: String::new(),
            original: String::new(),
            minor_dirty: false,
            patch_dirty: false,
        }
    }
}

/// A version without a prerelease sorts after one with; prerelease identifiers compare
/// numerically when both are numbers.
fn compare_prerelease(left: &str, right: &str) -> Ordering {
    match (left.is_empty(), right.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let mut left_parts = left.split('.');
    let mut right_parts = right.split('.');
    loop {
        match (left_parts.next(), right_parts.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(a), Some(b)) => {
                let ordering = match (a.parse::<u64>(), b.parse::<u64>()) {
                    (Ok(a), Ok(b)) => a.cmp(&b),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => a.cmp(b),
                };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
        }
    }
}

/// Returns whether `version` satisfies `constraint`.
pub fn matches(constraint: &str, version: &str) -> Result<bool, String> {
    let version = Version::parse(version)?;
    for group in constraint.split("||") {
        let mut all = true;
        let mut any_term = false;
        for term in terms(group) {
            any_term = true;
            if !term_matches(&term, &version)? {
                all = false;
                break;
            }
        }
        if any_term && all {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Splits an AND group on commas and spaces, keeping an operator with its version.
fn terms(group: &str) -> Vec<String> {
    let is_operator = |text: &str| text.chars().all(|c| "<>=!~^".contains(c));
    let mut out: Vec<String> = Vec::new();
    for piece in group.split([',', ' ']).filter(|piece| !piece.is_empty()) {
        match out.last_mut() {
            Some(last) if is_operator(last) => last.push_str(piece),
            _ => out.push(piece.to_owned()),
        }
    }
    out
}

fn term_matches(term: &str, version: &Version) -> Result<bool, String> {
    let operator_length = term
        .find(|c: char| !"<>=!~^".contains(c))
        .ok_or_else(|| format!("invalid constraint {term:?}"))?;
    let (operator, rest) = term.split_at(operator_length);
    let bound = Version::parse(rest).map_err(|_| format!("invalid constraint {term:?}"))?;

    // A prerelease version only satisfies constraints that name a prerelease.
    if !version.prerelease.is_empty() && bound.prerelease.is_empty() {
        return Ok(false);
    }
    let ordering = version.compare(&bound);
    Ok(match operator {
        "" | "=" => {
            if bound.minor_dirty {
                version.major == bound.major
            } else if bound.patch_dirty {
                version.major == bound.major && version.minor == bound.minor
            } else {
                ordering == Ordering::Equal
            }
        }
        "!=" => ordering != Ordering::Equal,
        ">" => {
            if bound.minor_dirty {
                version.major > bound.major
            } else if bound.patch_dirty {
                (version.major, version.minor) > (bound.major, bound.minor)
            } else {
                ordering == Ordering::Greater
            }
        }
        ">=" | "=>" => ordering != Ordering::Less,
        "<" => ordering == Ordering::Less,
        "<=" | "=<" => {
            if bound.minor_dirty {
                version.compare(&bound.next_major()) == Ordering::Less
            } else if bound.patch_dirty {
                version.compare(&bound.next_minor()) == Ordering::Less
            } else {
                ordering != Ordering::Greater
            }
        }
        "~" | "~>" => {
            let upper = if bound.minor_dirty {
                bound.next_major()
            } else {
                bound.next_minor()
            };
            ordering != Ordering::Less && version.compare(&upper) == Ordering::Less
        }
        "^" => {
            let upper = if bound.major > 0 || bound.minor_dirty {
                bound.next_major()
            } else if bound.minor > 0 || bound.patch_dirty {
                bound.next_minor()
            } else {
                bound.next_patch()
            };
            ordering != Ordering::Less && version.compare(&upper) == Ordering::Less
        }
        other => return Err(format!("invalid constraint operator {other:?} in {term:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_version_guards() {
        assert_eq!(matches(">=1.21.0-0", "v1.36.0"), Ok(true));
        assert_eq!(matches("<1.19", "v1.36.0"), Ok(false));
        assert_eq!(matches(">= 1.19, < 1.40", "v1.36.0"), Ok(true));
        assert_eq!(matches("<1.20 || >=1.30", "1.36.0"), Ok(true));
    }

    #[test]
    fn tilde_caret_and_wildcards() {
        assert_eq!(matches("~1.2", "1.2.9"), Ok(true));
        assert_eq!(matches("~1.2", "1.3.0"), Ok(false));
        assert_eq!(matches("^1.2.3", "1.9.0"), Ok(true));
        assert_eq!(matches("^0.2.3", "0.3.0"), Ok(false));
        assert_eq!(matches("1.x", "1.7.2"), Ok(true));
    }

    #[test]
    fn prerelease_needs_prerelease_constraint() {
        assert_eq!(matches(">=1.0.0", "1.5.0-beta.1"), Ok(false));
        assert_eq!(matches(">=1.0.0-0", "1.5.0-beta.1"), Ok(true));
    }
}
