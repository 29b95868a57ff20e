//! Security settings of pods and their containers: privileges, capabilities, users,
//! seccomp and access to the host.

use crate::Check;

pub mod capabilities_added;
pub mod capabilities_drop_all;
pub mod host_namespaces;
pub mod host_path_volumes;
pub mod host_ports;
pub mod privilege_escalation;
pub mod privileged;
pub mod read_only_root_filesystem;
pub mod run_as_non_root;
pub mod seccomp_profile;

pub static CHECKS: &[&Check] = &[
    &privileged::CHECK,
    &privilege_escalation::CHECK,
    &run_as_non_root::CHECK,
    &read_only_root_filesystem::CHECK,
    &capabilities_drop_all::CHECK,
    &capabilities_added::CHECK,
    &seccomp_profile::CHECK,
    &host_namespaces::CHECK,
    &host_path_volumes::CHECK,
    &host_ports::CHECK,
];
