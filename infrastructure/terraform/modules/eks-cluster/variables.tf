variable "name" {
  description = "Cluster name, nexafi-<environment>."
  type        = string
}

variable "iam_role_prefix" {
  description = "Prefix of the IAM role names; defaults to the cluster name. Clusters of the same name in two regions need different prefixes, because IAM names are global."
  type        = string
  default     = null
}

variable "account_id" {
  description = "AWS account of the cluster; Pod Identity roles trust only it."
  type        = string
}

variable "partition" {
  description = "AWS partition of the account."
  type        = string
  default     = "aws"
}

variable "kubernetes_version" {
  description = "Kubernetes minor version, inside EKS standard support."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets, one per availability zone, for the control-plane interfaces and the nodes."
  type        = list(string)
}

variable "service_ipv4_cidr" {
  description = "Range of Kubernetes Service addresses; must not overlap the VPC."
  type        = string
  default     = "172.20.0.0/16"
}

variable "secrets_kms_key_arn" {
  description = "Customer managed KMS key that envelope-encrypts Kubernetes Secrets."
  type        = string
}

variable "ebs_kms_key_arn" {
  description = "Customer managed KMS key of the node root volumes."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "Customer managed KMS key of the control-plane log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the control-plane log group, in days."
  type        = number
}

variable "deletion_protection" {
  description = "Whether EKS refuses to delete the cluster until this is turned off."
  type        = bool
  default     = true
}

variable "node_volume_size_gib" {
  description = "Root volume size of every node, in GiB."
  type        = number
  default     = 100
}

variable "financial_node_group" {
  description = "Size and instance types of the tainted node group for the cardholder data environment."
  type = object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
  })
}

variable "general_node_group" {
  description = "Size and instance types of the node group for everything else."
  type = object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
  })
}

variable "addon_versions" {
  description = "Exact EKS add-on versions for the cluster's Kubernetes version."
  type = object({
    vpc_cni                = string
    coredns                = string
    kube_proxy             = string
    aws_ebs_csi_driver     = string
    eks_pod_identity_agent = string
    snapshot_controller    = string
  })
}

variable "access_entries" {
  description = "Name to IAM role and EKS access policy (such as AmazonEKSClusterAdminPolicy or AmazonEKSViewPolicy) of everyone who may use the Kubernetes API."
  type = map(object({
    principal_arn = string
    access_policy = string
  }))
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
}
