output "guardduty_detector_id" {
  description = "GuardDuty detector of the region."
  value       = aws_guardduty_detector.this.id
}
