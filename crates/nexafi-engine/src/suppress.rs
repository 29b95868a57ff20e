//! Applies inline suppressions, `nexafi.toml` waivers and a baseline to the findings of a
//! scan.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use nexafi_model::{Finding, Suppression, Verdict, WaiverUse};

use crate::baseline::Baseline;
use crate::config::Config;
use crate::inline::InlineWaivers;
use crate::waiver::Waiver;

/// Everything that can waive a finding in one scan.
pub struct Suppressions<'a> {
    pub config: Option<&'a Config>,
    pub inline: &'a InlineWaivers,
    pub baseline: Option<&'a Baseline>,
    pub today: Date,
}

/// Waives matching findings and returns every declared waiver with its use.
///
/// Only `fail` and `unknown` findings can be waived: a pass needs nothing, and an input
/// that failed to load must be fixed. `resources[i]` is the index in the model of the
/// resource finding `i` is about, or `None` for load findings.
///
/// Inline suppressions of the finding's resource are tried first, then `[[waiver]]`
/// entries in file order, then the baseline. The first one in force wins, and the
/// finding becomes `waived`. When every matching waiver has expired and no baseline
/// entry matches, the finding keeps its verdict and carries the first expired waiver,
/// so reports can show when it expired. Only the waiver a finding carries counts as used.
pub fn apply(
    suppressions: &Suppressions<'_>,
    findings: &mut [Finding],
    resources: &[Option<usize>],
) -> Vec<WaiverUse> {
    let configured: &[Waiver] = suppressions
        .config
        .map_or(&[], |config| config.waivers.as_slice());
    let inline = &suppressions.inline.waivers;
    let mut config_uses = vec![0usize; configured.len()];
    let mut inline_uses = vec![0usize; inline.len()];
    let root = suppressions.config.map(|config| config.root.as_path());

    for (index, finding) in findings.iter_mut().enumerate() {
        if !matches!(finding.verdict, Verdict::Fail | Verdict::Unknown) {
            continue;
        }
        let relative = root.and_then(|root| relative_to(root, &finding.file));

        let inline_candidates = resources
            .get(index)
            .copied()
            .flatten()
            .and_then(|resource| suppressions.inline.by_resource.get(resource))
            .into_iter()
            .flatten()
            .copied()
            .filter(|waiver| inline[*waiver].check.matches(&finding.check_id))
            .map(Candidate::Inline);
        let config_candidates = configured
            .iter()
            .enumerate()
            .filter(|(_, waiver)| matches_finding(waiver, finding, relative.as_deref()))
            .map(|(index, _)| Candidate::Config(index));
        let candidates: Vec<Candidate> = inline_candidates.chain(config_candidates).collect();

        let waiver_of = |candidate: &Candidate| match candidate {
            Candidate::Inline(index) => &inline[*index],
            Candidate::Config(index) => &configured[*index],
        };
        let in_force = candidates
            .iter()
            .find(|candidate| !waiver_of(candidate).is_expired(suppressions.today));
        let baselined = || {
            suppressions
                .baseline
                .and_then(|baseline| baseline.suppression(&finding.fingerprint))
        };
        let suppression: Option<Suppression> = if let Some(candidate) = in_force {
            count(candidate, &mut inline_uses, &mut config_uses);
            Some(waiver_of(candidate).suppression(suppressions.today))
        } else if let Some(baselined) = baselined() {
            Some(baselined)
        } else if let Some(candidate) = candidates.first() {
            count(candidate, &mut inline_uses, &mut config_uses);
            Some(waiver_of(candidate).suppression(suppressions.today))
        } else {
            None
        };

        if let Some(suppression) = suppression {
            if !suppression.expired {
                finding.verdict = Verdict::Waived;
            }
            finding.suppression = Some(suppression);
        }
    }

    let uses = |waiver: &Waiver, matched: usize| WaiverUse {
        declaration: waiver.suppression(suppressions.today),
        check: waiver.check_text.clone(),
        target: waiver.target(),
        matched,
    };
    configured
        .iter()
        .zip(config_uses)
        .map(|(waiver, matched)| uses(waiver, matched))
        .chain(
            inline
                .iter()
                .zip(inline_uses)
                .map(|(waiver, matched)| uses(waiver, matched)),
        )
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Candidate {
    Inline(usize),
    Config(usize),
}

fn count(candidate: &Candidate, inline_uses: &mut [usize], config_uses: &mut [usize]) {
    match candidate {
        Candidate::Inline(index) => inline_uses[*index] += 1,
        Candidate::Config(index) => config_uses[*index] += 1,
    }
}

/// Returns true when a `[[waiver]]` entry selects the finding: its check pattern matches,
/// and so do its resource pattern and path glob when it has them. `relative` is the
/// finding's file relative to the directory of `nexafi.toml`.
fn matches_finding(waiver: &Waiver, finding: &Finding, relative: Option<&Path>) -> bool {
    if !waiver.check.matches(&finding.check_id) {
        return false;
    }
    if let Some(resource) = &waiver.resource
        && !resource.matches(&finding.resource)
    {
        return false;
    }
    if let Some(path) = &waiver.path {
        return relative.is_some_and(|relative| path.matches(relative));
    }
    true
}

/// Returns `file` relative to `root`, or `None` when it lies outside.
fn relative_to(root: &Path, file: &str) -> Option<PathBuf> {
    if file.is_empty() {
        return None;
    }
    let absolute = std::path::absolute(file).ok()?;
    absolute.strip_prefix(root).ok().map(Path::to_path_buf)
}
