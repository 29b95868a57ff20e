use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
    Span,
};

use crate::Check;
use crate::aws::ec2::vpc::{VpcLink, link_to_vpc};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EC2-001",
        slug: "vpc-flow-logs-disabled",
        title: "Every VPC records flow logs of all traffic",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_vpc", "aws_default_vpc"],
        categories: &["network-flow-logs"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV2_AWS_11"],
        references: &[
            "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/flow_log",
        ],
        docs: CheckDocs {
            what: "For every `aws_vpc` and `aws_default_vpc`, looks for `aws_flow_log` resources \
                   in the same root module whose `vpc_id` references the VPC. It passes when one \
                   of them has `traffic_type = \"ALL\"`, or when one records `ACCEPT` and another \
                   `REJECT`. It fails when no flow log references the VPC, and when the flow logs \
                   record only accepted or only rejected traffic; an omitted `traffic_type` fails \
                   too, because the EC2 API requires it for VPC flow logs. A flow log whose \
                   `vpc_id` cannot be resolved offline makes an otherwise failing VPC unknown.",
            why: "Flow logs are the record of which addresses talked to which, on which ports, and \
                  whether traffic was allowed. They are the evidence for investigating lateral \
                  movement and data exfiltration and for showing that segmentation works. PCI \
                  DSS 10.2 asks for audit trails that allow events to be reconstructed, and NIST \
                  CSF 2.0 DE.CM-01 expects networks and network services to be monitored.",
            fix: "Add a flow log for the VPC:\n\n```hcl\nresource \"aws_flow_log\" \"main\" {\n  \
                  vpc_id               = aws_vpc.main.id\n  traffic_type         = \"ALL\"\n  \
                  log_destination_type = \"s3\"\n  \
                  log_destination      = aws_s3_bucket.flow_logs.arn\n}\n```",
            limitations: "Flow logs on subnets or network interfaces are not counted, even when \
                          they cover every subnet. A flow log created in another root module, or \
                          enabled by an organisation-wide service, is not visible. A flow log that \
                          names the VPC by a literal id cannot be matched, since VPC ids are \
                          assigned by AWS.",
        },
    },
    cases: include_str!("flow_logs.cases.yaml"),
    evaluate,
};

const FLOW_LOG_KIND: &str = "aws_flow_log";

fn evaluate(vpc: &Resource, model: &Model) -> Vec<Evaluation> {
    let mut traffic: Vec<(String, Span, &Resource)> = Vec::new();
    let mut unknowns: Vec<(String, Span)> = Vec::new();
    let mut omitted: Vec<&Resource> = Vec::new();

    for flow_log in model.in_group(vpc, FLOW_LOG_KIND) {
        match link_to_vpc(flow_log, "vpc_id", vpc) {
            VpcLink::No => continue,
            VpcLink::Undetermined(reason) => {
                unknowns.push((
                    format!("{} may record this VPC: {reason}", flow_log.address),
                    flow_log.name_span,
                ));
                continue;
            }
            VpcLink::Yes => {}
        }
        match flow_log.body.lookup("traffic_type") {
            Lookup::Present(node) => match node.as_str() {
                Some(kind) => traffic.push((kind.to_ascii_uppercase(), node.span, flow_log)),
                None => traffic.push((node.display(), node.span, flow_log)),
            },
            Lookup::Unknown(unknown, span) => unknowns.push((
                format!(
                    "`traffic_type` of {} cannot be known offline: {}",
                    flow_log.address, unknown.reason
                ),
                span,
            )),
            Lookup::Missing => omitted.push(flow_log),
        }
    }

    let has = |kind: &str| traffic.iter().find(|(found, _, _)| found == kind);
    if let Some((_, span, flow_log)) = has("ALL") {
        return vec![
            Evaluation::pass(*span, format!("{} records all traffic", flow_log.address))
                .attribute("traffic_type"),
        ];
    }
    if let (Some((_, span, accept)), Some((_, _, reject))) = (has("ACCEPT"), has("REJECT")) {
        return vec![
            Evaluation::pass(
                *span,
                format!(
                    "{} records accepted and {} rejected traffic",
                    accept.address, reject.address
                ),
            )
            .attribute("traffic_type"),
        ];
    }
    if let Some((_, span)) = unknowns.first() {
        let reasons: Vec<&str> = unknowns.iter().map(|(reason, _)| reason.as_str()).collect();
        return vec![Evaluation::unknown(*span, reasons.join("; ")).attribute(FLOW_LOG_KIND)];
    }
    if let Some((kind, span, flow_log)) = traffic.first() {
        return vec![
            Evaluation::fail(
                *span,
                format!(
                    "{} records only {kind} traffic, so half of the connections leave no trace; \
                     set `traffic_type = \"ALL\"`",
                    flow_log.address
                ),
            )
            .attribute("traffic_type")
            .expected("ALL")
            .found(kind.clone()),
        ];
    }
    if let Some(flow_log) = omitted.first() {
        return vec![
            Evaluation::fail(
                flow_log.name_span,
                format!(
                    "{} has no `traffic_type`, which the EC2 API requires for VPC flow logs; set \
                     `traffic_type = \"ALL\"`",
                    flow_log.address
                ),
            )
            .attribute("traffic_type")
            .expected("ALL")
            .found("omitted"),
        ];
    }
    vec![
        Evaluation::fail(
            vpc.name_span,
            format!(
                "no `{FLOW_LOG_KIND}` references this VPC, so its traffic is not recorded; add \
                 one with `vpc_id` set to this VPC and `traffic_type = \"ALL\"`"
            ),
        )
        .attribute(FLOW_LOG_KIND)
        .expected("a flow log with traffic_type ALL")
        .found("none"),
    ]
}
