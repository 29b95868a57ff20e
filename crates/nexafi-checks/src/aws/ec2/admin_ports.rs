use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::ec2::ingress::{GuardedPort, INGRESS_KINDS, evaluate_ingress};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EC2-003",
        slug: "security-group-admin-ports-open-to-internet",
        title: "Security groups do not open remote administration ports to the internet",
        severity: Severity::High,
        input: InputKind::Terraform,
        kinds: INGRESS_KINDS,
        categories: &["network-segmentation", "no-public-endpoints"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_AWS_24", "CKV_AWS_25"],
        references: &[
            "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
            "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/vpc_security_group_ingress_rule",
        ],
        docs: CheckDocs {
            what: "Reads every ingress rule: the inline `ingress` blocks of `aws_security_group` \
                   and `aws_default_security_group`, each `aws_security_group_rule` with \
                   `type = \"ingress\"`, and each `aws_vpc_security_group_ingress_rule`. A rule \
                   fails when one of its sources (`cidr_blocks`, `ipv6_cidr_blocks`, \
                   `cidr_ipv4`, `cidr_ipv6`) has prefix length 0, such as `0.0.0.0/0` or `::/0`, \
                   and its port range contains 22 (SSH), 3389 (RDP), 5985 or 5986 (WinRM). \
                   Protocol `-1` (or `all`), a port of `-1` and omitted ports count as every \
                   port; ICMP rules have no ports and pass. A source or port that is unknown \
                   offline makes the rule unknown.",
            why: "SSH, RDP and WinRM open to the internet are scanned within minutes of \
                  exposure and attacked with stolen or guessed credentials and with exploits of \
                  the services themselves. PCI DSS 1.3.1 limits inbound traffic to what is \
                  necessary, 1.4.2 restricts traffic from untrusted networks, and 8.4.3 asks for \
                  MFA on remote access, which a bare SSH or RDP port bypasses.",
            fix: "Reach instances through AWS Systems Manager Session Manager, a VPN or a \
                  bastion, and allow administration ports only from those addresses:\n\n\
                  ```hcl\nresource \"aws_vpc_security_group_ingress_rule\" \"ssh_from_vpn\" {\n  \
                  security_group_id = aws_security_group.app.id\n  \
                  ip_protocol       = \"tcp\"\n  from_port         = 22\n  \
                  to_port           = 22\n  cidr_ipv4         = \"10.20.0.0/16\"\n}\n```",
            limitations: "Only prefix length 0 counts as the internet; a very broad range such \
                          as `0.0.0.0/1` passes. Sources given as prefix lists or security \
                          groups are not resolved. Whether the group is attached to anything \
                          reachable from the internet is not checked. Services moved to other \
                          ports are not recognised.",
        },
    },
    cases: include_str!("admin_ports.cases.yaml"),
    evaluate,
};

static ADMIN_PORTS: [GuardedPort; 4] = [
    GuardedPort {
        port: 22,
        service: "SSH",
    },
    GuardedPort {
        port: 3389,
        service: "RDP",
    },
    GuardedPort {
        port: 5985,
        service: "WinRM over HTTP",
    },
    GuardedPort {
        port: 5986,
        service: "WinRM over HTTPS",
    },
];

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    evaluate_ingress(
        resource,
        &ADMIN_PORTS,
        "allow administration only from a VPN or bastion range, or use SSM Session Manager",
    )
}
