//! Loads real Terraform files from temporary directories and checks the resource model.

// A failed expectation in a test is a test failure, which is what a panic reports.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use nexafi_iac::terraform::{self, Options};
use nexafi_iac::{Diagnostic, DiagnosticLevel, Loaded};
use nexafi_model::{Lookup, Node, Resource, SourceMap, TERRAFORM_ROOT_KIND};
use serde_json::{Value as Json, json};

/// A root module written to a temporary directory.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("create directory");
            std::fs::write(&path, text).expect("write file");
        }
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Loads the root module with the files at the top of the directory, as discovery
    /// would list them.
    fn load(&self) -> Output {
        self.load_with(&Options::default())
    }

    fn load_with(&self, options: &Options) -> Output {
        self.load_dir(self.path(), options)
    }

    fn load_dir(&self, dir: &Path, options: &Options) -> Output {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("read directory")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        let sources = SourceMap::new();
        let loaded = terraform::load_root(dir, &files, options, &sources);
        Output { loaded, sources }
    }
}

struct Output {
    loaded: Loaded,
    sources: SourceMap,
}

impl Output {
    fn addresses(&self) -> Vec<&str> {
        self.loaded
            .resources
            .iter()
            .filter(|resource| resource.kind != TERRAFORM_ROOT_KIND)
            .map(|resource| resource.address.as_str())
            .collect()
    }

    fn resource(&self, address: &str) -> &Resource {
        self.loaded
            .resources
            .iter()
            .find(|resource| resource.address == address)
            .unwrap_or_else(|| panic!("no resource {address}; found {:?}", self.addresses()))
    }

    /// Returns the value at `path` in the body of `address` as JSON; unknown values are
    /// `{"$unknown": reason}` and missing ones `null`.
    fn value(&self, address: &str, path: &str) -> Json {
        match self.resource(address).body.lookup(path) {
            Lookup::Present(node) => node.to_json(),
            Lookup::Unknown(unknown, _) => json!({ "$unknown": unknown.reason }),
            Lookup::Missing => Json::Null,
        }
    }

    fn node(&self, address: &str, path: &str) -> &Node {
        self.resource(address)
            .body
            .lookup(path)
            .node()
            .unwrap_or_else(|| panic!("{address} has no value at {path}"))
    }

    fn unknown_reason(&self, address: &str, path: &str) -> String {
        match self.resource(address).body.lookup(path) {
            Lookup::Unknown(unknown, _) => unknown.reason.clone(),
            other => panic!("{address}.{path} is not unknown: {other:?}"),
        }
    }

    /// Returns the text a span covers.
    fn text(&self, span: nexafi_model::Span) -> String {
        let file = self.sources.get(span.file).expect("file of span");
        file.slice(span).to_owned()
    }

    fn errors(&self) -> Vec<&Diagnostic> {
        self.loaded
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.level == DiagnosticLevel::Error)
            .collect()
    }

    fn assert_no_errors(&self) {
        let errors = self.errors();
        assert!(errors.is_empty(), "unexpected errors: {errors:#?}");
    }

    /// Returns the references of `address` as `attribute -> target` strings.
    fn edges(&self, address: &str) -> Vec<String> {
        self.resource(address)
            .references
            .iter()
            .map(|reference| format!("{} -> {}", reference.attribute, reference.target))
            .collect()
    }
}

fn options(vars: &[(&str, &str)], var_files: &[PathBuf]) -> Options {
    Options {
        var_files: var_files.to_vec(),
        vars: vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------
// Syntax and the shape of the model

#[test]
fn body_shape_and_spans() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
resource "aws_s3_bucket" "logs" {
  bucket        = "audit-logs"
  force_destroy = false
  count         = 1
  provider      = aws.west
  depends_on    = []

  versioning {
    enabled = true
  }

  lifecycle_rule {
    id = "first"
  }
  lifecycle_rule {
    id = "second"
  }

  lifecycle {
    prevent_destroy = true
  }
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    let bucket = output.resource("aws_s3_bucket.logs[0]");
    assert_eq!(bucket.kind, "aws_s3_bucket");
    assert_eq!(bucket.input, nexafi_model::InputKind::Terraform);
    assert_eq!(bucket.group, fixture.path().display().to_string());
    assert_eq!(output.text(bucket.name_span), r#""aws_s3_bucket" "logs""#);
    assert!(
        output
            .text(bucket.span)
            .starts_with("resource \"aws_s3_bucket\"")
    );
    assert!(output.text(bucket.span).ends_with('}'));

    assert_eq!(
        output.value("aws_s3_bucket.logs[0]", "bucket"),
        json!("audit-logs")
    );
    assert_eq!(
        output.text(output.node("aws_s3_bucket.logs[0]", "bucket").span),
        "\"audit-logs\""
    );
    assert_eq!(
        output.value("aws_s3_bucket.logs[0]", "versioning.0.enabled"),
        json!(true)
    );
    assert_eq!(
        output.value("aws_s3_bucket.logs[0]", "lifecycle_rule.1.id"),
        json!("second")
    );
    let versioning = &output
        .node("aws_s3_bucket.logs[0]", "versioning")
        .as_list()
        .expect("list")[0];
    assert!(output.text(versioning.span).starts_with("versioning {"));

    let keys: Vec<&str> = bucket
        .body
        .as_map()
        .expect("map")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["bucket", "force_destroy", "versioning", "lifecycle_rule"]
    );
}

#[test]
fn root_resource_per_root() {
    let fixture = Fixture::new(&[
        ("b.tf", "resource \"aws_kms_key\" \"k\" {}\n"),
        ("a.tf", "locals {\n  x = 1\n}\n"),
    ]);
    let output = fixture.load();
    let roots: Vec<&Resource> = output
        .loaded
        .resources
        .iter()
        .filter(|resource| resource.kind == TERRAFORM_ROOT_KIND)
        .collect();
    assert_eq!(roots.len(), 1);
    let root = roots[0];
    assert_eq!(root.address, "root");
    assert!(root.body.as_map().is_some_and(|map| map.is_empty()));
    assert!(root.span.is_empty());
    assert_eq!(root.span.start, 0);
    let first = output.sources.get(root.span.file).expect("file");
    assert!(first.path.ends_with("a.tf"));
}

#[test]
fn data_source_kind_and_address() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
data "aws_iam_policy_document" "read" {
  statement {
    actions = ["s3:GetObject"]
  }
}
resource "aws_iam_policy" "p" {
  policy = data.aws_iam_policy_document.read.json
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    let data = output.resource("data.aws_iam_policy_document.read");
    assert_eq!(data.kind, "data.aws_iam_policy_document");
    assert_eq!(
        output.value("data.aws_iam_policy_document.read", "statement.0.actions"),
        json!(["s3:GetObject"])
    );
    assert_eq!(
        output.unknown_reason("aws_iam_policy.p", "policy"),
        "computed by the provider: data.aws_iam_policy_document.read.json"
    );
    assert_eq!(
        output.edges("aws_iam_policy.p"),
        ["policy -> data.aws_iam_policy_document.read"]
    );
}

#[test]
fn json_syntax() {
    let fixture = Fixture::new(&[(
        "main.tf.json",
        r#"{
  "//": "a comment",
  "variable": {
    "env": { "default": "prod", "type": "string" },
    "rotate": { "type": "bool", "default": "true" }
  },
  "locals": { "name": "ledger-${var.env}" },
  "resource": {
    "aws_kms_key": {
      "k": { "enable_key_rotation": "${var.rotate}", "description": "${local.name}" }
    },
    "aws_s3_bucket": {
      "b": [{
        "bucket": "logs-${var.env}",
        "tags": { "Env": "${var.env}" },
        "versioning": { "enabled": true },
        "rule": [{ "id": "a" }, { "id": "b" }],
        "count": 1
      }]
    },
    "aws_s3_bucket_versioning": {
      "v": { "bucket": "${aws_s3_bucket.b[0].id}" }
    }
  }
}"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.value("aws_kms_key.k", "enable_key_rotation"),
        json!(true)
    );
    assert_eq!(
        output.value("aws_kms_key.k", "description"),
        json!("ledger-prod")
    );
    assert_eq!(
        output.value("aws_s3_bucket.b[0]", "bucket"),
        json!("logs-prod")
    );
    assert_eq!(
        output.value("aws_s3_bucket.b[0]", "tags"),
        json!({ "Env": "prod" })
    );
    assert_eq!(
        output.value("aws_s3_bucket.b[0]", "versioning.0.enabled"),
        json!(true)
    );
    assert_eq!(output.value("aws_s3_bucket.b[0]", "rule.1.id"), json!("b"));
    assert_eq!(
        output.edges("aws_s3_bucket_versioning.v"),
        ["bucket -> aws_s3_bucket.b[0]"]
    );
    let key = output.resource("aws_kms_key.k");
    assert_eq!(
        output.text(key.name_span),
        "\"aws_kms_key\": {\n      \"k\""
    );
}

#[test]
fn json_syntax_error() {
    let fixture = Fixture::new(&[(
        "main.tf.json",
        "{\n  \"resource\": {\n    \"x\": [1, 2,]\n  }\n}\n",
    )]);
    let output = fixture.load();
    let errors = output.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let location = output
        .sources
        .locate(errors[0].span.expect("span"))
        .expect("location");
    assert_eq!((location.start.line, location.start.column), (3, 16));
    assert!(
        errors[0].message.contains("invalid JSON syntax"),
        "{}",
        errors[0].message
    );
}

#[test]
fn override_files_merge() {
    let fixture = Fixture::new(&[
        (
            "main.tf",
            r#"
locals {
  env = "dev"
}
resource "aws_s3_bucket" "b" {
  bucket = "b-${local.env}"
  acl    = "public-read"
  rule {
    id = "base"
  }
}
"#,
        ),
        (
            "main_override.tf",
            r#"
locals {
  env = "prod"
}
resource "aws_s3_bucket" "b" {
  acl = "private"
  rule {
    id = "override"
  }
}
"#,
        ),
    ]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(output.value("aws_s3_bucket.b", "bucket"), json!("b-prod"));
    assert_eq!(output.value("aws_s3_bucket.b", "acl"), json!("private"));
    assert_eq!(
        output.value("aws_s3_bucket.b", "rule"),
        json!([{ "id": "override" }])
    );
}

#[test]
fn parse_error_location() {
    let fixture = Fixture::new(&[
        (
            "bad.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \n}\n",
        ),
        (
            "good.tf",
            "resource \"aws_kms_key\" \"k\" {\n  enable_key_rotation = true\n}\n",
        ),
    ]);
    let output = fixture.load();
    let errors = output.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = errors[0];
    assert!(error.path.ends_with("bad.tf"));
    let location = output
        .sources
        .locate(error.span.expect("span"))
        .expect("location");
    assert_eq!(location.start.line, 2);
    assert_eq!(location.start.column, 12);
    assert!(
        error.message.starts_with("invalid HCL syntax: "),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("terraform validate"),
        "{}",
        error.message
    );
    assert_eq!(
        output.value("aws_kms_key.k", "enable_key_rotation"),
        json!(true)
    );
}

#[test]
fn unreadable_file_diagnostic() {
    let fixture = Fixture::new(&[("main.tf", "resource \"aws_kms_key\" \"k\" {}\n")]);
    std::fs::write(fixture.path().join("latin1.tf"), [0x23, 0xe9, 0x0a]).expect("write");
    let output = fixture.load();
    let errors = output.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].path.ends_with("latin1.tf"));
    assert!(errors[0].message.contains("UTF-8"));
    assert_eq!(output.addresses(), ["aws_kms_key.k"]);
}

// ---------------------------------------------------------------------------------------
// Variables

const VARIABLES: &str = r#"
variable "from_default" {
  default = "default"
}
variable "from_tfvars" {
  default = "default"
}
variable "from_auto" {
  default = "default"
}
variable "from_var_file" {
  default = "default"
}
variable "from_var" {
  default = "default"
}
variable "enabled" {
  type = bool
}
variable "days" {
  type = number
}
variable "cidrs" {
  type = list(string)
}
variable "kms_key_arn" {
  type = string
}
variable "settings" {
  type = object({
    encrypted = optional(bool, true)
    name      = string
    extra     = optional(string)
  })
  default = { name = "s" }
}
resource "aws_s3_bucket" "b" {
  from_default  = var.from_default
  from_tfvars   = var.from_tfvars
  from_auto     = var.from_auto
  from_var_file = var.from_var_file
  from_var      = var.from_var
  enabled       = var.enabled
  days          = var.days
  cidrs         = var.cidrs
  kms_key_arn   = var.kms_key_arn
  settings      = var.settings
}
"#;

#[test]
fn variable_precedence() {
    let fixture = Fixture::new(&[
        ("main.tf", VARIABLES),
        (
            "terraform.tfvars",
            "from_tfvars = \"tfvars\"\nfrom_auto = \"tfvars\"\nfrom_var_file = \"tfvars\"\nfrom_var = \"tfvars\"\nenabled = \"true\"\n",
        ),
        (
            "a.auto.tfvars",
            "from_auto = \"a.auto\"\nfrom_var_file = \"a.auto\"\nfrom_var = \"a.auto\"\n",
        ),
        (
            "b.auto.tfvars.json",
            r#"{ "from_auto": "b.auto", "days": "30" }"#,
        ),
        (
            "extra/one.tfvars",
            "from_var_file = \"one\"\nfrom_var = \"one\"\n",
        ),
        (
            "extra/two.tfvars",
            "from_var_file = \"two\"\ncidrs = [\"10.0.0.0/8\"]\n",
        ),
    ]);
    let var_files = [
        fixture.path().join("extra/one.tfvars"),
        fixture.path().join("extra/two.tfvars"),
    ];
    let output = fixture.load_with(&options(&[("from_var", "cli")], &var_files));
    output.assert_no_errors();
    let bucket = "aws_s3_bucket.b";
    assert_eq!(output.value(bucket, "from_default"), json!("default"));
    assert_eq!(output.value(bucket, "from_tfvars"), json!("tfvars"));
    assert_eq!(output.value(bucket, "from_auto"), json!("b.auto"));
    assert_eq!(output.value(bucket, "from_var_file"), json!("two"));
    assert_eq!(output.value(bucket, "from_var"), json!("cli"));
    assert_eq!(output.value(bucket, "enabled"), json!(true));
    assert_eq!(output.value(bucket, "days"), json!(30));
    assert_eq!(output.value(bucket, "cidrs"), json!(["10.0.0.0/8"]));
    assert_eq!(
        output.unknown_reason(bucket, "kms_key_arn"),
        "variable \"kms_key_arn\" has no default and no value was given"
    );
    assert_eq!(
        output.value(bucket, "settings"),
        json!({ "encrypted": true, "name": "s", "extra": null })
    );
    // The value points at the attribute in the resource, not at the variable.
    assert_eq!(
        output.text(output.node(bucket, "from_tfvars").span),
        "var.from_tfvars"
    );
}

#[test]
fn cli_var_parsing() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
variable "plain" {}
variable "list" {}
variable "text" {
  type = string
}
variable "flag" {
  type = bool
}
resource "aws_s3_bucket" "b" {
  plain = var.plain
  list  = var.list
  text  = var.text
  flag  = var.flag
}
"#,
    )]);
    let vars = [
        ("plain", "us-east-1"),
        ("list", "[\"a\", 2]"),
        ("text", "[1]"),
        ("flag", "false"),
    ];
    let output = fixture.load_with(&options(&vars, &[]));
    output.assert_no_errors();
    assert_eq!(output.value("aws_s3_bucket.b", "plain"), json!("us-east-1"));
    assert_eq!(output.value("aws_s3_bucket.b", "list"), json!(["a", 2]));
    assert_eq!(output.value("aws_s3_bucket.b", "text"), json!("[1]"));
    assert_eq!(output.value("aws_s3_bucket.b", "flag"), json!(false));
}

#[test]
fn missing_var_file_and_undeclared_var() {
    let fixture = Fixture::new(&[("main.tf", "variable \"x\" {\n  default = 1\n}\n")]);
    let missing = fixture.path().join("missing.tfvars");
    let output = fixture.load_with(&options(&[("nope", "1")], &[missing]));
    let errors = output.errors();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].path.ends_with("missing.tfvars"));
    assert!(
        errors[0].message.contains("cannot read the file"),
        "{}",
        errors[0].message
    );
    assert!(
        errors[1].message.contains("\"nope\""),
        "{}",
        errors[1].message
    );
}

#[test]
fn invalid_variable_value_is_unknown() {
    let fixture = Fixture::new(&[(
        "main.tf",
        "variable \"days\" {\n  type = number\n}\nresource \"aws_s3_bucket\" \"b\" {\n  days = var.days\n}\n",
    )]);
    let output = fixture.load_with(&options(&[("days", "many")], &[]));
    let reason = output.unknown_reason("aws_s3_bucket.b", "days");
    assert!(reason.contains("a number is required"), "{reason}");
}

// ---------------------------------------------------------------------------------------
// Locals

#[test]
fn locals_in_any_order() {
    let fixture = Fixture::new(&[
        (
            "b.tf",
            "locals {\n  full = \"${local.prefix}-${local.suffix}\"\n}\n",
        ),
        (
            "a.tf",
            "locals {\n  suffix = \"logs\"\n}\nlocals {\n  prefix = upper(\"x\") == \"X\" ? \"a\" : \"a\"\n}\n",
        ),
        (
            "main.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = local.full\n}\n",
        ),
    ]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(output.value("aws_s3_bucket.b", "bucket"), json!("a-logs"));
}

#[test]
fn cyclic_locals() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
locals {
  a = local.b
  b = "${local.c}x"
  c = local.a
  d = "fine"
}
resource "aws_s3_bucket" "b" {
  bucket = local.a
  tags   = { name = local.d }
}
"#,
    )]);
    let output = fixture.load();
    let errors = output.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let message = &errors[0].message;
    for name in ["local.a", "local.b", "local.c"] {
        assert!(message.contains(name), "{message}");
    }
    assert!(!message.contains("local.d"), "{message}");
    let reason = output.unknown_reason("aws_s3_bucket.b", "bucket");
    assert!(reason.contains("cycle"), "{reason}");
    assert_eq!(
        output.value("aws_s3_bucket.b", "tags"),
        json!({ "name": "fine" })
    );
}

// ---------------------------------------------------------------------------------------
// Expressions

/// Evaluates each expression as an attribute of one resource and returns the output.
fn eval_attributes(attributes: &[(&str, &str)], extra: &str) -> Output {
    let mut text =
        String::from("variable \"unset\" {}\nvariable \"list\" {\n  default = [\"a\", \"b\"]\n}\n");
    text.push_str(extra);
    text.push_str("resource \"test\" \"t\" {\n");
    for (name, expr) in attributes {
        text.push_str(&format!("  {name} = {expr}\n"));
    }
    text.push_str("}\n");
    let fixture = Fixture::new(&[("main.tf", &text)]);
    let output = fixture.load();
    output.assert_no_errors();
    output
}

#[test]
fn literals_and_operators() {
    let output = eval_attributes(
        &[
            ("sum", "1 + 2 * 3"),
            ("division", "7 / 2"),
            ("modulo", "7 % 3"),
            ("negative", "-(2 + 3)"),
            ("string_number", "\"5\" + 1"),
            ("less", "1 < 2"),
            ("greater_equal", "2 >= 3"),
            ("equal", "\"a\" == \"a\""),
            ("not_equal", "[1, 2] != [1, 2]"),
            ("and", "true && false"),
            ("or", "false || true"),
            ("not", "!true"),
            ("null", "null"),
            ("object", "{ a = 1, \"b-c\" = [true], (\"k${1}\") = \"v\" }"),
            ("false_and_unknown", "false && var.unset"),
            ("unknown_plus", "var.unset + 1"),
        ],
        "",
    );
    let t = "test.t";
    assert_eq!(output.value(t, "sum"), json!(7));
    assert_eq!(output.value(t, "division"), json!(3.5));
    assert_eq!(output.value(t, "modulo"), json!(1));
    assert_eq!(output.value(t, "negative"), json!(-5));
    assert_eq!(output.value(t, "string_number"), json!(6));
    assert_eq!(output.value(t, "less"), json!(true));
    assert_eq!(output.value(t, "greater_equal"), json!(false));
    assert_eq!(output.value(t, "equal"), json!(true));
    assert_eq!(output.value(t, "not_equal"), json!(false));
    assert_eq!(output.value(t, "and"), json!(false));
    assert_eq!(output.value(t, "or"), json!(true));
    assert_eq!(output.value(t, "not"), json!(false));
    assert!(
        output
            .resource(t)
            .body
            .get("null")
            .is_some_and(Node::is_null)
    );
    assert_eq!(
        output.value(t, "object"),
        json!({ "a": 1, "b-c": [true], "k1": "v" })
    );
    assert_eq!(output.value(t, "false_and_unknown"), json!(false));
    assert_eq!(
        output.unknown_reason(t, "unknown_plus"),
        "variable \"unset\" has no default and no value was given"
    );
}

#[test]
fn invalid_expression_is_unknown() {
    let output = eval_attributes(&[("bad", "\"abc\" + 1"), ("missing", "{ a = 1 }.b")], "");
    let bad = output.unknown_reason("test.t", "bad");
    assert!(bad.contains("+ needs numbers"), "{bad}");
    let missing = output.unknown_reason("test.t", "missing");
    assert!(missing.contains("no attribute \"b\""), "{missing}");
}

#[test]
fn templates() {
    let output = eval_attributes(
        &[
            ("interpolation", "\"a-${1 + 1}-${true}\""),
            ("single", "\"${var.list}\""),
            (
                "if_directive",
                "\"%{ if length(var.list) == 2 }two%{ else }other%{ endif }\"",
            ),
            (
                "for_directive",
                "\"%{ for x in var.list }[${x}]%{ endfor }\"",
            ),
            ("strip", "\"a  ${~ \"b\" ~}  c\""),
            ("escape", "\"$${literal} %%{x}\""),
            ("unknown", "\"x-${var.unset}\""),
            ("heredoc", "<<-EOT\n    line one\n      line two\n    EOT"),
            ("heredoc_plain", "<<EOT\nkeep ${1}\nEOT"),
        ],
        "",
    );
    let t = "test.t";
    assert_eq!(output.value(t, "interpolation"), json!("a-2-true"));
    assert_eq!(output.value(t, "single"), json!(["a", "b"]));
    assert_eq!(output.value(t, "for_directive"), json!("[a][b]"));
    assert_eq!(output.value(t, "strip"), json!("abc"));
    assert_eq!(output.value(t, "escape"), json!("${literal} %{x}"));
    assert_eq!(
        output.unknown_reason(t, "unknown"),
        "variable \"unset\" has no default and no value was given"
    );
    assert_eq!(output.value(t, "heredoc"), json!("line one\n  line two\n"));
    assert_eq!(output.value(t, "heredoc_plain"), json!("keep 1\n"));
    assert_eq!(output.value(t, "if_directive"), json!("two"));
}

#[test]
fn template_if_without_functions() {
    let output = eval_attributes(
        &[
            (
                "chosen",
                "\"%{ if var.list[0] == \"a\" }yes%{ else }no%{ endif }\"",
            ),
            ("unknown", "\"%{ if var.unset }yes%{ endif }\""),
        ],
        "",
    );
    assert_eq!(output.value("test.t", "chosen"), json!("yes"));
    assert!(output.unknown_reason("test.t", "unknown").contains("unset"));
}

#[test]
fn conditionals() {
    let output = eval_attributes(
        &[
            ("known", "1 > 0 ? \"yes\" : \"no\""),
            ("string_condition", "\"false\" ? 1 : 2"),
            ("unknown_equal", "var.unset ? \"same\" : \"same\""),
            ("unknown_different", "var.unset ? \"a\" : \"b\""),
            ("lazy", "true ? \"ok\" : var.list[5]"),
        ],
        "",
    );
    let t = "test.t";
    assert_eq!(output.value(t, "known"), json!("yes"));
    assert_eq!(output.value(t, "string_condition"), json!(2));
    assert_eq!(output.value(t, "unknown_equal"), json!("same"));
    assert!(
        output
            .unknown_reason(t, "unknown_different")
            .contains("\"unset\"")
    );
    assert_eq!(output.value(t, "lazy"), json!("ok"));
}

#[test]
fn for_expressions() {
    let output = eval_attributes(
        &[
            ("list", "[for s in var.list : \"${s}!\"]"),
            ("indexed", "[for i, s in var.list : \"${i}=${s}\"]"),
            ("object", "{ for s in var.list : s => \"v-${s}\" }"),
            (
                "filtered",
                "[for s in [\"a\", \"bb\", \"c\"] : s if s != \"bb\"]",
            ),
            (
                "grouped",
                "{ for p in [{k = \"x\", v = 1}, {k = \"y\", v = 2}, {k = \"x\", v = 3}] : p.k => p.v... }",
            ),
            ("map_order", "[for k, v in { b = 2, a = 1 } : \"${k}${v}\"]"),
            ("unknown", "[for s in var.unset : s]"),
            ("unknown_condition", "[for s in var.list : s if var.unset]"),
            ("duplicate", "{ for s in [\"a\", \"a\"] : s => 1 }"),
        ],
        "",
    );
    let t = "test.t";
    assert_eq!(output.value(t, "list"), json!(["a!", "b!"]));
    assert_eq!(output.value(t, "indexed"), json!(["0=a", "1=b"]));
    assert_eq!(output.value(t, "object"), json!({ "a": "v-a", "b": "v-b" }));
    assert_eq!(output.value(t, "filtered"), json!(["a", "c"]));
    assert_eq!(output.value(t, "grouped"), json!({ "x": [1, 3], "y": [2] }));
    assert_eq!(output.value(t, "map_order"), json!(["a1", "b2"]));
    assert!(output.unknown_reason(t, "unknown").contains("unset"));
    assert!(
        output
            .unknown_reason(t, "unknown_condition")
            .contains("unset")
    );
    assert!(output.unknown_reason(t, "duplicate").contains("twice"));
}

#[test]
fn splat_and_access() {
    let output = eval_attributes(
        &[
            ("full", "local.items[*].name"),
            ("attr", "local.items.*.name"),
            ("full_index", "local.items[*].tags[0]"),
            ("attr_then_index", "local.items.*.name[1]"),
            ("single", "local.one[*].name"),
            ("null_splat", "local.nothing[*]"),
            ("index", "local.items[1].name"),
            ("legacy_index", "local.items.0.name"),
            ("map_index", "local.by_name[\"b\"]"),
            ("string_key", "local.items[\"1\"].name"),
            ("out_of_range", "local.items[5]"),
        ],
        r#"
locals {
  items   = [{ name = "a", tags = ["t1"] }, { name = "b", tags = ["t2"] }]
  one     = { name = "solo" }
  nothing = null
  by_name = { a = 1, b = 2 }
}
"#,
    );
    let t = "test.t";
    assert_eq!(output.value(t, "full"), json!(["a", "b"]));
    assert_eq!(output.value(t, "attr"), json!(["a", "b"]));
    assert_eq!(output.value(t, "full_index"), json!(["t1", "t2"]));
    assert_eq!(output.value(t, "attr_then_index"), json!("b"));
    assert_eq!(output.value(t, "single"), json!(["solo"]));
    assert_eq!(output.value(t, "null_splat"), json!([]));
    assert_eq!(output.value(t, "index"), json!("b"));
    assert_eq!(output.value(t, "legacy_index"), json!("a"));
    assert_eq!(output.value(t, "map_index"), json!(2));
    assert_eq!(output.value(t, "string_key"), json!("b"));
    assert!(
        output
            .unknown_reason(t, "out_of_range")
            .contains("out of range")
    );
}

#[test]
fn named_values() {
    let output = eval_attributes(
        &[
            ("module_path", "path.module"),
            ("root_path", "path.root"),
            ("workspace", "terraform.workspace"),
            (
                "cwd_is_absolute",
                "substr(path.cwd, 0, 1) == \"/\" ? true : true",
            ),
        ],
        "",
    );
    assert_eq!(output.value("test.t", "module_path"), json!("."));
    assert_eq!(output.value("test.t", "root_path"), json!("."));
    assert_eq!(output.value("test.t", "workspace"), json!("default"));
}

#[test]
fn try_and_can() {
    let output = eval_attributes(
        &[
            ("first_error", "try(local.cfg.missing, \"fallback\")"),
            ("first_ok", "try(local.cfg.name, \"fallback\")"),
            ("unknown", "try(var.unset, \"fallback\")"),
            ("nested_unknown", "try({ a = var.unset }, \"fallback\")"),
            ("all_fail", "try(local.cfg.x, local.cfg.y)"),
            ("can_ok", "can(local.cfg.name)"),
            ("can_fail", "can(local.cfg.missing)"),
            ("can_unknown", "can(var.unset)"),
        ],
        "locals {\n  cfg = { name = \"n\" }\n}\n",
    );
    let t = "test.t";
    assert_eq!(output.value(t, "first_error"), json!("fallback"));
    assert_eq!(output.value(t, "first_ok"), json!("n"));
    assert!(output.unknown_reason(t, "unknown").contains("unset"));
    assert!(output.unknown_reason(t, "nested_unknown").contains("unset"));
    assert!(output.unknown_reason(t, "all_fail").contains("try()"));
    assert_eq!(output.value(t, "can_ok"), json!(true));
    assert_eq!(output.value(t, "can_fail"), json!(false));
    assert!(output.unknown_reason(t, "can_unknown").contains("unset"));
}

#[test]
fn templatefile_rendering() {
    let fixture = Fixture::new(&[
        (
            "main.tf",
            r#"
resource "test" "t" {
  rendered = templatefile("${path.module}/policy.tpl", { bucket = "logs", actions = ["s3:Get", "s3:Put"] })
  missing  = templatefile("${path.module}/missing.tpl", {})
  unknown  = templatefile("${path.module}/policy.tpl", { bucket = var.unset, actions = [] })
  no_vars  = templatefile("${path.module}/locals.tpl", {})
}
variable "unset" {}
"#,
        ),
        (
            "policy.tpl",
            "bucket=${bucket}\n%{ for a in actions ~}\n- ${a}\n%{ endfor ~}\n",
        ),
        ("locals.tpl", "${var.unset}"),
    ]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.value("test.t", "rendered"),
        json!("bucket=logs\n- s3:Get\n- s3:Put\n")
    );
    assert!(
        output
            .unknown_reason("test.t", "missing")
            .contains("does not exist")
    );
    assert!(output.unknown_reason("test.t", "unknown").contains("unset"));
    assert!(
        output
            .unknown_reason("test.t", "no_vars")
            .contains("cannot be used here")
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
    let fixture = Fixture::new(&[
        ("deep.tf", &format!("locals {{\n  x = {deep}\n}}\n")),
        ("main.tf", "resource \"aws_kms_key\" \"k\" {}\n"),
    ]);
    let output = fixture.load();
    assert_eq!(output.errors().len(), 1);
    assert_eq!(output.addresses(), ["aws_kms_key.k"]);
}

#[test]
fn long_reference_chain_is_bounded() {
    // Declared last first, so evaluating the first local walks the whole chain.
    let mut text = String::from("locals {\n");
    for index in (1..3_000).rev() {
        text.push_str(&format!("  l{index} = local.l{} + 1\n", index - 1));
    }
    text.push_str(
        "  l0 = 1\n}\nresource \"test\" \"t\" {\n  v = local.l2999\n  w = local.l10\n}\n",
    );
    let fixture = Fixture::new(&[("main.tf", &text)]);
    let output = fixture.load();
    assert_eq!(output.value("test.t", "w"), json!(11));
    let reason = output.unknown_reason("test.t", "v");
    assert!(reason.contains("nested more than 1000 levels"), "{reason}");
}

// ---------------------------------------------------------------------------------------
// References between resources

#[test]
fn resource_attribute_references() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
resource "aws_s3_bucket" "b" {
  bucket = "logs"
  versioning {
    enabled = true
  }
}
resource "aws_s3_bucket_versioning" "v" {
  bucket = aws_s3_bucket.b.id
}
resource "aws_s3_bucket_policy" "p" {
  bucket  = aws_s3_bucket.b.bucket
  enabled = aws_s3_bucket.b.versioning[0].enabled
  mfa     = aws_s3_bucket.b.versioning[0].mfa_delete
  name    = "${aws_s3_bucket.b.bucket}-policy"
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.unknown_reason("aws_s3_bucket_versioning.v", "bucket"),
        "computed by the provider: aws_s3_bucket.b.id"
    );
    assert_eq!(
        output.edges("aws_s3_bucket_versioning.v"),
        ["bucket -> aws_s3_bucket.b"]
    );
    let policy = "aws_s3_bucket_policy.p";
    assert_eq!(output.value(policy, "bucket"), json!("logs"));
    assert_eq!(output.value(policy, "enabled"), json!(true));
    assert_eq!(
        output.unknown_reason(policy, "mfa"),
        "computed by the provider: aws_s3_bucket.b.versioning[0].mfa_delete"
    );
    assert_eq!(output.value(policy, "name"), json!("logs-policy"));
    let reference = &output.resource(policy).references[0];
    assert_eq!(output.text(reference.span), "aws_s3_bucket.b.bucket");
    assert_eq!(
        output.edges(policy),
        [
            "bucket -> aws_s3_bucket.b",
            "enabled -> aws_s3_bucket.b",
            "mfa -> aws_s3_bucket.b",
            "name -> aws_s3_bucket.b"
        ]
    );
}

#[test]
fn nested_block_reference_path() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
resource "aws_kms_key" "k" {}
resource "aws_s3_bucket" "b" {}
resource "aws_s3_bucket_server_side_encryption_configuration" "sse" {
  bucket = aws_s3_bucket.b.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.k.arn
    }
  }
}
"#,
    )]);
    let output = fixture.load();
    assert_eq!(
        output.edges("aws_s3_bucket_server_side_encryption_configuration.sse"),
        [
            "bucket -> aws_s3_bucket.b",
            "rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id -> aws_kms_key.k"
        ]
    );
}

#[test]
fn references_through_locals() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
resource "aws_kms_key" "k" {}
resource "aws_s3_bucket" "b" {
  count = 2
}
locals {
  key    = aws_kms_key.k.arn
  config = { key = local.key, other = "x" }
  second = aws_s3_bucket.b[1].id
}
resource "aws_s3_bucket_versioning" "v" {
  bucket = local.second
}
resource "aws_sqs_queue" "q" {
  kms_master_key_id = local.config.key
  name              = local.config.other
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.edges("aws_s3_bucket_versioning.v"),
        ["bucket -> aws_s3_bucket.b[1]"]
    );
    assert_eq!(
        output.edges("aws_sqs_queue.q"),
        [
            "kms_master_key_id -> aws_kms_key.k",
            "name -> aws_kms_key.k"
        ]
    );
}

#[test]
fn instance_key_in_reference() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
resource "aws_s3_bucket" "b" {
  for_each = { logs = "l", data = "d" }
  bucket   = "bucket-${each.value}"
}
resource "aws_s3_bucket_versioning" "v" {
  for_each = { logs = "l", data = "d" }
  bucket   = aws_s3_bucket.b[each.key].bucket
}
resource "aws_s3_bucket_versioning" "all" {
  count  = 2
  bucket = aws_s3_bucket.b["logs"].id
  names  = aws_s3_bucket.b[*].bucket
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.value("aws_s3_bucket_versioning.v[\"data\"]", "bucket"),
        json!("bucket-d")
    );
    assert_eq!(
        output.edges("aws_s3_bucket_versioning.v[\"data\"]"),
        ["bucket -> aws_s3_bucket.b[\"data\"]"]
    );
    assert_eq!(
        output.edges("aws_s3_bucket_versioning.all[1]"),
        [
            "bucket -> aws_s3_bucket.b[\"logs\"]",
            "names -> aws_s3_bucket.b"
        ]
    );
    assert_eq!(
        output.value("aws_s3_bucket_versioning.all[0]", "names"),
        json!(["bucket-d", "bucket-l"])
    );
}

#[test]
fn whole_resource_values() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
resource "aws_s3_bucket" "b" {
  for_each = { one = 1, two = 2 }
  bucket   = "b-${each.key}"
}
resource "aws_s3_bucket_versioning" "v" {
  for_each = aws_s3_bucket.b
  bucket   = each.value.id
  name     = each.value.bucket
  keys     = [for k, b in aws_s3_bucket.b : b.bucket]
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    let two = "aws_s3_bucket_versioning.v[\"two\"]";
    assert_eq!(
        output.unknown_reason(two, "bucket"),
        "computed by the provider: aws_s3_bucket.b[\"two\"].id"
    );
    assert_eq!(output.value(two, "name"), json!("b-two"));
    assert_eq!(output.value(two, "keys"), json!(["b-one", "b-two"]));
    // each.value is one bucket instance, so its edges name that instance; the `for`
    // expression reads the whole collection.
    assert_eq!(
        output.edges(two),
        [
            "bucket -> aws_s3_bucket.b[\"two\"]",
            "name -> aws_s3_bucket.b[\"two\"]",
            "keys -> aws_s3_bucket.b"
        ]
    );
}

#[test]
fn self_and_undeclared_references() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
resource "aws_instance" "i" {
  ami  = aws_ami.missing.id
  name = self.id
  provisioner "local-exec" {
    command = "echo ${self.private_ip}"
  }
}
"#,
    )]);
    let output = fixture.load();
    assert!(
        output
            .unknown_reason("aws_instance.i", "ami")
            .contains("not declared")
    );
    assert!(
        output
            .unknown_reason("aws_instance.i", "name")
            .contains("self")
    );
    assert!(
        output
            .resource("aws_instance.i")
            .body
            .get("provisioner")
            .is_none()
    );
    assert!(output.edges("aws_instance.i").is_empty());
}

// ---------------------------------------------------------------------------------------
// count, for_each and dynamic blocks

#[test]
fn count_expansion() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
variable "n" {
  default = 2
}
resource "aws_s3_bucket" "b" {
  count  = var.n
  bucket = "b-${count.index}"
}
resource "aws_s3_bucket" "none" {
  count = 0
}
resource "aws_s3_bucket" "conditional" {
  count = var.n > 5 ? 1 : 0
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.addresses(),
        ["aws_s3_bucket.b[0]", "aws_s3_bucket.b[1]"]
    );
    assert_eq!(output.value("aws_s3_bucket.b[1]", "bucket"), json!("b-1"));
    assert!(
        output
            .resource("aws_s3_bucket.b[0]")
            .body
            .get("count")
            .is_none()
    );
    assert!(
        output
            .resource("aws_s3_bucket.b[0]")
            .instances_unknown
            .is_none()
    );
}

#[test]
fn for_each_expansion() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
variable "buckets" {
  default = {
    logs = { versioned = true }
    data = { versioned = false }
  }
}
resource "aws_s3_bucket" "b" {
  for_each = var.buckets
  bucket   = each.key
  enabled  = each.value.versioned
}
resource "aws_iam_user" "u" {
  for_each = ["bob", "alice", "bob"]
  name     = each.value
}
resource "aws_s3_bucket" "empty" {
  for_each = {}
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.addresses(),
        [
            "aws_s3_bucket.b[\"data\"]",
            "aws_s3_bucket.b[\"logs\"]",
            "aws_iam_user.u[\"alice\"]",
            "aws_iam_user.u[\"bob\"]"
        ]
    );
    assert_eq!(
        output.value("aws_s3_bucket.b[\"logs\"]", "enabled"),
        json!(true)
    );
    assert_eq!(
        output.value("aws_s3_bucket.b[\"data\"]", "bucket"),
        json!("data")
    );
    assert_eq!(
        output.value("aws_iam_user.u[\"alice\"]", "name"),
        json!("alice")
    );
}

#[test]
fn unknown_count_and_for_each() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
variable "n" {
  type = number
}
variable "names" {}
resource "aws_s3_bucket" "b" {
  count  = var.n
  bucket = "b-${count.index}"
  acl    = "private"
}
resource "aws_iam_user" "u" {
  for_each = var.names
  name     = each.key
}
resource "aws_s3_bucket_versioning" "v" {
  bucket = aws_s3_bucket.b[0].acl
  first  = aws_s3_bucket.b[0].bucket
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.addresses(),
        [
            "aws_s3_bucket.b[*]",
            "aws_iam_user.u[*]",
            "aws_s3_bucket_versioning.v"
        ]
    );
    let bucket = output.resource("aws_s3_bucket.b[*]");
    let reason = &bucket
        .instances_unknown
        .as_ref()
        .expect("instances unknown")
        .reason;
    assert!(reason.contains("count of aws_s3_bucket.b"), "{reason}");
    assert!(reason.contains("variable \"n\""), "{reason}");
    assert!(
        output
            .unknown_reason("aws_s3_bucket.b[*]", "bucket")
            .contains("variable \"n\"")
    );
    assert_eq!(output.value("aws_s3_bucket.b[*]", "acl"), json!("private"));
    assert!(
        output
            .unknown_reason("aws_iam_user.u[*]", "name")
            .contains("variable \"names\"")
    );
    assert_eq!(
        output.value("aws_s3_bucket_versioning.v", "bucket"),
        json!("private")
    );
    assert_eq!(
        output.edges("aws_s3_bucket_versioning.v")[0],
        "bucket -> aws_s3_bucket.b"
    );
}

#[test]
fn instance_limit() {
    let fixture = Fixture::new(&[(
        "main.tf",
        "resource \"aws_s3_bucket\" \"many\" {\n  count = 1000000\n}\nresource \"aws_kms_key\" \"k\" {}\n",
    )]);
    let output = fixture.load();
    let errors = output.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].message.contains("100000"),
        "{}",
        errors[0].message
    );
    assert_eq!(
        output.addresses(),
        ["aws_s3_bucket.many[*]", "aws_kms_key.k"]
    );
}

#[test]
fn dynamic_blocks_known() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
resource "aws_kms_key" "k" {}
variable "rules" {
  default = [
    { id = "a", days = 30 },
    { id = "b", days = 60 },
  ]
}
resource "aws_s3_bucket_lifecycle_configuration" "l" {
  rule {
    id = "static"
  }
  dynamic "rule" {
    for_each = var.rules
    iterator = r
    content {
      id     = "${r.key}-${r.value.id}"
      key    = aws_kms_key.k.arn
      expiration {
        days = r.value.days
      }
      dynamic "filter" {
        for_each = { p = "logs/" }
        content {
          prefix = filter.value
        }
      }
    }
  }
  dynamic "transition" {
    for_each = []
    content {
      days = 1
    }
  }
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    let address = "aws_s3_bucket_lifecycle_configuration.l";
    assert_eq!(
        output.value(address, "rule"),
        json!([
            { "id": "static" },
            { "id": "0-a", "key": { "$unknown": "computed by the provider: aws_kms_key.k.arn" },
              "expiration": [{ "days": 30 }], "filter": [{ "prefix": "logs/" }] },
            { "id": "1-b", "key": { "$unknown": "computed by the provider: aws_kms_key.k.arn" },
              "expiration": [{ "days": 60 }], "filter": [{ "prefix": "logs/" }] },
        ])
    );
    assert!(output.resource(address).body.get("transition").is_none());
    assert_eq!(
        output.edges(address),
        ["rule.1.key -> aws_kms_key.k", "rule.2.key -> aws_kms_key.k"]
    );
}

#[test]
fn dynamic_blocks_unknown() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
variable "rules" {}
resource "aws_kms_key" "k" {}
resource "aws_security_group" "g" {
  name = "g"
  dynamic "ingress" {
    for_each = var.rules
    content {
      from_port = ingress.value.port
      key       = aws_kms_key.k.arn
    }
  }
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    let group = output.resource("aws_security_group.g");
    let ingress = group.body.get("ingress").expect("ingress");
    let reason = &ingress.as_unknown().expect("unknown").reason;
    assert_eq!(
        reason,
        "variable \"rules\" has no default and no value was given"
    );
    assert_eq!(output.value("aws_security_group.g", "name"), json!("g"));
    assert_eq!(
        output.edges("aws_security_group.g"),
        ["ingress.*.key -> aws_kms_key.k"]
    );
}

// ---------------------------------------------------------------------------------------
// Modules

const BUCKET_MODULE: &str = r#"
variable "name" {
  type = string
}
variable "kms_key_arn" {
  default = null
}
variable "versioned" {
  type     = bool
  default  = true
  nullable = false
}
resource "aws_s3_bucket" "this" {
  bucket = var.name
}
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      kms_master_key_id = var.kms_key_arn
    }
  }
}
resource "aws_s3_bucket_versioning" "this" {
  bucket  = aws_s3_bucket.this.id
  enabled = var.versioned
  path    = path.module
}
output "arn" {
  value = aws_s3_bucket.this.arn
}
output "name" {
  value = aws_s3_bucket.this.bucket
}
"#;

#[test]
fn module_with_count() {
    let fixture = Fixture::new(&[
        (
            "main.tf",
            r#"
resource "aws_kms_key" "k" {}
module "m" {
  source      = "./modules/bucket"
  count       = 2
  name        = "logs-${count.index}"
  kms_key_arn = aws_kms_key.k.arn
  versioned   = null
}
resource "aws_s3_bucket_policy" "p" {
  bucket = module.m[1].name
  arn    = module.m[0].arn
  names  = module.m[*].name
}
"#,
        ),
        ("modules/bucket/main.tf", BUCKET_MODULE),
    ]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.addresses(),
        [
            "aws_kms_key.k",
            "aws_s3_bucket_policy.p",
            "module.m[0].aws_s3_bucket.this",
            "module.m[0].aws_s3_bucket_server_side_encryption_configuration.this",
            "module.m[0].aws_s3_bucket_versioning.this",
            "module.m[1].aws_s3_bucket.this",
            "module.m[1].aws_s3_bucket_server_side_encryption_configuration.this",
            "module.m[1].aws_s3_bucket_versioning.this",
        ]
    );
    assert_eq!(
        output.value("module.m[1].aws_s3_bucket.this", "bucket"),
        json!("logs-1")
    );
    assert_eq!(
        output.value("module.m[0].aws_s3_bucket_versioning.this", "enabled"),
        json!(true)
    );
    assert_eq!(
        output.value("module.m[0].aws_s3_bucket_versioning.this", "path"),
        json!("modules/bucket")
    );
    assert_eq!(
        output.edges("module.m[0].aws_s3_bucket_versioning.this"),
        ["bucket -> module.m[0].aws_s3_bucket.this"]
    );

    let sse = "module.m[1].aws_s3_bucket_server_side_encryption_configuration.this";
    assert_eq!(
        output.edges(sse),
        [
            "bucket -> module.m[1].aws_s3_bucket.this",
            "rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id -> aws_kms_key.k"
        ]
    );
    let key = output
        .resource(sse)
        .body
        .lookup("rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id");
    let Lookup::Unknown(unknown, span) = key else {
        panic!("the key is not unknown: {key:?}");
    };
    assert_eq!(
        unknown.reason,
        "computed by the provider: aws_kms_key.k.arn"
    );
    assert_eq!(output.text(span), "var.kms_key_arn");

    let policy = "aws_s3_bucket_policy.p";
    assert_eq!(output.value(policy, "bucket"), json!("logs-1"));
    assert_eq!(
        output.unknown_reason(policy, "arn"),
        "computed by the provider: module.m[0].aws_s3_bucket.this.arn"
    );
    assert_eq!(output.value(policy, "names"), json!(["logs-0", "logs-1"]));
    assert_eq!(
        output.edges(policy),
        [
            "bucket -> module.m[1].aws_s3_bucket.this",
            "arn -> module.m[0].aws_s3_bucket.this",
            "names -> module.m[0].aws_s3_bucket.this",
            "names -> module.m[1].aws_s3_bucket.this"
        ]
    );
}

#[test]
fn nested_modules_with_for_each() {
    let fixture = Fixture::new(&[
        (
            "main.tf",
            r#"
module "team" {
  source   = "./modules/team"
  for_each = { red = "r", blue = "b" }
  prefix   = each.value
}
resource "aws_s3_bucket_policy" "p" {
  bucket = module.team["red"].bucket_name
  all    = module.team
}
"#,
        ),
        (
            "modules/team/main.tf",
            r#"
variable "prefix" {}
locals {
  name = "${var.prefix}-team"
}
module "bucket" {
  source = "../bucket"
  name   = local.name
}
output "bucket_name" {
  value = module.bucket.name
}
"#,
        ),
        ("modules/bucket/main.tf", BUCKET_MODULE),
    ]);
    let output = fixture.load();
    output.assert_no_errors();
    let address = "module.team[\"red\"].module.bucket.aws_s3_bucket.this";
    assert_eq!(output.value(address, "bucket"), json!("r-team"));
    assert_eq!(
        output.value(
            "module.team[\"blue\"].module.bucket.aws_s3_bucket_versioning.this",
            "path"
        ),
        json!("modules/bucket")
    );
    assert_eq!(
        output.value("aws_s3_bucket_policy.p", "bucket"),
        json!("r-team")
    );
    assert_eq!(
        output.value("aws_s3_bucket_policy.p", "all"),
        json!({ "blue": { "bucket_name": "b-team" }, "red": { "bucket_name": "r-team" } })
    );
    assert_eq!(
        output.edges("aws_s3_bucket_policy.p")[0],
        format!("bucket -> {address}")
    );
}

#[test]
fn module_with_unknown_count() {
    let fixture = Fixture::new(&[
        (
            "main.tf",
            "variable \"n\" {}\nmodule \"m\" {\n  source = \"./modules/bucket\"\n  count  = var.n\n  name   = \"x-${count.index}\"\n}\n",
        ),
        ("modules/bucket/main.tf", BUCKET_MODULE),
    ]);
    let output = fixture.load();
    output.assert_no_errors();
    let bucket = output.resource("module.m[*].aws_s3_bucket.this");
    let reason = &bucket
        .instances_unknown
        .as_ref()
        .expect("instances unknown")
        .reason;
    assert!(reason.contains("count of module.m"), "{reason}");
    assert!(
        output
            .unknown_reason("module.m[*].aws_s3_bucket.this", "bucket")
            .contains("\"n\"")
    );
}

#[test]
fn downloaded_remote_module() {
    let manifest = r#"{"Modules":[
        {"Key":"","Source":"","Dir":"."},
        {"Key":"logs","Source":"registry.terraform.io/example/bucket/aws","Version":"1.0.0","Dir":".terraform/modules/logs"},
        {"Key":"logs.inner","Source":"registry.terraform.io/example/inner/aws","Version":"2.0.0","Dir":".terraform/modules/logs.inner"}
    ]}"#;
    let fixture = Fixture::new(&[
        (
            "main.tf",
            r#"
module "logs" {
  source  = "example/bucket/aws"
  version = "1.0.0"
  name    = "central-logs"
}
resource "aws_s3_bucket_policy" "p" {
  bucket = module.logs.name
}
"#,
        ),
        (".terraform/modules/modules.json", manifest),
        (
            ".terraform/modules/logs/main.tf",
            "variable \"name\" {}\nmodule \"inner\" {\n  source = \"example/inner/aws\"\n  name   = var.name\n}\noutput \"name\" {\n  value = module.inner.name\n}\n",
        ),
        (".terraform/modules/logs.inner/main.tf", BUCKET_MODULE),
    ]);
    let output = fixture.load();
    output.assert_no_errors();
    assert!(
        output.loaded.diagnostics.is_empty(),
        "{:#?}",
        output.loaded.diagnostics
    );
    let address = "module.logs.module.inner.aws_s3_bucket.this";
    assert_eq!(output.value(address, "bucket"), json!("central-logs"));
    assert_eq!(
        output.value(
            "module.logs.module.inner.aws_s3_bucket_versioning.this",
            "path"
        ),
        json!(".terraform/modules/logs.inner")
    );
    assert_eq!(
        output.value("aws_s3_bucket_policy.p", "bucket"),
        json!("central-logs")
    );
    assert_eq!(
        output.edges("aws_s3_bucket_policy.p"),
        [format!("bucket -> {address}")]
    );
}

#[test]
fn missing_remote_module() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
module "logs" {
  source = "terraform-aws-modules/s3-bucket/aws"
  count  = 3
  bucket = "central-logs"
}
resource "aws_s3_bucket_policy" "p" {
  bucket = module.logs[0].s3_bucket_id
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    let diagnostics = &output.loaded.diagnostics;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic.level, DiagnosticLevel::Unknown);
    assert_eq!(diagnostic.subject.as_deref(), Some("module.logs"));
    assert!(diagnostic.path.ends_with("main.tf"));
    let call = output.text(diagnostic.span.expect("span"));
    assert!(
        call.starts_with("module \"logs\" {") && call.ends_with('}'),
        "{call}"
    );
    assert!(
        diagnostic
            .message
            .contains("terraform-aws-modules/s3-bucket/aws"),
        "{}",
        diagnostic.message
    );
    assert!(
        diagnostic.message.contains("run `terraform init`"),
        "{}",
        diagnostic.message
    );
    let reason = output.unknown_reason("aws_s3_bucket_policy.p", "bucket");
    assert!(reason.contains("terraform init"), "{reason}");
    assert_eq!(output.addresses(), ["aws_s3_bucket_policy.p"]);
}

#[test]
fn self_calling_module() {
    let fixture = Fixture::new(&[
        (
            "main.tf",
            "module \"loop\" {\n  source = \"./modules/loop\"\n}\n",
        ),
        (
            "modules/loop/main.tf",
            "module \"again\" {\n  source = \"../loop\"\n}\nresource \"aws_s3_bucket\" \"b\" {}\n",
        ),
    ]);
    let output = fixture.load();
    let errors = output.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].message.contains("module.loop.module.again"),
        "{}",
        errors[0].message
    );
    assert!(errors[0].path.ends_with("modules/loop/main.tf"));
    assert_eq!(output.addresses(), ["module.loop.aws_s3_bucket.b"]);
}

#[test]
fn missing_local_module() {
    let fixture = Fixture::new(&[(
        "main.tf",
        "module \"gone\" {\n  source = \"./modules/gone\"\n}\nresource \"test\" \"t\" {\n  v = module.gone.x\n}\n",
    )]);
    let output = fixture.load();
    let errors = output.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].message.contains("does not exist"),
        "{}",
        errors[0].message
    );
    assert!(
        output
            .unknown_reason("test.t", "v")
            .contains("does not exist")
    );
}

#[test]
fn module_instance_limit() {
    let fixture = Fixture::new(&[
        (
            "main.tf",
            "module \"a\" {\n  source = \"./a\"\n  count  = 1000\n}\n",
        ),
        (
            "a/main.tf",
            "module \"b\" {\n  source = \"../b\"\n  count  = 1000\n}\n",
        ),
        (
            "b/main.tf",
            "resource \"aws_s3_bucket\" \"this\" {\n  count = 1000\n}\n",
        ),
    ]);
    let output = fixture.load();
    let errors = output.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].message.contains("100000"),
        "{}",
        errors[0].message
    );
    assert!(output.loaded.resources.len() <= terraform::MAX_INSTANCES + 1_000);
}

#[test]
fn find_roots_skips_called_modules() {
    let fixture = Fixture::new(&[
        (
            "live/main.tf",
            "module \"b\" {\n  source = \"../modules/bucket\"\n}\n",
        ),
        (
            "live/json/main.tf.json",
            r#"{"module": {"n": {"source": "../../modules/network"}}}"#,
        ),
        (
            "modules/bucket/main.tf",
            "resource \"aws_s3_bucket\" \"b\" {}\n",
        ),
        ("modules/network/main.tf", "resource \"aws_vpc\" \"v\" {}\n"),
        ("other/main.tf", "module \"self\" {\n  source = \"./\"\n}\n"),
    ]);
    let dir = |name: &str| fixture.path().join(name);
    let dirs = vec![
        dir("live"),
        dir("live/json"),
        dir("modules/bucket"),
        dir("modules/network"),
        dir("other"),
    ];
    let roots = terraform::find_roots(&dirs);
    assert_eq!(roots, vec![dir("live"), dir("live/json"), dir("other")]);
}

/// Returns `path` relative to the working directory of the test.
fn relative_to_cwd(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().expect("working directory");
    let mut relative = PathBuf::new();
    for _ in cwd.components().skip(1) {
        relative.push("..");
    }
    relative.join(path.strip_prefix("/").expect("absolute path"))
}

#[test]
fn relative_root_paths() {
    let fixture = Fixture::new(&[
        (
            "main.tf",
            "module \"m\" {\n  source = \"./modules/bucket\"\n  name = \"n\"\n}\n",
        ),
        ("modules/bucket/main.tf", BUCKET_MODULE),
    ]);
    let root = relative_to_cwd(fixture.path());
    let sources = SourceMap::new();
    let files = vec![root.join("main.tf")];
    let loaded = terraform::load_root(&root, &files, &Options::default(), &sources);
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let versioning = loaded
        .resources
        .iter()
        .find(|resource| resource.address == "module.m.aws_s3_bucket_versioning.this")
        .expect("module resource");
    assert_eq!(versioning.group, root.display().to_string());
    let file = sources.get(versioning.span.file).expect("file");
    assert_eq!(file.path, root.join("modules/bucket/main.tf"));
    let path = versioning.body.get("path").and_then(Node::as_str);
    assert_eq!(path, Some("modules/bucket"));
}

// ---------------------------------------------------------------------------------------
// Robustness

const SEED_CONFIG: &str = r#"
variable "names" {
  default = ["a", "b"]
}
locals {
  tags = { for n in var.names : n => "${n}-tag" }
}
resource "aws_s3_bucket" "b" {
  for_each = toset(var.names)
  bucket   = "${each.key}-${local.tags[each.key]}"
  dynamic "rule" {
    for_each = var.names
    content {
      id = rule.value
    }
  }
}
module "m" {
  source = "./modules/m"
  count  = length(var.names)
  arn    = aws_s3_bucket.b["a"].arn
}
output "o" {
  value = [for k, v in aws_s3_bucket.b : v.bucket if k != "b"]
}
"#;

const SEED_JSON: &str = r#"{"variable": {"x": {"default": [1, {"a": "b"}]}},
 "resource": {"aws_s3_bucket": {"j": {"bucket": "${var.x[1].a}", "versioning": {"enabled": true}}}}}"#;

const SEED_MODULE: &str = "variable \"arn\" {}\nresource \"aws_kms_key\" \"k\" {\n  policy = var.arn\n}\noutput \"o\" {\n  value = aws_kms_key.k.arn\n}\n";

/// Loads a root whose files are `main` (as `main.tf`) and `json` (as `extra.tf.json`),
/// and fails if the loader stopped on an internal error.
fn load_without_crash(main: &str, json: &str) {
    let fixture = Fixture::new(&[
        ("main.tf", main),
        ("extra.tf.json", json),
        ("modules/m/main.tf", SEED_MODULE),
    ]);
    let output = fixture.load();
    let crashed = output
        .loaded
        .diagnostics
        .iter()
        .any(|diagnostic| diagnostic.message.contains("internal error"));
    assert!(!crashed, "{:#?}", output.loaded.diagnostics);
    assert!(
        output
            .loaded
            .resources
            .iter()
            .any(|resource| resource.kind == TERRAFORM_ROOT_KIND)
    );
}

/// Applies edits to `text`: each edit replaces the characters at a position (taken
/// modulo the length) by a fragment.
fn mutate(text: &str, edits: &[(usize, usize, &str)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (position, removed, fragment) in edits {
        let start = position % (chars.len() + 1);
        let end = (start + removed).min(chars.len());
        chars.splice(start..end, fragment.chars());
    }
    chars.into_iter().collect()
}

const FRAGMENTS: &[&str] = &[
    "",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "${",
    "%{",
    "~}",
    "\n",
    "=",
    ".",
    "*",
    "[*]",
    "local.tags",
    "var.names",
    "each.value",
    "count.index",
    "module.m",
    "aws_s3_bucket.b",
    "self",
    "?",
    ":",
    "=>",
    "...",
    "for x in",
    "if",
    "<<EOT\n",
    "EOT\n",
    "-",
    "!",
    "null",
    "1e308",
    "\\",
    "#",
    "/*",
    "\u{e9}",
    ",",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    #[test]
    fn mutated_input_never_crashes(
        edits in proptest::collection::vec((0usize..2_000, 0usize..8, 0usize..FRAGMENTS.len()), 1..6),
        json_edits in proptest::collection::vec((0usize..400, 0usize..4, 0usize..FRAGMENTS.len()), 0..3),
    ) {
        let edits: Vec<(usize, usize, &str)> =
            edits.iter().map(|(at, removed, fragment)| (*at, *removed, FRAGMENTS[*fragment])).collect();
        let json_edits: Vec<(usize, usize, &str)> =
            json_edits.iter().map(|(at, removed, fragment)| (*at, *removed, FRAGMENTS[*fragment])).collect();
        load_without_crash(&mutate(SEED_CONFIG, &edits), &mutate(SEED_JSON, &json_edits));
    }
}

#[test]
fn seed_config_loads() {
    let fixture = Fixture::new(&[
        ("main.tf", SEED_CONFIG),
        ("extra.tf.json", SEED_JSON),
        ("modules/m/main.tf", SEED_MODULE),
    ]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.value("aws_s3_bucket.b[\"a\"]", "bucket"),
        json!("a-a-tag")
    );
    assert_eq!(
        output.value("aws_s3_bucket.b[\"b\"]", "rule.1.id"),
        json!("b")
    );
    assert_eq!(
        output.edges("module.m[1].aws_kms_key.k"),
        ["policy -> aws_s3_bucket.b[\"a\"]"]
    );
    assert_eq!(
        output.value("aws_s3_bucket.j", "versioning.0.enabled"),
        json!(true)
    );
    assert_eq!(output.value("aws_s3_bucket.j", "bucket"), json!("b"));
}

#[test]
fn windows_line_endings() {
    let fixture = Fixture::new(&[(
        "main.tf",
        "resource \"aws_kms_key\" \"k\" {\r\n  description = <<-EOT\r\n    key\r\n  EOT\r\n  enable_key_rotation = true\r\n}\r\n",
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.value("aws_kms_key.k", "enable_key_rotation"),
        json!(true)
    );
}

/// Writes a configuration of about 20 000 resources: a root with locals and split S3
/// resources, and a module called 100 times.
fn large_configuration() -> Fixture {
    let mut root = String::from(
        "variable \"env\" {\n  default = \"prod\"\n}\nlocals {\n  tags = { env = var.env, team = \"ledger\" }\n  prefix = \"nexafi-${var.env}\"\n}\n",
    );
    for index in 0..2_000 {
        root.push_str(&format!(
            r#"
resource "aws_s3_bucket" "b{index}" {{
  bucket = "${{local.prefix}}-{index}"
  tags   = merge(local.tags, {{ index = "{index}" }})
}}
resource "aws_s3_bucket_versioning" "v{index}" {{
  bucket = aws_s3_bucket.b{index}.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}
"#
        ));
    }
    root.push_str(
        "module \"team\" {\n  source   = \"./modules/team\"\n  for_each = { for i in range(100) : \"t${i}\" => i }\n  name     = each.key\n  tags     = local.tags\n}\n",
    );
    let mut module = String::from("variable \"name\" {}\nvariable \"tags\" {}\n");
    for index in 0..80 {
        module.push_str(&format!(
            r#"
resource "aws_kms_key" "k{index}" {{
  description         = "${{var.name}}-{index}"
  enable_key_rotation = true
  tags                = var.tags
}}
resource "aws_kms_alias" "a{index}" {{
  name          = "alias/${{var.name}}-{index}"
  target_key_id = aws_kms_key.k{index}.key_id
}}
"#
        ));
    }
    Fixture::new(&[("main.tf", &root), ("modules/team/main.tf", &module)])
}

/// Prints the time to load [`large_configuration`]; run it with
/// `cargo test --release -p nexafi-iac --test terraform -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn large_configuration_timing() {
    let fixture = large_configuration();
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let output = fixture.load();
        let elapsed = started.elapsed();
        output.assert_no_errors();
        println!(
            "{} resources loaded in {:.1} ms",
            output.loaded.resources.len(),
            elapsed.as_secs_f64() * 1000.0
        );
    }
}

/// Found by fuzzing: hcl-edit reported an offset inside a two-byte character, and slicing
/// the text there panicked.
#[test]
fn parse_error_inside_multibyte_character() {
    let fixture = Fixture::new(&[("main.tf", "A\t\t\u{221}")]);
    let output = fixture.load();
    let errors = output.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let span = errors[0].span.expect("span");
    assert_eq!(
        span.start, 3,
        "the span starts at the character's first byte"
    );
    assert_eq!(span.end, 5);
}

/// A split resource expanded over a resource collection must point at its own instance
/// only. An edge to the whole collection would let one instance's settings count for all.
#[test]
fn for_each_over_resource_narrows_edges() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
resource "aws_s3_bucket" "set" {
  for_each = toset(["one", "two"])
  bucket   = "b-${each.key}"
}
resource "aws_s3_bucket_public_access_block" "by_value" {
  for_each          = aws_s3_bucket.set
  bucket            = each.value.id
  block_public_acls = each.key == "one"
}
resource "aws_s3_bucket_versioning" "by_key" {
  for_each = aws_s3_bucket.set
  bucket   = aws_s3_bucket.set[each.key].id
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.edges("aws_s3_bucket_public_access_block.by_value[\"two\"]"),
        vec![
            "bucket -> aws_s3_bucket.set[\"two\"]".to_owned(),
            "block_public_acls -> aws_s3_bucket.set[\"two\"]".to_owned()
        ]
    );
    assert_eq!(
        output.edges("aws_s3_bucket_versioning.by_key[\"one\"]"),
        vec!["bucket -> aws_s3_bucket.set[\"one\"]".to_owned()]
    );
}

#[test]
fn count_over_resource_narrows_edges() {
    let fixture = Fixture::new(&[(
        "main.tf",
        r#"
resource "aws_s3_bucket" "c" {
  count  = 2
  bucket = "c-${count.index}"
}
resource "aws_s3_bucket_versioning" "c" {
  count  = length(aws_s3_bucket.c)
  bucket = aws_s3_bucket.c[count.index].id
}
"#,
    )]);
    let output = fixture.load();
    output.assert_no_errors();
    assert_eq!(
        output.edges("aws_s3_bucket_versioning.c[1]"),
        vec!["bucket -> aws_s3_bucket.c[1]".to_owned()]
    );
}

#[test]
fn invalid_count_is_error() {
    for count in ["-1", "1.5", "\"many\""] {
        let text = format!("resource \"aws_s3_bucket\" \"b\" {{\n  count = {count}\n}}\n");
        let fixture = Fixture::new(&[("main.tf", text.as_str())]);
        let output = fixture.load();
        let errors = output.errors();
        assert_eq!(errors.len(), 1, "count = {count}: {errors:#?}");
        assert!(
            errors[0].message.contains("the count of"),
            "{}",
            errors[0].message
        );
    }
}
