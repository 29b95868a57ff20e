resource "aws_kms_key" "ledger" {
  description         = "Ledger bucket key"
  enable_key_rotation = true
}

module "ledger" {
  source = "./modules/bucket"
  count  = var.ledger_bucket_count

  name        = "ledger-${count.index}"
  versioning  = var.versioning_status
  kms_key_arn = aws_kms_key.ledger.arn
}

# Split resources, AWS provider v4+ style.
resource "aws_s3_bucket" "versioned" {
  bucket = "acceptance-versioned"
}

resource "aws_s3_bucket_versioning" "versioned" {
  bucket = aws_s3_bucket.versioned.id
  versioning_configuration {
    status = var.versioning_status
  }
}

resource "aws_s3_bucket" "suspended" {
  bucket = "acceptance-suspended"
}

resource "aws_s3_bucket_versioning" "suspended" {
  bucket = aws_s3_bucket.suspended.id
  versioning_configuration {
    status = "Suspended"
  }
}

resource "aws_s3_bucket" "unversioned" {
  bucket = "acceptance-unversioned"
}

resource "aws_s3_bucket" "reports" {
  bucket = "acceptance-reports"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "reports" {
  bucket = aws_s3_bucket.reports.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.reports_kms_key_arn
    }
  }
}
