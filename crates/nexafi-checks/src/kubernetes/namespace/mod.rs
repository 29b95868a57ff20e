//! Settings of Namespace objects.

use crate::Check;

pub mod pod_security_admission;

pub static CHECKS: &[&Check] = &[&pod_security_admission::CHECK];
