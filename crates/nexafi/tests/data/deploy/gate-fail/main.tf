# Fails NXF-AWS-KMS-001: key rotation is off.
resource "aws_kms_key" "ledger" {
  description             = "ledger encryption key"
  deletion_window_in_days = 30
  enable_key_rotation     = false
}
