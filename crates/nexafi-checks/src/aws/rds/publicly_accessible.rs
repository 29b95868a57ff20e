use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::bool_attribute;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-RDS-004",
        slug: "rds-publicly-accessible",
        title: "RDS and Aurora database instances are not publicly accessible",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: &[
            "aws_db_instance",
            "aws_rds_cluster_instance",
            "aws_rds_cluster",
        ],
        categories: &["no-public-datastores"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_17"],
        references: &[
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html#USER_VPC.Hiding",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/db_instance#publicly_accessible",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/rds_cluster_instance#publicly_accessible",
        ],
        docs: CheckDocs {
            what: "Reads `publicly_accessible` on every `aws_db_instance` and \
                   `aws_rds_cluster_instance` and fails when it is true. Omitted passes: the \
                   provider sends false. On `aws_rds_cluster` the attribute only exists for \
                   Multi-AZ DB clusters; the check reads it when it is set and skips clusters \
                   that omit it, since Aurora decides public access per cluster instance.",
            why: "A publicly accessible database gets a public IP address and a DNS name that \
                  resolves to it from the internet. Only its security group then stands between \
                  card or customer data and every scanner on the internet, and one broad \
                  ingress rule exposes it. PCI DSS 1.4 forbids direct public access to \
                  cardholder data stores.",
            fix: "Keep databases in private subnets and set the flag to false (or leave it \
                  out):\n\n```hcl\nresource \"aws_db_instance\" \"ledger\" {\n  \
                  publicly_accessible  = false\n  db_subnet_group_name = \
                  aws_db_subnet_group.private.name\n}\n```\n\nReach the database from outside \
                  the VPC through a VPN, AWS Systems Manager port forwarding or RDS Proxy.",
            limitations: "The check reads only the flag: a private instance in a subnet group \
                          with public routes, or a public instance behind a closed security \
                          group, is judged by the flag alone. A Multi-AZ DB cluster that omits \
                          the attribute gets the API default, which depends on its subnet \
                          group, and is not evaluated.",
        },
    },
    cases: include_str!("publicly_accessible.cases.yaml"),
    evaluate,
};

const PATH: &str = "publicly_accessible";
const FIX: &str = "set `publicly_accessible = false` and place the database in private subnets";

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    // Aurora clusters decide public access per instance; only Multi-AZ DB clusters carry
    // the flag, and their default depends on the subnet group.
    if resource.kind == "aws_rds_cluster" && resource.body.lookup(PATH).is_missing() {
        return Vec::new();
    }
    vec![bool_attribute(resource, PATH, false, false, FIX)]
}
