locals {
  name_prefix = "nexafi-${var.environment}"
  common_tags = {
    Environment = var.environment
    DataClass   = "cardholder"
  }
}

resource "aws_kms_key" "ledger" {
  description         = "Encrypts the ledger database and its backups."
  enable_key_rotation = true
  tags                = local.common_tags
}

# Account-wide logging goes to buckets built by the local module, one per business unit.
module "audit_buckets" {
  source = "./modules/audit_bucket"
  count  = var.audit_bucket_count

  name        = "${local.name_prefix}-audit-${count.index}"
  kms_key_arn = aws_kms_key.ledger.arn
  tags        = local.common_tags
}

# A bucket for exported reports, configured with the split resources of AWS provider v4+.
resource "aws_s3_bucket" "reports" {
  bucket = "${local.name_prefix}-reports"
  tags   = local.common_tags
}

resource "aws_s3_bucket_versioning" "reports" {
  bucket = aws_s3_bucket.reports.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "reports" {
  bucket                  = aws_s3_bucket.reports.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Scratch space for batch jobs: no encryption configuration, no versioning.
resource "aws_s3_bucket" "scratch" {
  bucket = "${local.name_prefix}-scratch"
}

resource "aws_cloudwatch_log_group" "payments" {
  name              = "/nexafi/${var.environment}/payments"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.ledger.arn
}

resource "aws_security_group" "bastion" {
  name        = "${local.name_prefix}-bastion"
  description = "SSH to the bastion host"

  ingress {
    description = "SSH from the admin networks"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = var.admin_cidrs
  }

  ingress {
    description = "PostgreSQL, opened by mistake to the world"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
