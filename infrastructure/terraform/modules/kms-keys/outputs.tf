output "arns" {
  description = "Data domain to key ARN."
  value       = { for domain, key in aws_kms_key.this : domain => key.arn }
}

output "key_ids" {
  description = "Data domain to key id."
  value       = { for domain, key in aws_kms_key.this : domain => key.key_id }
}
