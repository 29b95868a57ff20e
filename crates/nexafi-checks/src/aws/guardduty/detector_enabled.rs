use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    TERRAFORM_ROOT_KIND,
};

use crate::Check;
use crate::aws::support::{ServiceState, account_service, as_bool};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-GUARDDUTY-001",
        slug: "guardduty-detector-missing",
        title: "GuardDuty is enabled for the AWS account of every root module",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &[TERRAFORM_ROOT_KIND],
        categories: &["intrusion-detection"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_settingup.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/guardduty_detector",
        ],
        docs: CheckDocs {
            what: "Runs once per Terraform root module that manages AWS resources. It passes \
                   when the root module (with the modules it calls) has an \
                   `aws_guardduty_detector` whose `enable` is true or omitted (the default is \
                   true), or, when it has none, when another root module of the same scan has \
                   one: account-wide services usually live in one baseline root module. It \
                   fails when the only detectors of the root module are suspended \
                   (`enable = false`), or when no scanned root module has a detector. It is \
                   unknown when `enable`, or the `count` of the detector, is unknown offline.",
            why: "GuardDuty reads CloudTrail, VPC flow logs and DNS logs to find compromised \
                  credentials, crypto-mining, exfiltration and reconnaissance. Without it, an \
                  attacker using stolen keys in the account raises no alert. PCI DSS 11.5.1 \
                  requires intrusion detection for the cardholder data environment, and the \
                  GLBA Safeguards Rule asks for continuous monitoring.",
            fix: "Enable a detector in every account and region, for example in a baseline \
                  root module:\n\n```hcl\nresource \"aws_guardduty_detector\" \"this\" {\n  \
                  enable                       = true\n  finding_publishing_frequency = \
                  \"FIFTEEN_MINUTES\"\n}\n```\n\nIn an AWS Organization, let a delegated \
                  administrator enable it for all members with \
                  `aws_guardduty_organization_configuration`.",
            limitations: "Regions and accounts are not compared: a detector in another root \
                          module counts even if that module targets another account or region. \
                          Detectors that an AWS Organization creates for member accounts are \
                          not visible in their Terraform code, so those roots fail unless the \
                          administrator's code is part of the scan; waive the check there.",
        },
    },
    cases: include_str!("detector_enabled.cases.yaml"),
    evaluate,
};

const DETECTOR: &str = "aws_guardduty_detector";

fn evaluate(root: &Resource, model: &Model) -> Vec<Evaluation> {
    account_service(
        model,
        root,
        DETECTOR,
        "no `aws_guardduty_detector` is configured in this root module or any other scanned \
         root module; add one with `enable = true`",
        |group| detector_state(model, group),
    )
}

/// Returns whether GuardDuty is on in `group`: one enabled detector is enough.
fn detector_state(model: &Model, group: &str) -> ServiceState {
    let mut unknown = None;
    let mut off = None;
    for detector in model
        .by_kind(DETECTOR)
        .filter(|detector| detector.group == group)
    {
        match detector_enabled(detector) {
            ServiceState::On(message) => return ServiceState::On(message),
            ServiceState::Unknown(evaluation) => {
                unknown.get_or_insert(evaluation);
            }
            ServiceState::Off(evaluation) => {
                off.get_or_insert(evaluation);
            }
            ServiceState::Absent => {}
        }
    }
    unknown
        .map(ServiceState::Unknown)
        .or(off.map(ServiceState::Off))
        .unwrap_or(ServiceState::Absent)
}

fn detector_enabled(detector: &Resource) -> ServiceState {
    if let Some(instances) = &detector.instances_unknown {
        return ServiceState::Unknown(
            Evaluation::unknown(
                detector.name_span,
                format!(
                    "whether {} is created cannot be known offline: {}",
                    detector.address, instances.reason
                ),
            )
            .attribute(DETECTOR),
        );
    }
    match detector.body.lookup("enable") {
        Lookup::Missing => ServiceState::On(format!(
            "{} is enabled (`enable` defaults to true)",
            detector.address
        )),
        Lookup::Unknown(unknown_value, span) => ServiceState::Unknown(
            Evaluation::unknown(
                span,
                format!(
                    "`enable` of {} cannot be known offline: {}",
                    detector.address, unknown_value.reason
                ),
            )
            .attribute("enable"),
        ),
        Lookup::Present(node) => match as_bool(node) {
            Some(true) => ServiceState::On(format!("{} is enabled", detector.address)),
            _ => ServiceState::Off(
                Evaluation::fail(
                    node.span,
                    format!(
                        "{} is suspended (`enable` is {}), so GuardDuty produces no findings; \
                         set `enable = true`",
                        detector.address,
                        node.display()
                    ),
                )
                .attribute("enable")
                .expected("true")
                .found(node.display()),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use nexafi_model::{InputKind, Model, Node, Resource, SourceMap, Span, Value, Verdict};

    use super::{CHECK, TERRAFORM_ROOT_KIND};

    fn resource(group: &str, kind: &str, address: &str, body: Vec<(&str, Value)>) -> Resource {
        let span = Span::default();
        Resource {
            address: address.to_owned(),
            input: InputKind::Terraform,
            kind: kind.to_owned(),
            group: group.to_owned(),
            span,
            name_span: span,
            body: Node::new(
                span,
                Value::Map(
                    body.into_iter()
                        .map(|(key, value)| (key.to_owned(), Node::new(span, value)))
                        .collect(),
                ),
            ),
            references: Vec::new(),
            instances_unknown: None,
        }
    }

    fn root(group: &str) -> Resource {
        resource(group, TERRAFORM_ROOT_KIND, "root", Vec::new())
    }

    fn bucket(group: &str) -> Resource {
        resource(group, "aws_s3_bucket", "aws_s3_bucket.ledger", Vec::new())
    }

    fn detector(group: &str, enable: Value) -> Resource {
        resource(
            group,
            "aws_guardduty_detector",
            "aws_guardduty_detector.main",
            vec![("enable", enable)],
        )
    }

    /// Returns the verdict of the check on the root module of `group`.
    fn verdict(model: &Model, group: &str) -> Option<Verdict> {
        let root = model
            .resources
            .iter()
            .find(|resource| resource.kind == TERRAFORM_ROOT_KIND && resource.group == group)?;
        let evaluations = (CHECK.evaluate)(root, model);
        evaluations.first().map(|evaluation| evaluation.verdict)
    }

    #[test]
    fn other_root_enables_account() {
        let model = Model::new(
            SourceMap::new(),
            vec![
                root("envs/prod"),
                bucket("envs/prod"),
                root("baseline"),
                detector("baseline", Value::Bool(true)),
            ],
        );
        assert_eq!(verdict(&model, "envs/prod"), Some(Verdict::Pass));
        assert_eq!(verdict(&model, "baseline"), Some(Verdict::Pass));
    }

    #[test]
    fn other_root_unknown_is_unknown() {
        let unknown = Value::Unknown(nexafi_model::Unknown::new("var.enabled has no value"));
        let model = Model::new(
            SourceMap::new(),
            vec![
                root("envs/prod"),
                bucket("envs/prod"),
                root("baseline"),
                detector("baseline", unknown),
            ],
        );
        assert_eq!(verdict(&model, "envs/prod"), Some(Verdict::Unknown));
    }

    #[test]
    fn suspended_elsewhere_fails() {
        let model = Model::new(
            SourceMap::new(),
            vec![
                root("envs/prod"),
                bucket("envs/prod"),
                root("baseline"),
                detector("baseline", Value::Bool(false)),
            ],
        );
        assert_eq!(verdict(&model, "envs/prod"), Some(Verdict::Fail));
        assert_eq!(verdict(&model, "baseline"), Some(Verdict::Fail));
    }

    #[test]
    fn own_suspended_detector_fails() {
        let model = Model::new(
            SourceMap::new(),
            vec![
                root("envs/prod"),
                detector("envs/prod", Value::Bool(false)),
                root("baseline"),
                detector("baseline", Value::Bool(true)),
            ],
        );
        assert_eq!(verdict(&model, "envs/prod"), Some(Verdict::Fail));
    }

    #[test]
    fn root_without_aws_is_skipped() {
        let model = Model::new(
            SourceMap::new(),
            vec![
                root("charts"),
                resource("charts", "helm_release", "helm_release.app", Vec::new()),
            ],
        );
        assert_eq!(verdict(&model, "charts"), None);
    }
}
