//! Amazon VPC and EC2: flow logs, security groups, instance metadata and EBS encryption.

use crate::Check;

mod ingress;
mod vpc;

pub mod admin_ports;
pub mod database_ports;
pub mod default_security_group;
pub mod ebs_encryption;
pub mod flow_logs;
pub mod imds_v2;

pub static CHECKS: &[&Check] = &[
    &flow_logs::CHECK,
    &default_security_group::CHECK,
    &admin_ports::CHECK,
    &database_ports::CHECK,
    &imds_v2::CHECK,
    &ebs_encryption::CHECK,
];
