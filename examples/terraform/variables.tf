variable "region" {
  description = "AWS region of the payments platform."
  type        = string
  default     = "eu-west-1"
}

variable "environment" {
  description = "Deployment environment: dev, staging or prod."
  type        = string
}

variable "audit_bucket_count" {
  description = "Number of audit log buckets, one per business unit."
  type        = number
  default     = 1
}

variable "log_retention_days" {
  description = "Retention of application logs in CloudWatch, in days."
  type        = number
  default     = 30
}

variable "admin_cidrs" {
  description = "Networks allowed to reach the bastion over SSH."
  type        = list(string)
  default     = ["10.20.0.0/16"]
}
