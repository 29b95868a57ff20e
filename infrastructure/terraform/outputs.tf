output "eks_cluster_name" {
  description = "Name of the EKS cluster in both regions."
  value       = module.eks_primary.name
}

output "eks_primary_endpoint" {
  description = "Private API endpoint of the primary cluster."
  value       = module.eks_primary.endpoint
}

output "eks_dr_endpoint" {
  description = "Private API endpoint of the DR cluster."
  value       = module.eks_dr.endpoint
}

output "ecr_repository_url" {
  description = "Repository of the nexafi image."
  value       = aws_ecr_repository.nexafi.repository_url
}

output "service_ecr_repository_urls" {
  description = "Repositories of the Helm chart's service images, by repository name."
  value       = { for name, repository in aws_ecr_repository.services : name => repository.repository_url }
}

output "financial_db_endpoint" {
  description = "Writer endpoint of the financial database in the primary region."
  value       = module.financial_db.endpoint
}

output "user_db_endpoint" {
  description = "Writer endpoint of the user database in the primary region."
  value       = module.user_db.endpoint
}

output "cache_primary_endpoint" {
  description = "TLS endpoint of the Valkey primary in the primary region."
  value       = module.cache.primary_endpoint
}

output "web_acl_arn" {
  description = "WAF web ACL for the alb.ingress.kubernetes.io/wafv2-acl-arn Ingress annotation."
  value       = aws_wafv2_web_acl.public.arn
}

output "vault_unseal_key_arns" {
  description = "Vault auto-unseal key in the primary region and its replica in the DR region."
  value = {
    primary = module.kms_primary.arns["vault-unseal"]
    dr      = aws_kms_replica_key.vault_unseal.arn
  }
}

output "velero_bucket" {
  description = "Bucket of Velero backups in the primary region."
  value       = module.velero_bucket.id
}

output "vault_snapshots_bucket" {
  description = "Bucket of Vault raft snapshots in the primary region."
  value       = module.vault_snapshots_bucket.id
}

output "security_alerts_topic_arn" {
  description = "SNS topic of CloudTrail alarms, GuardDuty findings and critical Security Hub findings."
  value       = aws_sns_topic.security_alerts.arn
}
