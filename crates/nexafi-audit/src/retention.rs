//! Retention classes, legal holds and erasure: payloads are erased after their class's
//! retention period unless a legal hold covers them, and every erasure, hold and release
//! is itself an event in the log.

use jiff::Timestamp;
use serde_json::json;
use uuid::Uuid;

use crate::event::{DEFAULT_MAX_PAYLOAD_BYTES, FieldError, NewEvent};
use crate::store::{EventColumns, LegalHold, StoredEvent};

/// Action of the event that records a payload erasure on request.
pub const ERASE_ACTION: &str = "audit.payload.erase";
/// Action of the event that records a payload erasure by the retention purge.
pub const PURGE_ACTION: &str = "audit.payload.purge";
pub const HOLD_ADD_ACTION: &str = "audit.hold.add";
pub const HOLD_RELEASE_ACTION: &str = "audit.hold.release";

/// Retention periods by action prefix; the longest matching prefix wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub default_days: u32,
    /// (action prefix, days)
    pub classes: Vec<(String, u32)>,
}

impl Default for RetentionPolicy {
    /// Seven years (2,557 days), a common record-keeping period for financial records.
    fn default() -> Self {
        RetentionPolicy {
            default_days: 2557,
            classes: Vec::new(),
        }
    }
}

impl RetentionPolicy {
    /// Parses a class written as `PREFIX=DAYS`, for example `login.=365`.
    pub fn parse_class(text: &str) -> Result<(String, u32), String> {
        let (prefix, days) = text
            .split_once('=')
            .ok_or_else(|| format!("invalid retention class `{text}`: expected PREFIX=DAYS"))?;
        let days: u32 = days.parse().map_err(|_| {
            format!("invalid retention class `{text}`: DAYS must be a whole number")
        })?;
        Ok((prefix.to_owned(), days))
    }

    /// Retention period of an action, in days.
    pub fn days_for(&self, action: &str) -> u32 {
        self.classes
            .iter()
            .filter(|(prefix, _)| action.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or(self.default_days, |(_, days)| *days)
    }

    /// Shortest period of any class, which bounds the purge's candidate search.
    pub fn min_days(&self) -> u32 {
        self.classes
            .iter()
            .map(|(_, days)| *days)
            .chain([self.default_days])
            .min()
            .unwrap_or(self.default_days)
    }

    /// Tells whether the payload of an event recorded at `recorded_us` has expired.
    pub fn expired(&self, columns: &EventColumns, now: Timestamp) -> bool {
        let days = i64::from(self.days_for(&columns.action));
        columns.recorded_time_us < now.as_microsecond() - days * 86_400_000_000
    }
}

/// Tells whether an active legal hold covers the event.
pub fn is_held(holds: &[LegalHold], columns: &EventColumns) -> bool {
    holds.iter().any(|hold| {
        hold.tenant == columns.tenant && columns.resource.starts_with(hold.resource_prefix.as_str())
    })
}

/// Builds the event that records an erasure of `target`'s payload.
pub fn erasure_event(
    target: &StoredEvent,
    actor: &str,
    action: &str,
    reason: &str,
) -> Result<NewEvent, FieldError> {
    system_event(
        &target.columns.tenant,
        actor,
        action,
        &format!("event/{}", target.index),
        json!({
            "erased_index": target.index,
            "erased_event_id": target.columns.event_id.to_string(),
            "reason": reason,
        }),
    )
}

/// Builds an event the service records about its own administration.
pub fn system_event(
    tenant: &str,
    actor: &str,
    action: &str,
    resource: &str,
    payload: serde_json::Value,
) -> Result<NewEvent, FieldError> {
    let value = json!({
        "tenant": tenant,
        "event_id": Uuid::now_v7().to_string(),
        "event_time": Timestamp::now().to_string(),
        "actor": actor,
        "action": action,
        "resource": resource,
        "outcome": "success",
        "payload": payload,
    });
    NewEvent::from_json(&value, DEFAULT_MAX_PAYLOAD_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(action: &str, days_ago: i64) -> EventColumns {
        EventColumns {
            event_id: Uuid::nil(),
            tenant: "acme".to_owned(),
            event_time_us: 0,
            recorded_time_us: Timestamp::now().as_microsecond() - days_ago * 86_400_000_000,
            actor: "a".to_owned(),
            action: action.to_owned(),
            resource: "payment/1".to_owned(),
            outcome: "success".to_owned(),
            amount: None,
            currency: None,
        }
    }

    #[test]
    fn longest_prefix_class_wins() {
        let policy = RetentionPolicy {
            default_days: 100,
            classes: vec![("login.".to_owned(), 10), ("login.failed".to_owned(), 30)],
        };
        assert_eq!(policy.days_for("login.failed"), 30);
        assert_eq!(policy.days_for("login.ok"), 10);
        assert_eq!(policy.days_for("payment.create"), 100);
        assert_eq!(policy.min_days(), 10);
        assert!(policy.expired(&columns("login.ok", 11), Timestamp::now()));
        assert!(!policy.expired(&columns("login.failed", 11), Timestamp::now()));
    }

    #[test]
    fn hold_matches_tenant_and_prefix() {
        let holds = vec![LegalHold {
            id: 1,
            tenant: "acme".to_owned(),
            resource_prefix: "payment/".to_owned(),
            reason: "litigation".to_owned(),
        }];
        assert!(is_held(&holds, &columns("x", 0)));
        let mut other = columns("x", 0);
        other.tenant = "globex".to_owned();
        assert!(!is_held(&holds, &other));
    }

    #[test]
    fn class_syntax() {
        assert_eq!(
            RetentionPolicy::parse_class("login.=365"),
            Ok(("login.".to_owned(), 365))
        );
        assert!(RetentionPolicy::parse_class("login.").is_err());
        assert!(RetentionPolicy::parse_class("login.=x").is_err());
    }
}
