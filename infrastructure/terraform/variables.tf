variable "environment" {
  description = "Environment name: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "account_id" {
  description = "AWS account of this environment. The providers refuse to touch any other account."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be the 12-digit id of the environment's AWS account."
  }
}

variable "primary_region" {
  description = "Region that serves traffic."
  type        = string
  default     = "eu-west-1"
}

variable "dr_region" {
  description = "Disaster-recovery region; it must differ from primary_region."
  type        = string
  default     = "eu-central-1"
}

variable "primary_availability_zones" {
  description = "Three availability zones of the primary region."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

variable "dr_availability_zones" {
  description = "Three availability zones of the DR region."
  type        = list(string)
  default     = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
}

variable "primary_vpc_cidr" {
  description = "IPv4 /16 of the primary VPC."
  type        = string
}

variable "dr_vpc_cidr" {
  description = "IPv4 /16 of the DR VPC; it must not overlap the primary one, so the two can be peered for a switchover."
  type        = string
}

variable "bucket_name_prefix" {
  description = "Prefix of every S3 bucket name; null uses nexafi-<environment>. Set it when a name is already taken, since bucket names are global."
  type        = string
  default     = null
}

variable "owner" {
  description = "Team accountable for the resources, written into the owner tag."
  type        = string
  default     = "platform-engineering"
}

variable "log_retention_days" {
  description = "Retention of operational CloudWatch log groups (flow logs, EKS, Aurora, WAF), in days. PCI DSS 10.5.1 asks for at least 12 months."
  type        = number
  default     = 400

  validation {
    condition     = contains([400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value of at least 400 days (400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "audit_log_retention_days" {
  description = "Retention of audit evidence (the CloudTrail log group and the Object Lock retention of the audit buckets), in days: seven years."
  type        = number
  default     = 2557
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the EKS clusters."
  type        = string
  default     = "1.34"
}

variable "eks_addon_versions" {
  description = "Exact EKS add-on versions for kubernetes_version."
  type = object({
    vpc_cni                = string
    coredns                = string
    kube_proxy             = string
    aws_ebs_csi_driver     = string
    eks_pod_identity_agent = string
    snapshot_controller    = string
  })
}

variable "financial_node_group" {
  description = "Tainted node group for the cardholder data environment in the primary region."
  type = object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
  })
}

variable "general_node_group" {
  description = "Node group for everything else in the primary region."
  type = object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
  })
}

variable "dr_node_group_scale" {
  description = "Minimum and desired size of each DR node group while the DR region stands by; a switchover raises them to the primary sizes."
  type        = number
  default     = 1
}

variable "eks_access_entries" {
  description = "Name to IAM role ARN and EKS access policy of everyone who may use the Kubernetes API of both clusters."
  type = map(object({
    principal_arn = string
    access_policy = string
  }))
}

variable "aurora_engine_version" {
  description = "Aurora PostgreSQL engine version of both databases."
  type        = string
  default     = "17.4"
}

variable "financial_db_instance_class" {
  description = "Instance class of the financial database."
  type        = string
}

variable "user_db_instance_class" {
  description = "Instance class of the user database."
  type        = string
}

variable "db_instance_count" {
  description = "Instances per Aurora cluster in each region (two or more)."
  type        = number
  default     = 2
}

variable "global_db_rpo_seconds" {
  description = "Replication lag, in seconds, beyond which the primary financial database pauses commits (rds.global_db_rpo). It keeps the 15-minute RPO even when the secondary falls behind."
  type        = number
  default     = 300
}

variable "cache_node_type" {
  description = "Node type of the ElastiCache replication group."
  type        = string
}

variable "cache_engine_version" {
  description = "Valkey engine version of the replication group."
  type        = string
  default     = "8.0"
}

variable "security_alert_emails" {
  description = "Addresses subscribed to the security and backup alert topics; each must confirm its subscription."
  type        = list(string)
  default     = []
}

variable "waf_rate_limit_per_5_minutes" {
  description = "Requests one client IP may send in any 5-minute window before WAF blocks it."
  type        = number
  default     = 2000
}

variable "immutability_mode" {
  description = "Mode of the Object Lock default retention and of the AWS Backup Vault Lock: COMPLIANCE in prod (nobody can shorten retention), GOVERNANCE where an environment must be removable."
  type        = string
  default     = "COMPLIANCE"

  validation {
    condition     = contains(["COMPLIANCE", "GOVERNANCE"], var.immutability_mode)
    error_message = "immutability_mode must be COMPLIANCE or GOVERNANCE."
  }
}
