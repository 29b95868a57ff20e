//! `nexafi deploy`: the ordered rollout of one environment behind a compliance gate.
//!
//! A plan file ([`plan`]) names, per environment, the gate inputs, the Terraform root,
//! the kubectl and Helm steps in order and the post-deploy tests. [`run::deploy`] runs
//! the gate first and no tool unless it passes, then each stage, rolls back the
//! Kubernetes and Helm changes of a failed run, and returns a [`record::DeployRecord`].

pub mod command;
pub mod exec;
pub mod plan;
pub mod record;
pub mod rollback;
pub mod run;
pub mod tools;

pub use plan::{Environment, Plan, PlanError};
pub use record::{DeployOutcome, DeployRecord, EventSink};
pub use run::{DeployError, GateResult, GateRunner, RunOptions, deploy, planned_stages};
