//! Security settings of pods and their containers: privileges, capabilities, users,
//! seccomp and access to the host.

use crate::Check;

pub mod privileged;

pub static CHECKS: &[&Check] = &[&privileged::CHECK];
