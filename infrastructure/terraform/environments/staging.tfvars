# Staging: the production design at a smaller size.
# Apply with:
#   terraform init -backend-config=environments/staging.s3.tfbackend
#   terraform apply -var-file=environments/staging.tfvars
environment = "staging"

# 444455556666 is the example account id of the AWS documentation. Set it to the
# staging account; the providers then refuse to run against any other account.
account_id = "444455556666"

primary_vpc_cidr = "10.30.0.0/16"
dr_vpc_cidr      = "10.31.0.0/16"

immutability_mode        = "GOVERNANCE"
log_retention_days       = 400
audit_log_retention_days = 2557

kubernetes_version = "1.34"

# NOTE: confirm each version with
#   aws eks describe-addon-versions --kubernetes-version 1.34 --addon-name NAME
# before an upgrade; no AWS API is reachable from the offline checks.
eks_addon_versions = {
  vpc_cni                = "v1.20.4-eksbuild.2"
  coredns                = "v1.12.4-eksbuild.1"
  kube_proxy             = "v1.34.0-eksbuild.5"
  aws_ebs_csi_driver     = "v1.51.1-eksbuild.1"
  eks_pod_identity_agent = "v1.3.9-eksbuild.3"
  snapshot_controller    = "v8.3.0-eksbuild.1"
}

financial_node_group = {
  instance_types = ["m7i.large"]
  min_size       = 3
  desired_size   = 3
  max_size       = 6
}

general_node_group = {
  instance_types = ["m7i.large"]
  min_size       = 3
  desired_size   = 3
  max_size       = 6
}

dr_node_group_scale = 1

eks_access_entries = {
  platform-admins = {
    principal_arn = "arn:aws:iam::444455556666:role/nexafi-platform-admin"
    access_policy = "AmazonEKSClusterAdminPolicy"
  }
  break-glass = {
    principal_arn = "arn:aws:iam::444455556666:role/nexafi-break-glass"
    access_policy = "AmazonEKSClusterAdminPolicy"
  }
  auditors = {
    principal_arn = "arn:aws:iam::444455556666:role/nexafi-auditor"
    access_policy = "AmazonEKSViewPolicy"
  }
  deployer = {
    principal_arn = "arn:aws:iam::444455556666:role/nexafi-deployer"
    access_policy = "AmazonEKSEditPolicy"
  }
}

aurora_engine_version       = "17.4"
financial_db_instance_class = "db.r7g.large"
user_db_instance_class      = "db.r7g.large"
db_instance_count           = 2
global_db_rpo_seconds       = 300

cache_node_type      = "cache.r7g.medium"
cache_engine_version = "8.0"

security_alert_emails = ["security-oncall@nexafi.example"]
