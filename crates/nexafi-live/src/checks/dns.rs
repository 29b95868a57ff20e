//! `dns`: a name resolves through the system resolver, optionally to given addresses.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::{Attempt, Failure};
use crate::load::{Fields, LoadError};

#[derive(Clone, Debug)]
pub struct DnsCheck {
    pub name: String,
    /// Addresses that must all be among the resolved addresses. Empty means any result
    /// passes.
    pub addresses: Vec<IpAddr>,
}

impl DnsCheck {
    pub(crate) fn load(fields: &mut Fields<'_>) -> Result<Self, LoadError> {
        let (name, _) = fields.required(|raw| &mut raw.host, "host", "api.example.test")?;
        let mut addresses = Vec::new();
        if let Some(list) = fields.raw.addresses.take() {
            for text in &list.value {
                let address = text.parse::<IpAddr>().map_err(|_| {
                    fields.error(
                        &list.referenced,
                        format!("invalid IP address {text:?} in `addresses`; expected forms like 10.0.0.1 or fd00::1"),
                    )
                })?;
                addresses.push(address);
            }
        }
        Ok(Self { name, addresses })
    }

    pub async fn run(&self) -> Attempt {
        // The port is required by the resolver interface and never used.
        let answers = tokio::net::lookup_host((self.name.as_str(), 0))
            .await
            .map_err(|error| {
                Failure::failed(format!("expected {} to resolve, found: {error}", self.name))
            })?;
        let found: BTreeSet<IpAddr> = answers.map(|address| address.ip()).collect();
        if found.is_empty() {
            return Err(Failure::failed(format!(
                "expected {} to resolve, found no addresses",
                self.name
            )));
        }
        let missing: Vec<String> = self
            .addresses
            .iter()
            .filter(|address| !found.contains(address))
            .map(ToString::to_string)
            .collect();
        let shown = found
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        if !missing.is_empty() {
            return Err(Failure::failed(format!(
                "expected {} to resolve to {}, found {shown}",
                self.name,
                missing.join(", ")
            )));
        }
        Ok(format!("resolved to {shown}"))
    }
}
