variable "versioning_status" {
  description = "Versioning status of the ledger buckets; terraform.tfvars sets Enabled."
  type        = string
  default     = "Suspended"
}

variable "ledger_bucket_count" {
  description = "Ledger buckets, one per region; prod.auto.tfvars sets 2."
  type        = number
  default     = 1
}

variable "reports_kms_key_arn" {
  description = "Key of the reports bucket, given only at apply time."
  type        = string
}
