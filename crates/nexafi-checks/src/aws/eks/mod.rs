//! Amazon EKS: API endpoint exposure, Secrets encryption, control-plane logging and the
//! isolation of financial node groups.

use crate::Check;

pub mod control_plane_logging;
pub mod endpoint_cidrs;
pub mod endpoint_public;
pub mod financial_node_taint;
pub mod secrets_encryption;

pub static CHECKS: &[&Check] = &[
    &endpoint_public::CHECK,
    &endpoint_cidrs::CHECK,
    &secrets_encryption::CHECK,
    &control_plane_logging::CHECK,
    &financial_node_taint::CHECK,
];
