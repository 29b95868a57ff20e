use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    TERRAFORM_ROOT_KIND,
};

use crate::Check;
use crate::aws::support::{ServiceState, account_service, as_bool};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-CONFIG-001",
        slug: "config-recorder-missing",
        title: "AWS Config records the account of every root module and delivers its history",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &[TERRAFORM_ROOT_KIND],
        categories: &["config-monitoring"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/config_configuration_recorder_status",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/config_delivery_channel",
        ],
        docs: CheckDocs {
            what: "Runs once per Terraform root module that manages AWS resources. It passes \
                   when the root module (with the modules it calls) has an \
                   `aws_config_configuration_recorder`, an \
                   `aws_config_configuration_recorder_status` with `is_enabled = true`, and \
                   an `aws_config_delivery_channel`; a recorder is created stopped, and it \
                   cannot start without a delivery channel. A root module without any of them \
                   passes when another root module of the same scan has a complete setup, since \
                   account-wide services usually live in one baseline root module. It fails \
                   when the recorder is never started, is stopped (`is_enabled = false`) or \
                   has no delivery channel, or when no scanned root module has a recorder. It is \
                   unknown when `is_enabled` or the `count` of a recorder is unknown offline. \
                   Which resource types the recorder covers is checked by NXF-AWS-CONFIG-002.",
            why: "AWS Config keeps the configuration history of every resource: who opened a \
                  security group, when a bucket policy changed, what an instance looked like \
                  before an incident. SOX change management, PCI DSS 10.2 and 11.5 and the \
                  FFIEC handbook rely on such a history, and conformance packs built on Config \
                  give continuous evidence between audits. A recorder that is stopped records \
                  nothing, which Terraform code makes easy to miss.",
            fix: "Create the recorder, its delivery channel and its status together:\n\n```hcl\n\
                  resource \"aws_config_configuration_recorder\" \"this\" {\n  role_arn = \
                  aws_iam_role.config.arn\n}\n\nresource \"aws_config_delivery_channel\" \
                  \"this\" {\n  s3_bucket_name = aws_s3_bucket.config.bucket\n  depends_on     = \
                  [aws_config_configuration_recorder.this]\n}\n\nresource \
                  \"aws_config_configuration_recorder_status\" \"this\" {\n  name       = \
                  aws_config_configuration_recorder.this.name\n  is_enabled = true\n  \
                  depends_on = [aws_config_delivery_channel.this]\n}\n```",
            limitations: "Regions and accounts are not compared: a setup in another root module \
                          counts even if it targets another account or region. A status \
                          resource is not matched to its recorder by name, since an account has \
                          one recorder per region. Recorders that an AWS Organization or \
                          Control Tower deploys outside Terraform are not seen; waive the check \
                          there.",
        },
    },
    cases: include_str!("recorder_enabled.cases.yaml"),
    evaluate,
};

const RECORDER: &str = "aws_config_configuration_recorder";
const STATUS: &str = "aws_config_configuration_recorder_status";
const CHANNEL: &str = "aws_config_delivery_channel";

fn evaluate(root: &Resource, model: &Model) -> Vec<Evaluation> {
    account_service(
        model,
        root,
        RECORDER,
        "no `aws_config_configuration_recorder` is configured in this root module or any other \
         scanned root module; add a recorder with a delivery channel and a status with \
         `is_enabled = true`",
        |group| recorder_state(model, group),
    )
}

fn in_group<'a>(model: &'a Model, group: &'a str, kind: &'a str) -> Vec<&'a Resource> {
    model
        .by_kind(kind)
        .filter(|resource| resource.group == group)
        .collect()
}

/// Returns whether `group` records with AWS Config: a recorder, a started status and a
/// delivery channel.
fn recorder_state(model: &Model, group: &str) -> ServiceState {
    let recorders = in_group(model, group, RECORDER);
    let Some(recorder) = recorders.first() else {
        return ServiceState::Absent;
    };
    if let Some(instances) = recorders
        .iter()
        .find_map(|recorder| recorder.instances_unknown.as_ref())
    {
        return ServiceState::Unknown(
            Evaluation::unknown(
                recorder.name_span,
                format!(
                    "whether the configuration recorder is created cannot be known offline: {}",
                    instances.reason
                ),
            )
            .attribute(RECORDER),
        );
    }

    let status = match started_status(model, group, recorder) {
        Ok(status) => status,
        Err(state) => return state,
    };

    let channels = in_group(model, group, CHANNEL);
    let Some(channel) = channels.first() else {
        return ServiceState::Off(
            Evaluation::fail(
                recorder.name_span,
                format!(
                    "{} has no `aws_config_delivery_channel`, so it cannot start or deliver \
                     configuration history; add a delivery channel to an S3 bucket",
                    recorder.address
                ),
            )
            .attribute(CHANNEL)
            .expected("a delivery channel")
            .found("missing"),
        );
    };

    ServiceState::On(format!(
        "{} is started by {} and delivers through {}",
        recorder.address, status.address, channel.address
    ))
}

/// Finds a status resource that starts the recorder; the error is the state to report.
fn started_status<'a>(
    model: &'a Model,
    group: &'a str,
    recorder: &Resource,
) -> Result<&'a Resource, ServiceState> {
    let statuses = in_group(model, group, STATUS);
    let mut problem = None;
    for status in &statuses {
        let state = match status.body.lookup("is_enabled") {
            Lookup::Present(node) if as_bool(node) == Some(true) => return Ok(status),
            Lookup::Unknown(unknown_value, span) => ServiceState::Unknown(
                Evaluation::unknown(
                    span,
                    format!(
                        "`is_enabled` of {} cannot be known offline: {}",
                        status.address, unknown_value.reason
                    ),
                )
                .attribute("is_enabled"),
            ),
            Lookup::Present(node) => ServiceState::Off(
                Evaluation::fail(
                    node.span,
                    format!(
                        "{} stops the configuration recorder (`is_enabled` is {}); set \
                         `is_enabled = true`",
                        status.address,
                        node.display()
                    ),
                )
                .attribute("is_enabled")
                .expected("true")
                .found(node.display()),
            ),
            Lookup::Missing => ServiceState::Off(
                Evaluation::fail(
                    status.name_span,
                    format!(
                        "{} omits `is_enabled`; set `is_enabled = true`",
                        status.address
                    ),
                )
                .attribute("is_enabled")
                .expected("true")
                .found("omitted"),
            ),
        };
        // An unknown status outweighs a stopped one: together they could still start it.
        if problem.is_none() || matches!(state, ServiceState::Unknown(_)) {
            problem = Some(state);
        }
    }
    Err(problem.unwrap_or_else(|| {
        ServiceState::Off(
            Evaluation::fail(
                recorder.name_span,
                format!(
                    "{} is never started: Terraform creates recorders stopped; add an \
                     `aws_config_configuration_recorder_status` with `is_enabled = true`",
                    recorder.address
                ),
            )
            .attribute(STATUS)
            .expected("a status with is_enabled = true")
            .found("missing"),
        )
    }))
}
