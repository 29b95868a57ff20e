//! Amazon EKS: API endpoint exposure, Secrets encryption and control-plane logging.

use crate::Check;

pub mod control_plane_logging;
pub mod endpoint_cidrs;
pub mod endpoint_public;
pub mod secrets_encryption;

pub static CHECKS: &[&Check] = &[
    &endpoint_public::CHECK,
    &endpoint_cidrs::CHECK,
    &secrets_encryption::CHECK,
    &control_plane_logging::CHECK,
];
