# An Aurora PostgreSQL cluster in the isolated subnets: storage and Performance Insights
# encrypted with a customer managed key, TLS required (rds.force_ssl), IAM database
# authentication, pgAudit, log export to a KMS-encrypted log group, 35 days of
# point-in-time recovery, deletion protection and at least two instances in different
# availability zones. With is_secondary set, the cluster is the read-only DR member of
# an Aurora Global Database and takes its data and credentials from the primary.

locals {
  family = "aurora-postgresql${split(".", var.engine_version)[0]}"
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_security_group" "this" {
  name        = "${var.name}-aurora"
  description = "PostgreSQL from the EKS nodes to the ${var.name} Aurora cluster"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-aurora" })
}

resource "aws_vpc_security_group_ingress_rule" "postgresql" {
  for_each = var.allowed_security_groups

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value
  tags                         = var.tags
}

resource "aws_rds_cluster_parameter_group" "this" {
  name        = "${var.name}-${local.family}"
  family      = local.family
  description = "TLS-only connections, connection logging and pgAudit for ${var.name}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "ssl_min_protocol_version"
    value = "TLSv1.2"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_stat_statements,pgaudit"
    apply_method = "pending-reboot"
  }

  # Role changes, schema changes and every write are audited, which is the evidence
  # SOX change management and PCI DSS 10.2 ask for.
  parameter {
    name  = "pgaudit.log"
    value = "ddl,role,write"
  }

  parameter {
    name  = "pgaudit.role"
    value = "rds_pgaudit"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  # Statements slower than one second are logged with their duration.
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  dynamic "parameter" {
    for_each = var.global_db_rpo_seconds == null ? [] : [var.global_db_rpo_seconds]

    content {
      name  = "rds.global_db_rpo"
      value = tostring(parameter.value)
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "postgresql" {
  name              = "/aws/rds/cluster/${var.name}/postgresql"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_rds_cluster" "this" {
  #checkov:skip=CKV_AWS_326:Backtrack exists only for Aurora MySQL; this PostgreSQL cluster recovers through point-in-time restore and the Global Database
  #checkov:skip=CKV2_AWS_8:AWS Backup selects the primary clusters by ARN in backup.tf of the root module; a Global Database secondary holds the same data, whose recovery points are already copied to the DR vault
  cluster_identifier        = var.name
  engine                    = "aurora-postgresql"
  engine_mode               = "provisioned"
  engine_version            = var.engine_version
  global_cluster_identifier = var.global_cluster_identifier

  # A secondary of a global database inherits the database, the credentials and the
  # contents from the primary, and the create call fails when they are set.
  database_name                 = var.is_secondary ? null : var.database_name
  master_username               = var.is_secondary ? null : var.master_username
  manage_master_user_password   = var.is_secondary ? null : true
  master_user_secret_kms_key_id = var.is_secondary ? null : var.kms_key_arn

  db_subnet_group_name            = aws_db_subnet_group.this.name
  vpc_security_group_ids          = [aws_security_group.this.id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.this.name
  port                            = 5432

  storage_encrypted                   = true
  kms_key_id                          = var.kms_key_arn
  iam_database_authentication_enabled = true
  deletion_protection                 = true

  backup_retention_period      = 35
  preferred_backup_window      = "02:00-03:00"
  preferred_maintenance_window = "sun:04:00-sun:05:00"
  copy_tags_to_snapshot        = true
  skip_final_snapshot          = false
  final_snapshot_identifier    = "${var.name}-final"

  enabled_cloudwatch_logs_exports = ["postgresql"]

  tags = var.tags

  lifecycle {
    # Joining and leaving the global database changes these outside Terraform during
    # a switchover.
    ignore_changes = [replication_source_identifier, global_cluster_identifier]
  }

  depends_on = [aws_cloudwatch_log_group.postgresql]
}

data "aws_iam_policy_document" "monitoring_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:${var.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# Instances go round the zones, so two or more instances always sit in different ones.
resource "aws_rds_cluster_instance" "this" {
  count = var.instance_count

  identifier          = "${var.name}-${count.index + 1}"
  cluster_identifier  = aws_rds_cluster.this.id
  engine              = aws_rds_cluster.this.engine
  engine_version      = aws_rds_cluster.this.engine_version
  instance_class      = var.instance_class
  availability_zone   = var.availability_zones[count.index % length(var.availability_zones)]
  publicly_accessible = false
  ca_cert_identifier  = "rds-ca-rsa2048-g1"
  promotion_tier      = count.index

  auto_minor_version_upgrade            = true
  monitoring_interval                   = 15
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7

  tags = var.tags
}
