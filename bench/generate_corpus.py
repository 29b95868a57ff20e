#!/usr/bin/env python3
"""Generate a deterministic corpus of infrastructure code for the scanner benchmark.

The corpus mixes compliant and non-compliant settings the way a real platform
repository does. Terraform root modules have variables, locals, tfvars, a local
module called with count, split S3 resources, for_each over maps and dynamic
blocks. Kubernetes files hold several documents each, and the Dockerfiles are
multi-stage. The same seed and counts always give byte-identical files.

Standard library only (Python 3.11). The summary printed on standard output is
JSON, so scripts can record what was generated.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Share of settings that are compliant. Below 1 so that every scanner has
# failures to report; the exact value only shapes the mix, not the workload.
COMPLIANT_SHARE = 0.7

# Files written per Terraform root module: 8 in the root, 2 in its local module.
TERRAFORM_FILES_PER_ROOT = 10

ENVIRONMENTS = ["prod", "staging", "dev", "dr"]
SERVICES = [
    "ledger", "payments", "cards", "kyc", "fraud", "statements", "fx", "loans",
    "treasury", "reporting", "notifications", "identity", "gateway", "settlement",
    "reconciliation", "audit", "pricing", "onboarding", "disputes", "rewards",
]
TEAMS = ["core-banking", "payments", "risk", "platform", "data", "customer", "compliance", "treasury"]
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-east-2"]
DIGEST_ALPHABET = "0123456789abcdef"


@dataclass
class Summary:
    """Counts of what was written, printed as JSON at the end."""

    seed: int
    terraform_roots: int = 0
    terraform_files: int = 0
    kubernetes_files: int = 0
    kubernetes_documents: int = 0
    dockerfiles: int = 0
    dockerfile_stages: int = 0
    bytes_written: int = 0
    # Resource blocks as written, before count and for_each expand them.
    terraform_resource_blocks: dict[str, int] = field(default_factory=dict)
    kubernetes_kinds: dict[str, int] = field(default_factory=dict)


TERRAFORM_RESOURCE = re.compile(r'^resource "([^"]+)"', re.MULTILINE)
KUBERNETES_KIND = re.compile(r"^kind: (\w+)", re.MULTILINE)
DOCKERFILE_FROM = re.compile(r"^FROM ", re.MULTILINE)


class Writer:
    """Writes files under one root directory and keeps the summary up to date."""

    def __init__(self, root: Path, summary: Summary) -> None:
        self.root = root
        self.summary = summary

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        self.summary.bytes_written += len(data)
        self.count_contents(relative, text)

    def count_contents(self, relative: str, text: str) -> None:
        if relative.endswith(".tf"):
            tally(self.summary.terraform_resource_blocks, TERRAFORM_RESOURCE.findall(text))
        elif relative.endswith(".yaml"):
            kinds = KUBERNETES_KIND.findall(text)
            tally(self.summary.kubernetes_kinds, kinds)
            self.summary.kubernetes_documents += len(kinds)
        elif relative.endswith("Dockerfile"):
            self.summary.dockerfile_stages += len(DOCKERFILE_FROM.findall(text))


def tally(counts: dict[str, int], names: list[str]) -> None:
    for name in names:
        counts[name] = counts.get(name, 0) + 1


def chance(rng: random.Random, share: float = COMPLIANT_SHARE) -> bool:
    """Return True with probability `share`."""
    return rng.random() < share


def hcl_bool(value: bool) -> str:
    return "true" if value else "false"


def fake_digest(rng: random.Random) -> str:
    return "sha256:" + "".join(rng.choice(DIGEST_ALPHABET) for _ in range(64))


# ---------------------------------------------------------------------------
# Terraform
# ---------------------------------------------------------------------------


def terraform_root(writer: Writer, rng: random.Random, index: int) -> None:
    environment = ENVIRONMENTS[index % len(ENVIRONMENTS)]
    service = SERVICES[index % len(SERVICES)]
    name = f"{environment}-{service}-{index:04d}"
    base = f"terraform/{name}"
    region = rng.choice(REGIONS)
    octet = index % 250

    writer.write(f"{base}/versions.tf", terraform_versions())
    writer.write(f"{base}/variables.tf", terraform_variables(rng, region, octet))
    writer.write(f"{base}/terraform.tfvars", terraform_tfvars(rng, environment, service))
    writer.write(f"{base}/locals.tf", terraform_locals(rng, service))
    writer.write(f"{base}/storage.tf", terraform_storage(rng))
    writer.write(f"{base}/network.tf", terraform_network(rng))
    writer.write(f"{base}/data.tf", terraform_data(rng))
    writer.write(f"{base}/audit.tf", terraform_audit(rng))
    writer.write(f"{base}/modules/log_bucket/main.tf", terraform_module_main(rng))
    writer.write(f"{base}/modules/log_bucket/variables.tf", terraform_module_variables())

    writer.summary.terraform_roots += 1
    writer.summary.terraform_files += TERRAFORM_FILES_PER_ROOT


def terraform_versions() -> str:
    return """terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.common_tags
  }
}
"""


def terraform_variables(rng: random.Random, region: str, octet: int) -> str:
    rotation = hcl_bool(chance(rng))
    retention = rng.choice([365, 400, 731, 2557]) if chance(rng) else rng.choice([7, 30, 90])
    flow_logs = hcl_bool(chance(rng))
    bucket_entries = []
    for bucket in rng.sample(["statements", "exports", "uploads", "archive", "reports", "backups"], 3):
        versioning = hcl_bool(chance(rng))
        expire = rng.choice([90, 365, 2555])
        bucket_entries.append(
            f'    {bucket} = {{\n      versioning  = {versioning}\n      expire_days = {expire}\n    }}'
        )
    buckets = "\n".join(bucket_entries)
    admin_cidr = '"10.20.0.0/16"' if chance(rng) else '"0.0.0.0/0"'
    return f"""variable "region" {{
  type    = string
  default = "{region}"
}}

variable "environment" {{
  type        = string
  description = "Deployment environment, set in terraform.tfvars."
}}

variable "vpc_cidr" {{
  type    = string
  default = "10.{octet}.0.0/16"
}}

variable "kms_rotation" {{
  type    = bool
  default = {rotation}
}}

variable "retention_days" {{
  type    = number
  default = {retention}
}}

variable "enable_flow_logs" {{
  type    = bool
  default = {flow_logs}
}}

variable "enable_trail" {{
  type    = bool
  default = true
}}

variable "db_password" {{
  type      = string
  sensitive = true
}}

variable "admin_cidrs" {{
  type    = list(string)
  default = [{admin_cidr}]
}}

variable "buckets" {{
  type = map(object({{
    versioning  = bool
    expire_days = number
  }}))
  default = {{
{buckets}
  }}
}}
"""


def terraform_tfvars(rng: random.Random, environment: str, service: str) -> str:
    lines = [f'environment = "{environment}"']
    if chance(rng, 0.5):
        lines.append(f"retention_days = {rng.choice([365, 731, 2557])}")
    if chance(rng, 0.3):
        lines.append(f"kms_rotation = {hcl_bool(chance(rng))}")
    lines.append(f'# Owned by the {service} team; reviewed with every change.')
    return "\n".join(lines) + "\n"


def terraform_locals(rng: random.Random, service: str) -> str:
    ports = [(443, "10.0.0.0/8"), (8443, "10.0.0.0/8")]
    if not chance(rng):
        ports.append((22, "0.0.0.0/0"))
    if not chance(rng, 0.85):
        ports.append((3389, "0.0.0.0/0"))
    rules = ",\n".join(
        f'    {{ port = {port}, cidr = "{cidr}", description = "port {port}" }}' for port, cidr in ports
    )
    team = rng.choice(TEAMS)
    return f"""locals {{
  name_prefix = "${{var.environment}}-{service}"

  common_tags = {{
    Environment        = var.environment
    Service            = "{service}"
    Owner              = "{team}"
    DataClassification = "{rng.choice(["confidential", "restricted", "internal"])}"
    PciScope           = "{hcl_bool(chance(rng, 0.4))}"
  }}

  ingress_rules = [
{rules}
  ]

  log_groups = toset(["application", "audit", "access"])
}}
"""


def terraform_storage(rng: random.Random) -> str:
    encryption = ""
    if chance(rng):
        algorithm = "aws:kms" if chance(rng) else "AES256"
        key_line = "\n      kms_master_key_id = aws_kms_key.data.arn" if algorithm == "aws:kms" else ""
        encryption = f"""
resource "aws_s3_bucket_server_side_encryption_configuration" "data" {{
  for_each = aws_s3_bucket.data
  bucket   = each.value.id

  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "{algorithm}"{key_line}
    }}
    bucket_key_enabled = true
  }}
}}
"""
    public = hcl_bool(chance(rng))
    return f"""resource "aws_s3_bucket" "data" {{
  for_each = var.buckets

  bucket        = "${{local.name_prefix}}-${{each.key}}"
  force_destroy = false
}}

resource "aws_s3_bucket_versioning" "data" {{
  for_each = aws_s3_bucket.data
  bucket   = each.value.id

  versioning_configuration {{
    status = var.buckets[each.key].versioning ? "Enabled" : "Suspended"
  }}
}}
{encryption}
resource "aws_s3_bucket_public_access_block" "data" {{
  for_each = aws_s3_bucket.data
  bucket   = each.value.id

  block_public_acls       = {public}
  block_public_policy     = true
  ignore_public_acls      = {public}
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_lifecycle_configuration" "data" {{
  for_each = aws_s3_bucket.data
  bucket   = each.value.id

  rule {{
    id     = "expire"
    status = "Enabled"

    filter {{}}

    expiration {{
      days = var.buckets[each.key].expire_days
    }}
  }}
}}
"""


def terraform_network(rng: random.Random) -> str:
    public_ip = hcl_bool(not chance(rng, 0.9))
    egress_cidr = '"10.0.0.0/8"' if chance(rng, 0.4) else '"0.0.0.0/0"'
    deletion_window = rng.choice([7, 30])
    return f"""data "aws_availability_zones" "available" {{
  state = "available"
}}

resource "aws_kms_key" "data" {{
  description             = "${{local.name_prefix}} data key"
  enable_key_rotation     = var.kms_rotation
  deletion_window_in_days = {deletion_window}
}}

resource "aws_kms_alias" "data" {{
  name          = "alias/${{local.name_prefix}}-data"
  target_key_id = aws_kms_key.data.key_id
}}

resource "aws_vpc" "main" {{
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
}}

resource "aws_subnet" "private" {{
  count = 3

  vpc_id                  = aws_vpc.main.id
  cidr_block              = cidrsubnet(var.vpc_cidr, 4, count.index)
  availability_zone       = data.aws_availability_zones.available.names[count.index]
  map_public_ip_on_launch = {public_ip}
}}

resource "aws_flow_log" "main" {{
  count = var.enable_flow_logs ? 1 : 0

  vpc_id               = aws_vpc.main.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.app["access"].arn
  iam_role_arn         = aws_iam_role.flow_logs.arn
}}

resource "aws_security_group" "app" {{
  name        = "${{local.name_prefix}}-app"
  description = "Application tier"
  vpc_id      = aws_vpc.main.id

  dynamic "ingress" {{
    for_each = local.ingress_rules
    content {{
      description = ingress.value.description
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = "tcp"
      cidr_blocks = [ingress.value.cidr]
    }}
  }}

  egress {{
    description = "Outbound"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = [{egress_cidr}]
  }}
}}

resource "aws_security_group" "admin" {{
  name        = "${{local.name_prefix}}-admin"
  description = "Administrative access"
  vpc_id      = aws_vpc.main.id

  ingress {{
    description = "SSH from the admin network"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = var.admin_cidrs
  }}
}}

resource "aws_security_group" "db" {{
  name        = "${{local.name_prefix}}-db"
  description = "Database tier"
  vpc_id      = aws_vpc.main.id

  ingress {{
    description     = "PostgreSQL from the application tier"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.app.id]
  }}
}}
"""


def terraform_data(rng: random.Random) -> str:
    encrypted = hcl_bool(chance(rng))
    multi_az = hcl_bool(chance(rng))
    public = hcl_bool(not chance(rng, 0.9))
    deletion = hcl_bool(chance(rng))
    backup_days = rng.choice([7, 14, 35]) if chance(rng) else 0
    endpoint_public = hcl_bool(not chance(rng))
    secrets_encryption = ""
    if chance(rng):
        secrets_encryption = """
  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.data.arn
    }
  }
"""
    log_types = '["api", "audit", "authenticator"]' if chance(rng) else '["api"]'
    version = rng.choice(["1.29", "1.30", "1.31"])
    return f"""resource "aws_db_subnet_group" "main" {{
  name       = "${{local.name_prefix}}-db"
  subnet_ids = aws_subnet.private[*].id
}}

resource "aws_db_instance" "ledger" {{
  identifier                          = "${{local.name_prefix}}-ledger"
  engine                              = "postgres"
  engine_version                      = "16.3"
  instance_class                      = "db.r6g.large"
  allocated_storage                   = 100
  storage_encrypted                   = {encrypted}
  kms_key_id                          = aws_kms_key.data.arn
  username                            = "ledger_admin"
  password                            = var.db_password
  multi_az                            = {multi_az}
  publicly_accessible                 = {public}
  backup_retention_period             = {backup_days}
  deletion_protection                 = {deletion}
  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  skip_final_snapshot                 = false
  db_subnet_group_name                = aws_db_subnet_group.main.name
  vpc_security_group_ids              = [aws_security_group.db.id]
}}

resource "aws_iam_role" "eks" {{
  name = "${{local.name_prefix}}-eks"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "eks.amazonaws.com" }}
      Action    = "sts:AssumeRole"
    }}]
  }})
}}

resource "aws_eks_cluster" "main" {{
  name     = "${{local.name_prefix}}"
  role_arn = aws_iam_role.eks.arn
  version  = "{version}"

  vpc_config {{
    subnet_ids              = aws_subnet.private[*].id
    endpoint_private_access = true
    endpoint_public_access  = {endpoint_public}
    public_access_cidrs     = ["203.0.113.0/24"]
  }}
{secrets_encryption}
  enabled_cluster_log_types = {log_types}
}}

resource "aws_eks_node_group" "workers" {{
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "workers"
  node_role_arn   = aws_iam_role.eks.arn
  subnet_ids      = aws_subnet.private[*].id
  instance_types  = ["m6i.large"]

  scaling_config {{
    desired_size = {rng.choice([2, 3, 6])}
    min_size     = {rng.choice([1, 2, 3])}
    max_size     = 9
  }}
}}
"""


def terraform_audit(rng: random.Random) -> str:
    multi_region = hcl_bool(chance(rng))
    validation = hcl_bool(chance(rng))
    group_key = "kms_key_id        = aws_kms_key.data.arn\n  " if chance(rng) else ""
    if chance(rng, 0.8):
        statement = """{
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = [for bucket in aws_s3_bucket.data : "${bucket.arn}/*"]
      }"""
    else:
        statement = """{
        Effect   = "Allow"
        Action   = "*"
        Resource = "*"
      }"""
    return f"""module "trail_bucket" {{
  source = "./modules/log_bucket"
  count  = var.enable_trail ? 1 : 0

  name           = "${{local.name_prefix}}-trail"
  kms_key_arn    = aws_kms_key.data.arn
  retention_days = var.retention_days
}}

resource "aws_cloudtrail" "main" {{
  count = var.enable_trail ? 1 : 0

  name                          = "${{local.name_prefix}}-trail"
  s3_bucket_name                = module.trail_bucket[0].bucket_id
  is_multi_region_trail         = {multi_region}
  include_global_service_events = true
  enable_log_file_validation    = {validation}
  kms_key_id                    = aws_kms_key.data.arn
  cloud_watch_logs_group_arn    = "${{aws_cloudwatch_log_group.app["audit"].arn}}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.flow_logs.arn
}}

resource "aws_cloudwatch_log_group" "app" {{
  for_each = local.log_groups

  name              = "/${{local.name_prefix}}/${{each.key}}"
  {group_key}retention_in_days = var.retention_days
}}

resource "aws_iam_role" "flow_logs" {{
  name = "${{local.name_prefix}}-logs"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = ["vpc-flow-logs.amazonaws.com", "cloudtrail.amazonaws.com"] }}
      Action    = "sts:AssumeRole"
    }}]
  }})
}}

resource "aws_iam_policy" "app" {{
  name = "${{local.name_prefix}}-app"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {statement}
    ]
  }})
}}
"""


def terraform_module_main(rng: random.Random) -> str:
    object_lock = hcl_bool(chance(rng, 0.5))
    return f"""resource "aws_s3_bucket" "this" {{
  bucket              = var.name
  object_lock_enabled = {object_lock}
}}

resource "aws_s3_bucket_versioning" "this" {{
  bucket = aws_s3_bucket.this.id

  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {{
  bucket = aws_s3_bucket.this.id

  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }}
  }}
}}

resource "aws_s3_bucket_public_access_block" "this" {{
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_lifecycle_configuration" "this" {{
  bucket = aws_s3_bucket.this.id

  rule {{
    id     = "retention"
    status = "Enabled"

    filter {{}}

    expiration {{
      days = var.retention_days
    }}
  }}
}}

output "bucket_id" {{
  value = aws_s3_bucket.this.id
}}

output "bucket_arn" {{
  value = aws_s3_bucket.this.arn
}}
"""


def terraform_module_variables() -> str:
    return """variable "name" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

variable "retention_days" {
  type    = number
  default = 365
}
"""


# ---------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------


def yaml_bool(rng: random.Random, value: bool) -> str:
    # A few manifests spell booleans the YAML 1.1 way, as real repositories do.
    if chance(rng, 0.05):
        return "yes" if value else "no"
    return "true" if value else "false"


def container_image(rng: random.Random, name: str) -> str:
    registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    roll = rng.random()
    if roll < 0.5:
        return f"{registry}/{name}@{fake_digest(rng)}"
    if roll < 0.85:
        return f"{registry}/{name}:{rng.randint(1, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    return f"{name}:latest"


def container_spec(rng: random.Random, name: str, port: int, indent: str) -> str:
    lines = [
        f"- name: {name}",
        f"  image: {container_image(rng, name)}",
        "  imagePullPolicy: IfNotPresent",
        "  ports:",
        f"    - containerPort: {port}",
        "      name: http",
    ]
    if chance(rng):
        lines += [
            "  env:",
            "    - name: DATABASE_PASSWORD",
            "      valueFrom:",
            "        secretKeyRef:",
            f"          name: {name}-db",
            "          key: password",
        ]
    elif chance(rng, 0.5):
        lines += ["  env:", "    - name: DATABASE_PASSWORD", "      value: example-not-a-secret"]
    if chance(rng):
        lines += [
            "  resources:",
            "    requests:",
            f"      cpu: {rng.choice(['100m', '250m', '500m'])}",
            f"      memory: {rng.choice(['128Mi', '256Mi', '512Mi'])}",
            "    limits:",
            f"      cpu: {rng.choice(['500m', '1', '2'])}",
            f"      memory: {rng.choice(['256Mi', '512Mi', '1Gi'])}",
        ]
    if chance(rng):
        lines += [
            "  livenessProbe:",
            "    httpGet:",
            "      path: /healthz",
            "      port: http",
            "  readinessProbe:",
            "    httpGet:",
            "      path: /ready",
            "      port: http",
        ]
    context = ["  securityContext:"]
    if chance(rng):
        context.append(f"    runAsNonRoot: {yaml_bool(rng, True)}")
    if chance(rng, 0.1):
        context.append("    runAsUser: 0")
    context.append(f"    allowPrivilegeEscalation: {yaml_bool(rng, not chance(rng))}")
    context.append(f"    readOnlyRootFilesystem: {yaml_bool(rng, chance(rng))}")
    if chance(rng, 0.05):
        context.append(f"    privileged: {yaml_bool(rng, True)}")
    if chance(rng):
        context += ["    capabilities:", "      drop:", "        - ALL"]
    if chance(rng):
        context += ["    seccompProfile:", "      type: RuntimeDefault"]
    lines += context
    return "\n".join(indent + line for line in lines)


def pod_spec(rng: random.Random, app: str, port: int, indent: str) -> str:
    lines = [f"serviceAccountName: {app}"]
    lines.append(f"automountServiceAccountToken: {yaml_bool(rng, not chance(rng))}")
    if chance(rng, 0.05):
        lines.append("hostNetwork: true")
    if chance(rng):
        lines += [
            "securityContext:",
            "  runAsNonRoot: true",
            f"  runAsUser: {rng.choice([10001, 65532, 1000])}",
            "  fsGroup: 10001",
        ]
    body = "\n".join(indent + line for line in lines)
    containers = container_spec(rng, app, port, indent + "  ")
    return f"{body}\n{indent}containers:\n{containers}"


def kubernetes_app(writer: Writer, rng: random.Random, team: str, app: str, budget: int) -> int:
    """Write up to `budget` files for one application and return how many were written."""
    base = f"kubernetes/{team}/{app}"
    port = rng.choice([8080, 8443, 9000])
    replicas = rng.choice([1, 2, 3, 3, 4])
    written = 0
    labels = f"app.kubernetes.io/name: {app}\n        app.kubernetes.io/part-of: {team}"

    deployment = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {team}
  labels:
    app.kubernetes.io/name: {app}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
  template:
    metadata:
      labels:
        {labels}
    spec:
{pod_spec(rng, app, port, "      ")}
---
apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {team}
spec:
  type: {"ClusterIP" if chance(rng, 0.9) else "LoadBalancer"}
  selector:
    app.kubernetes.io/name: {app}
  ports:
    - name: http
      port: 80
      targetPort: http
"""
    files = [("deployment.yaml", deployment)]

    if chance(rng, 0.5):
        workload = f"""apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {app}-cache
  namespace: {team}
spec:
  serviceName: {app}-cache
  replicas: {rng.choice([1, 3])}
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}-cache
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}-cache
    spec:
{pod_spec(rng, app, 6379, "      ")}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        storageClassName: {"gp3-encrypted" if chance(rng) else "gp2"}
        resources:
          requests:
            storage: 10Gi
"""
        files.append(("statefulset.yaml", workload))
    else:
        workload = f"""apiVersion: batch/v1
kind: CronJob
metadata:
  name: {app}-report
  namespace: {team}
spec:
  schedule: "{rng.randint(0, 59)} {rng.randint(0, 23)} * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
{pod_spec(rng, app, port, "          ")}
"""
        files.append(("cronjob.yaml", workload))

    ingress_from = "- podSelector: {}" if chance(rng) else "- namespaceSelector: {}"
    network = f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {app}-default-deny
  namespace: {team}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {app}
  policyTypes: ["Ingress", "Egress"]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {app}-allow-http
  namespace: {team}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {app}
  policyTypes: ["Ingress"]
  ingress:
    - from:
        {ingress_from}
      ports:
        - port: {port}
"""
    files.append(("networkpolicy.yaml", network))

    verbs = '["get", "list", "watch"]' if chance(rng) else '["*"]'
    resources = '["configmaps"]' if chance(rng) else '["secrets", "configmaps"]'
    rbac = f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: {app}
  namespace: {team}
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {app}
  namespace: {team}
rules:
  - apiGroups: [""]
    resources: {resources}
    verbs: {verbs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {app}
  namespace: {team}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {app}
subjects:
  - kind: ServiceAccount
    name: {app}
    namespace: {team}
"""
    files.append(("rbac.yaml", rbac))

    budget_pdb = f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {app}
  namespace: {team}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
"""
    files.append(("pdb.yaml", budget_pdb))

    for file_name, text in files[:budget]:
        writer.write(f"{base}/{file_name}", text)
        written += 1
    return written


def kubernetes_namespace(writer: Writer, rng: random.Random, team: str) -> None:
    labels = ""
    if chance(rng):
        labels = """
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/audit: restricted"""
    writer.write(
        f"kubernetes/{team}/namespace.yaml",
        f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {team}{labels}\n",
    )


def kubernetes_tree(writer: Writer, rng: random.Random, target_files: int) -> None:
    written = 0
    app_index = 0
    namespaces_done: set[str] = set()
    while written < target_files:
        team = TEAMS[app_index % len(TEAMS)]
        if team not in namespaces_done:
            kubernetes_namespace(writer, rng, team)
            namespaces_done.add(team)
            written += 1
            continue
        app = f"{SERVICES[app_index % len(SERVICES)]}-{app_index:04d}"
        written += kubernetes_app(writer, rng, team, app, target_files - written)
        app_index += 1
    writer.summary.kubernetes_files = written


# ---------------------------------------------------------------------------
# Dockerfiles
# ---------------------------------------------------------------------------

BASE_IMAGES = {
    "go": ("golang", ["1.22", "1.23"]),
    "python": ("python", ["3.11-slim", "3.12-slim-bookworm"]),
    "node": ("node", ["20-alpine", "22-alpine"]),
    "java": ("eclipse-temurin", ["17-jdk", "21-jdk"]),
}


def base_reference(rng: random.Random, image: str, tags: list[str]) -> str:
    roll = rng.random()
    if roll < 0.45:
        return f"{image}:{rng.choice(tags)}@{fake_digest(rng)}"
    if roll < 0.85:
        return f"{image}:{rng.choice(tags)}"
    if roll < 0.93:
        return f"{image}:latest"
    return image


def dockerfile(rng: random.Random, service: str) -> str:
    language = rng.choice(list(BASE_IMAGES))
    image, tags = BASE_IMAGES[language]
    builder = base_reference(rng, image, tags)
    lines = ["# syntax=docker/dockerfile:1", "ARG APP_VERSION=1.0.0", f"FROM {builder} AS build", "WORKDIR /src"]

    if chance(rng, 0.9):
        lines.append("COPY . .")
    else:
        lines.append(f"ADD https://artifacts.example.com/{service}/source.tar.gz /src/")
    if not chance(rng, 0.9):
        lines.append("RUN curl -fsSL https://get.example.com/tools.sh | sh")
    if chance(rng):
        lines.append(
            "RUN --mount=type=secret,id=registry_token,env=REGISTRY_TOKEN \\\n"
            "    make build VERSION=${APP_VERSION}"
        )
    else:
        lines += ["ARG REGISTRY_TOKEN", "RUN make build VERSION=${APP_VERSION}"]

    runtime = "gcr.io/distroless/static-debian12:nonroot"
    if not chance(rng):
        runtime = base_reference(rng, "debian", ["12-slim", "bookworm-slim"])
    elif chance(rng, 0.5):
        runtime = f"{runtime}@{fake_digest(rng)}"
    lines += ["", f"FROM {runtime} AS runtime", f"COPY --from=build /src/bin/{service} /usr/local/bin/{service}"]
    if not chance(rng, 0.9):
        lines.append("ENV API_TOKEN=example-not-a-secret")
    lines.append("ENV LOG_FORMAT=json")
    if chance(rng):
        lines.append("EXPOSE 8080")
    health = rng.random()
    if health < 0.5:
        lines.append(f'HEALTHCHECK --interval=30s --timeout=3s CMD ["/usr/local/bin/{service}", "healthcheck"]')
    elif health < 0.75:
        lines += ["# Kubernetes probes in the Helm chart check this service.", "HEALTHCHECK NONE"]
    user = rng.random()
    if user < 0.65:
        lines.append("USER 65532:65532")
    elif user < 0.8:
        lines.append("USER root")
    lines.append(f'ENTRYPOINT ["/usr/local/bin/{service}"]')
    return "\n".join(lines) + "\n"


def docker_tree(writer: Writer, rng: random.Random, count: int) -> None:
    for index in range(count):
        service = f"{SERVICES[index % len(SERVICES)]}-{index:04d}"
        writer.write(f"docker/{service}/Dockerfile", dockerfile(rng, service))
        writer.summary.dockerfiles += 1


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory; replaced if it exists")
    parser.add_argument("--seed", type=int, default=20241204, help="random seed (default %(default)s)")
    parser.add_argument(
        "--terraform-roots",
        type=int,
        default=200,
        help=f"Terraform root modules, {TERRAFORM_FILES_PER_ROOT} files each (default %(default)s)",
    )
    parser.add_argument(
        "--kubernetes-files", type=int, default=2000, help="Kubernetes YAML files (default %(default)s)"
    )
    parser.add_argument("--dockerfiles", type=int, default=300, help="Dockerfiles (default %(default)s)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small corpus for a run under two minutes: 20 roots, 200 YAML files, 30 Dockerfiles",
    )
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.terraform_roots = 20
        arguments.kubernetes_files = 200
        arguments.dockerfiles = 30
    for name in ("terraform_roots", "kubernetes_files", "dockerfiles"):
        if getattr(arguments, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must be 0 or more")
    return arguments


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    out: Path = arguments.out
    if out.exists():
        if not out.is_dir():
            print(f"error: --out {out} exists and is not a directory", file=sys.stderr)
            return 2
        shutil.rmtree(out)
    out.mkdir(parents=True)

    summary = Summary(seed=arguments.seed)
    writer = Writer(out, summary)
    # One generator per tree, so changing one count leaves the other trees unchanged.
    for index in range(arguments.terraform_roots):
        terraform_root(writer, random.Random(f"{arguments.seed}-terraform-{index}"), index)
    kubernetes_tree(writer, random.Random(f"{arguments.seed}-kubernetes"), arguments.kubernetes_files)
    docker_tree(writer, random.Random(f"{arguments.seed}-docker"), arguments.dockerfiles)

    summary.terraform_resource_blocks = dict(sorted(summary.terraform_resource_blocks.items()))
    summary.kubernetes_kinds = dict(sorted(summary.kubernetes_kinds.items()))
    json.dump(summary.__dict__, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
