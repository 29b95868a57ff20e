//! Checks of Kubernetes objects. Each area module lists its own checks, and `pod` and
//! `object` contain the helpers they share.

use crate::Check;

pub mod image;
pub mod namespace;
pub mod network;
pub mod object;
pub mod pod;
pub mod pod_security;
pub mod rbac;
pub mod resources;
pub mod secrets;
pub mod workload;

#[cfg(test)]
mod unknown_tests;

/// Every Kubernetes check, area by area.
pub static CHECKS: &[&Check] = &[
    &pod_security::privileged::CHECK,
    &pod_security::privilege_escalation::CHECK,
    &pod_security::run_as_non_root::CHECK,
    &pod_security::read_only_root_filesystem::CHECK,
    &pod_security::capabilities_drop_all::CHECK,
    &pod_security::capabilities_added::CHECK,
    &pod_security::seccomp_profile::CHECK,
    &pod_security::host_namespaces::CHECK,
    &pod_security::host_path_volumes::CHECK,
    &pod_security::host_ports::CHECK,
    &resources::limits::CHECK,
    &resources::requests::CHECK,
    &workload::liveness_probe::CHECK,
    &workload::readiness_probe::CHECK,
    &workload::default_namespace::CHECK,
    &image::latest_tag::CHECK,
    &image::digest::CHECK,
    &rbac::wildcard_rules::CHECK,
    &rbac::cluster_admin_binding::CHECK,
    &rbac::service_account_token::CHECK,
    &secrets::env_literal::CHECK,
    &secrets::manifest_data::CHECK,
    &namespace::pod_security_admission::CHECK,
    &network::default_deny_ingress::CHECK,
    &network::default_deny_egress::CHECK,
    &network::ingress_tls::CHECK,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_area_check_is_listed() {
        let areas = [
            pod_security::CHECKS,
            resources::CHECKS,
            workload::CHECKS,
            image::CHECKS,
            rbac::CHECKS,
            secrets::CHECKS,
            namespace::CHECKS,
            network::CHECKS,
        ];
        let in_areas: Vec<&str> = areas
            .iter()
            .flat_map(|checks| checks.iter().map(|check| check.meta.id))
            .collect();
        let listed: Vec<&str> = CHECKS.iter().map(|check| check.meta.id).collect();
        assert_eq!(in_areas.len(), listed.len());
        for id in &in_areas {
            assert!(listed.contains(id), "{id} is missing from CHECKS");
        }
    }
}
