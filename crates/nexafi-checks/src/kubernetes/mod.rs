//! Checks of Kubernetes objects. Each area module lists its own checks, and `pod` and
//! `object` contain the helpers they share.

use crate::Check;

pub mod object;
pub mod pod;
pub mod pod_security;

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
];
