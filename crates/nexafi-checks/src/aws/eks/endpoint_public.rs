use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::support::bool_attribute;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EKS-001",
        slug: "eks-endpoint-public",
        title: "EKS cluster API endpoints are private",
        severity: Severity::Medium,
        input: InputKind::Terraform,
        kinds: &["aws_eks_cluster"],
        categories: &["no-public-endpoints"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_39"],
        references: &[
            "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/eks_cluster#endpoint_public_access",
        ],
        docs: CheckDocs {
            what: "Reads `vpc_config.endpoint_public_access` on every `aws_eks_cluster`. It fails \
                   when the attribute is true or omitted, since EKS makes the endpoint public by \
                   default. A public endpoint limited to a few CIDR ranges still fails here; \
                   NXF-AWS-EKS-002 judges those ranges on their own, so a team that accepts a \
                   CIDR-restricted endpoint can waive this check and keep that one.",
            why: "The Kubernetes API server controls every workload, secret and role binding of \
                  the cluster. Reachable from the internet, it is exposed to credential stuffing \
                  with leaked kubeconfigs and tokens and to any authentication flaw of the API \
                  server. PCI DSS 1.4.1 and 1.4.2 require network security controls between trusted \
                  and untrusted networks and keep inbound traffic from untrusted networks to \
                  what is authorised.",
            fix: "Turn the public endpoint off and reach the API through the VPC (VPN, bastion or \
                  CI runners inside it):\n\n```hcl\nresource \"aws_eks_cluster\" \"payments\" {\n  \
                  name     = \"payments\"\n  role_arn = aws_iam_role.cluster.arn\n\n  \
                  vpc_config {\n    subnet_ids              = var.private_subnet_ids\n    \
                  endpoint_private_access = true\n    endpoint_public_access  = false\n  }\n}\n```",
            limitations: "Only the first `vpc_config` block is read, as EKS accepts exactly one. \
                          Clusters created by other tools (eksctl, the console) are not seen.",
        },
    },
    cases: include_str!("endpoint_public.cases.yaml"),
    evaluate,
};

fn evaluate(cluster: &Resource, _model: &Model) -> Vec<Evaluation> {
    vec![bool_attribute(
        cluster,
        "vpc_config.0.endpoint_public_access",
        false,
        true,
        "set `endpoint_public_access = false` and reach the API from inside the VPC",
    )]
}
