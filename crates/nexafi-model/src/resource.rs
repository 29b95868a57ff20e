//! Resources and the model that holds every resource of a scan.

use std::collections::HashMap;

use serde::Serialize;

use crate::source::{SourceMap, Span};
use crate::value::{Node, Unknown};

/// The kind of input a resource was loaded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Terraform,
    Kubernetes,
    Dockerfile,
    /// A live network endpoint that the user named for a probe.
    Endpoint,
    /// Any text file searched for sensitive data.
    File,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Terraform => "terraform",
            InputKind::Kubernetes => "kubernetes",
            InputKind::Dockerfile => "dockerfile",
            InputKind::Endpoint => "endpoint",
            InputKind::File => "file",
        }
    }
}

/// Resource kind of the synthetic resource that stands for a whole Terraform root module,
/// so that checks such as "GuardDuty is enabled" have something to report on.
pub const TERRAFORM_ROOT_KIND: &str = "terraform_root";

/// One resource, Kubernetes object or Dockerfile stage.
#[derive(Clone, Debug, Serialize)]
pub struct Resource {
    /// Unique within its group: `aws_s3_bucket.logs`, `module.eks.aws_eks_cluster.this[0]`,
    /// `apps/v1/Deployment/payments/ledger`, `Dockerfile/stage:runtime`.
    pub address: String,
    pub input: InputKind,
    /// `aws_s3_bucket`, `Deployment`, `DockerfileStage`, or [`TERRAFORM_ROOT_KIND`].
    pub kind: String,
    /// Resources of one Terraform root module, one Kubernetes scan or one Dockerfile share
    /// a group; addresses and references resolve within a group.
    pub group: String,
    /// The whole block, document or stage.
    pub span: Span,
    /// What to point at when the resource as a whole is at fault: a block's labels, an
    /// object's `metadata.name`, a stage's `FROM` line.
    pub name_span: Span,
    /// A map of attributes and nested blocks.
    pub body: Node,
    /// Edges to other resources of the same group, from attributes that reference them.
    pub references: Vec<Reference>,
    /// Set when `count` or `for_each` could not be expanded offline; the resource then
    /// stands for every instance, and its address ends in `[*]`.
    pub instances_unknown: Option<Unknown>,
}

/// An attribute of one resource that refers to another resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// Dotted path of the attribute in the referring resource (`bucket`, `rule.0.kms_key_id`).
    pub attribute: String,
    /// Address of the target, without an instance key when the reference had none
    /// (`aws_s3_bucket.logs` or `aws_s3_bucket.logs[0]`).
    pub target: String,
    pub span: Span,
}

impl Resource {
    /// Strips an instance key: `aws_s3_bucket.b[0]` and `aws_s3_bucket.b["x"]` become
    /// `aws_s3_bucket.b`.
    pub fn base_address(&self) -> &str {
        strip_instance_key(&self.address)
    }

    /// Returns true when `reference` points at this resource, with or without its
    /// instance key.
    pub fn is_target_of(&self, reference: &Reference) -> bool {
        reference.target == self.address
            || (!reference.target.ends_with(']') && reference.target == self.base_address())
    }
}

/// Removes a trailing `[...]` instance key from a Terraform address.
pub fn strip_instance_key(address: &str) -> &str {
    if !address.ends_with(']') {
        return address;
    }
    match address.rfind('[') {
        Some(open) if open > 0 => &address[..open],
        _ => address,
    }
}

/// Every resource of a scan, with indexes for the lookups checks make.
#[derive(Debug, Default)]
pub struct Model {
    pub sources: SourceMap,
    pub resources: Vec<Resource>,
    by_kind: HashMap<String, Vec<usize>>,
    /// (group, target base address) to the indexes of resources referring to it.
    referrers: HashMap<(String, String), Vec<usize>>,
}

impl Model {
    pub fn new(sources: SourceMap, resources: Vec<Resource>) -> Self {
        let mut model = Self {
            sources,
            resources,
            by_kind: HashMap::new(),
            referrers: HashMap::new(),
        };
        model.reindex();
        model
    }

    fn reindex(&mut self) {
        self.by_kind.clear();
        self.referrers.clear();
        for (index, resource) in self.resources.iter().enumerate() {
            self.by_kind
                .entry(resource.kind.clone())
                .or_default()
                .push(index);
            for reference in &resource.references {
                let key = (
                    resource.group.clone(),
                    strip_instance_key(&reference.target).to_owned(),
                );
                let entry = self.referrers.entry(key).or_default();
                if entry.last() != Some(&index) {
                    entry.push(index);
                }
            }
        }
    }

    /// Returns every resource of `kind`, across groups.
    pub fn by_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.by_kind
            .get(kind)
            .into_iter()
            .flatten()
            .map(|index| &self.resources[*index])
    }

    /// Returns the resources of `kind` in the same group as `near`.
    pub fn in_group<'a>(
        &'a self,
        near: &'a Resource,
        kind: &'a str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.by_kind(kind)
            .filter(move |resource| resource.group == near.group)
    }

    /// Returns the resources of `kind` that reference `target`, for example the
    /// `aws_s3_bucket_versioning` whose `bucket` attribute points at a bucket.
    pub fn referrers<'a>(
        &'a self,
        target: &'a Resource,
        kind: &'a str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        let key = (target.group.clone(), target.base_address().to_owned());
        self.referrers
            .get(&key)
            .into_iter()
            .flatten()
            .map(|index| &self.resources[*index])
            .filter(move |resource| {
                resource.kind == kind
                    && resource
                        .references
                        .iter()
                        .any(|reference| target.is_target_of(reference))
            })
    }

    /// Returns the resource at `address` in `group`.
    pub fn get(&self, group: &str, address: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|resource| resource.group == group && resource.address == address)
    }

    /// Returns the resources that `source` references through `attribute`.
    pub fn referenced<'a>(
        &'a self,
        source: &'a Resource,
        attribute: &'a str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        source
            .references
            .iter()
            .filter(move |reference| reference.attribute == attribute)
            .flat_map(move |reference| {
                self.resources.iter().filter(move |resource| {
                    resource.group == source.group && resource.is_target_of(reference)
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::value::Value;

    fn resource(kind: &str, address: &str, references: Vec<Reference>) -> Resource {
        let span = Span::new(FileId(0), 0, 0);
        Resource {
            address: address.to_owned(),
            input: InputKind::Terraform,
            kind: kind.to_owned(),
            group: "root".to_owned(),
            span,
            name_span: span,
            body: Node::new(span, Value::Map(Default::default())),
            references,
            instances_unknown: None,
        }
    }

    fn reference(target: &str) -> Reference {
        Reference {
            attribute: "bucket".to_owned(),
            target: target.to_owned(),
            span: Span::default(),
        }
    }

    #[test]
    fn strip_instance_key_forms() {
        assert_eq!(strip_instance_key("aws_s3_bucket.b[0]"), "aws_s3_bucket.b");
        assert_eq!(
            strip_instance_key("aws_s3_bucket.b[\"x\"]"),
            "aws_s3_bucket.b"
        );
        assert_eq!(strip_instance_key("aws_s3_bucket.b"), "aws_s3_bucket.b");
    }

    #[test]
    fn referrers_match_base_and_instance() {
        let model = Model::new(
            SourceMap::new(),
            vec![
                resource("aws_s3_bucket", "aws_s3_bucket.b[0]", vec![]),
                resource("aws_s3_bucket", "aws_s3_bucket.b[1]", vec![]),
                resource(
                    "aws_s3_bucket_versioning",
                    "aws_s3_bucket_versioning.v[0]",
                    vec![reference("aws_s3_bucket.b[0]")],
                ),
                resource(
                    "aws_s3_bucket_versioning",
                    "aws_s3_bucket_versioning.all",
                    vec![reference("aws_s3_bucket.b")],
                ),
            ],
        );
        let first = &model.resources[0];
        let second = &model.resources[1];
        let of_first: Vec<&str> = model
            .referrers(first, "aws_s3_bucket_versioning")
            .map(|r| r.address.as_str())
            .collect();
        let of_second: Vec<&str> = model
            .referrers(second, "aws_s3_bucket_versioning")
            .map(|r| r.address.as_str())
            .collect();
        assert_eq!(
            of_first,
            vec![
                "aws_s3_bucket_versioning.v[0]",
                "aws_s3_bucket_versioning.all"
            ]
        );
        assert_eq!(of_second, vec!["aws_s3_bucket_versioning.all"]);
    }
}
