variable "name" {
  description = "Globally unique bucket name."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts every object."
  type        = string
}

variable "object_lock_mode" {
  description = "Default Object Lock mode: COMPLIANCE (nobody can shorten it, not even the root user) or GOVERNANCE."
  type        = string
  default     = "COMPLIANCE"

  validation {
    condition     = contains(["COMPLIANCE", "GOVERNANCE"], var.object_lock_mode)
    error_message = "object_lock_mode must be COMPLIANCE or GOVERNANCE."
  }
}

variable "object_lock_retention_days" {
  description = "Default Object Lock retention of new object versions, in days; 0 enables Object Lock without a default retention (needed for access-log targets)."
  type        = number
}

variable "noncurrent_version_retention_days" {
  description = "Days after which a noncurrent object version is deleted. Lifecycle rules cannot delete a version that Object Lock still protects, so they wait for its retention to end."
  type        = number
}

variable "expiration_days" {
  description = "Days after which current object versions expire (become noncurrent); null keeps them until deleted."
  type        = number
  default     = null
}

variable "access_log_bucket" {
  description = "Name of the bucket that receives this bucket's server access logs; null only for an access-log bucket itself."
  type        = string
  default     = null
}

variable "extra_policy_json" {
  description = "Additional bucket policy statements (JSON) merged with the TLS-only statements, such as service principals that deliver logs."
  type        = string
  default     = null
}

variable "replication" {
  description = "Replica bucket and its KMS key in the DR region; null for buckets that are not replicated."
  type = object({
    destination_bucket_arn  = string
    destination_kms_key_arn = string
  })
  default = null
}

variable "tags" {
  description = "Tags of every resource, including data-classification and pci-scope."
  type        = map(string)
}
