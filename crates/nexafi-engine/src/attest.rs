//! `[[attestation]]` entries: evidence that a person supplies for a manual control.

use jiff::civil::Date;
use nexafi_compliance::ControlAttestation;
use nexafi_model::{Attestation, CheckMeta};

use crate::config::{EntryError, RawAttestation, at, date_value, non_empty, required};

/// Maximum review interval in days, about ten years. A larger value is most likely a typo.
const MAX_REVIEW_INTERVAL_DAYS: i64 = 3660;

/// Validates one `[[attestation]]` entry against the embedded catalog and the built-in
/// checks, and computes when its next review is due.
pub(crate) fn attestation(
    raw: &RawAttestation,
    today: Date,
) -> Result<ControlAttestation, EntryError> {
    let checks: Vec<CheckMeta> = nexafi_checks::all()
        .iter()
        .map(|check| check.meta)
        .collect();
    resolve(raw, &checks, today)
}

fn resolve(
    raw: &RawAttestation,
    checks: &[CheckMeta],
    today: Date,
) -> Result<ControlAttestation, EntryError> {
    let framework_value = required(&raw.framework, "framework", "framework = \"pci_dss\"")?;
    let control_value = required(&raw.control, "control", "control = \"12.1.1\"")?;
    let evidence = required(
        &raw.evidence,
        "evidence",
        "evidence = \"where an auditor finds the evidence\"",
    )?;
    let owner = required(
        &raw.owner,
        "owner",
        "owner = \"team or person accountable\"",
    )?;
    let date_entry = required(&raw.date, "date", "date = 2026-10-01")?;
    let interval = required(
        &raw.review_interval_days,
        "review_interval_days",
        "review_interval_days = 365",
    )?;

    let catalog = nexafi_compliance::catalog();
    let framework = catalog
        .framework(framework_value.get_ref())
        .map_err(|error| at(framework_value, error.to_string()))?;
    let control_id = control_value.get_ref().trim();
    if catalog.control(&framework.id, control_id).is_none() {
        return Err(at(
            control_value,
            format!(
                "{} has no control {control_id:?}; run `nexafi frameworks show {}` for its control ids",
                framework.short_name(),
                framework.id
            ),
        ));
    }
    let evidencing: Vec<&str> = catalog.primary_checks(&framework.id, control_id, checks);
    if !evidencing.is_empty() {
        return Err(at(
            control_value,
            format!(
                "{} {control_id} is not a manual control: checks {} give automated evidence for it, so an attestation cannot replace them; remove this entry",
                framework.short_name(),
                evidencing.join(", ")
            ),
        ));
    }

    let days = *interval.get_ref();
    if !(1..=MAX_REVIEW_INTERVAL_DAYS).contains(&days) {
        return Err(at(
            interval,
            format!(
                "review_interval_days must be between 1 and {MAX_REVIEW_INTERVAL_DAYS}, found {days}"
            ),
        ));
    }
    let date = date_value(date_entry)?;
    if date > today {
        return Err(at(
            date_entry,
            format!(
                "the attestation date {date} is in the future (today is {today} in UTC); write the day the evidence was reviewed"
            ),
        ));
    }
    let due = date
        .checked_add(jiff::Span::new().days(days))
        .map_err(|error| at(interval, format!("invalid review interval: {error}")))?;

    Ok(ControlAttestation {
        framework: framework.id.clone(),
        control: control_id.to_owned(),
        attestation: Attestation {
            evidence: non_empty(evidence, "evidence")?,
            owner: non_empty(owner, "owner")?,
            date: date.to_string(),
            review_interval_days: u32::try_from(days).unwrap_or(u32::MAX),
            due: due.to_string(),
            overdue: due < today,
        },
    })
}
