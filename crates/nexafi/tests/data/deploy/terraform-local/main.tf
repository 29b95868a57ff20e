# A root module that real Terraform plans and applies offline: a local backend and only
# the built-in terraform_data resource, so no provider is downloaded.
terraform {
  backend "local" {}
}

variable "release" {
  type = string
}

resource "terraform_data" "release" {
  input = var.release
}
