//! Amazon VPC and EC2 networking: flow logs and security groups.

use crate::Check;

mod ingress;
mod vpc;

pub mod admin_ports;
pub mod database_ports;
pub mod default_security_group;
pub mod flow_logs;

pub static CHECKS: &[&Check] = &[
    &flow_logs::CHECK,
    &default_security_group::CHECK,
    &admin_ports::CHECK,
    &database_ports::CHECK,
];
