# Development: the same controls at the smallest size that spans three zones.
# Apply with:
#   terraform init -backend-config=environments/dev.s3.tfbackend
#   terraform apply -var-file=environments/dev.tfvars
environment = "dev"

# 777788889999 is the example account id of the AWS documentation. Set it to the
# development account; the providers then refuse to run against any other account.
account_id = "777788889999"

primary_vpc_cidr = "10.40.0.0/16"
dr_vpc_cidr      = "10.41.0.0/16"

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
  min_size       = 1
  desired_size   = 1
  max_size       = 3
}

general_node_group = {
  instance_types = ["m7i.large"]
  min_size       = 1
  desired_size   = 1
  max_size       = 3
}

dr_node_group_scale = 1

eks_access_entries = {
  platform-admins = {
    principal_arn = "arn:aws:iam::777788889999:role/nexafi-platform-admin"
    access_policy = "AmazonEKSClusterAdminPolicy"
  }
  break-glass = {
    principal_arn = "arn:aws:iam::777788889999:role/nexafi-break-glass"
    access_policy = "AmazonEKSClusterAdminPolicy"
  }
  auditors = {
    principal_arn = "arn:aws:iam::777788889999:role/nexafi-auditor"
    access_policy = "AmazonEKSViewPolicy"
  }
  deployer = {
    principal_arn = "arn:aws:iam::777788889999:role/nexafi-deployer"
    access_policy = "AmazonEKSEditPolicy"
  }
}

aurora_engine_version       = "17.4"
financial_db_instance_class = "db.r7g.large"
user_db_instance_class      = "db.r7g.large"
db_instance_count           = 2
global_db_rpo_seconds       = 300

cache_node_type      = "cache.t4g.medium"
cache_engine_version = "8.0"

security_alert_emails = ["security-oncall@nexafi.example"]
