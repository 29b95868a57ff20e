use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Model, Resource, Severity,
};

use crate::Check;
use crate::aws::ec2::ingress::{GuardedPort, INGRESS_KINDS, evaluate_ingress};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-AWS-EC2-004",
        slug: "security-group-data-ports-open-to-internet",
        title: "Security groups do not open database, cache or broker ports to the internet",
        severity: Severity::Critical,
        input: InputKind::Terraform,
        kinds: INGRESS_KINDS,
        categories: &["network-segmentation", "no-public-datastores"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.RDSSecurityGroups.html",
            "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/security_group",
        ],
        docs: CheckDocs {
            what: "Reads every ingress rule, as NXF-AWS-EC2-003 does (inline `ingress` blocks, \
                   `aws_security_group_rule` of type ingress, \
                   `aws_vpc_security_group_ingress_rule`), and fails a rule whose source has \
                   prefix length 0 (`0.0.0.0/0`, `::/0`) and whose port range contains a port of \
                   a data store or message broker: 1433 (SQL Server), 1521 (Oracle), 3306 \
                   (MySQL and MariaDB), 5432 (PostgreSQL), 5439 (Redshift), 6379 (Redis), 9200 \
                   (Elasticsearch and OpenSearch), 27017 (MongoDB), 5672 (RabbitMQ), 9092 \
                   (Kafka) and 11211 (Memcached). Protocol `-1`, a port of `-1` and omitted ports \
                   count as every port. Unknown sources or ports make the rule unknown.",
            why: "Databases, caches and brokers hold or carry card data, balances and personal \
                  data, and several of them ship without authentication by default (Redis, \
                  Memcached, Elasticsearch, older MongoDB). Internet-wide scans find such ports \
                  within hours, and exposed instances are emptied or held for ransom. PCI DSS \
                  1.4.4 forbids direct access from untrusted networks to stores of cardholder \
                  data, and GDPR Article 32 and the GLBA Safeguards Rule require access controls \
                  on customer data.",
            fix: "Allow the port only from the application's security group or subnets:\n\n\
                  ```hcl\nresource \"aws_vpc_security_group_ingress_rule\" \"postgres_from_app\" {\n  \
                  security_group_id            = aws_security_group.db.id\n  \
                  ip_protocol                  = \"tcp\"\n  from_port                    = 5432\n  \
                  to_port                      = 5432\n  \
                  referenced_security_group_id = aws_security_group.app.id\n}\n```",
            limitations: "Only prefix length 0 counts as the internet. Data stores on non-standard \
                          ports are not recognised. Whether the database is actually reachable \
                          (public subnet, `publicly_accessible`) is left to the RDS and \
                          ElastiCache checks.",
        },
    },
    cases: include_str!("database_ports.cases.yaml"),
    evaluate,
};

static DATA_PORTS: [GuardedPort; 11] = [
    GuardedPort {
        port: 1433,
        service: "SQL Server",
    },
    GuardedPort {
        port: 1521,
        service: "Oracle",
    },
    GuardedPort {
        port: 3306,
        service: "MySQL",
    },
    GuardedPort {
        port: 5432,
        service: "PostgreSQL",
    },
    GuardedPort {
        port: 5439,
        service: "Redshift",
    },
    GuardedPort {
        port: 5672,
        service: "RabbitMQ",
    },
    GuardedPort {
        port: 6379,
        service: "Redis",
    },
    GuardedPort {
        port: 9092,
        service: "Kafka",
    },
    GuardedPort {
        port: 9200,
        service: "Elasticsearch",
    },
    GuardedPort {
        port: 11211,
        service: "Memcached",
    },
    GuardedPort {
        port: 27017,
        service: "MongoDB",
    },
];

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    evaluate_ingress(
        resource,
        &DATA_PORTS,
        "allow the port only from the application's security group or private subnets",
    )
}
