//! Settings of an S3 bucket, wherever Terraform code puts them: inline blocks of
//! `aws_s3_bucket` (AWS provider v3 style) or split resources such as
//! `aws_s3_bucket_versioning` that name the bucket (v4 style).

use nexafi_model::{Evaluation, Lookup, Model, Reference, Resource, strip_instance_key};

use crate::aws::support::path_without_indexes;

pub(crate) const BUCKET_KIND: &str = "aws_s3_bucket";

/// The split resources of one kind that configure a bucket.
pub(crate) struct SplitResources<'a> {
    /// Resources that name the bucket, by reference or by its literal name.
    pub matched: Vec<&'a Resource>,
    /// Resources whose `bucket` cannot be resolved offline, so they may configure this
    /// bucket, with the reason.
    pub undetermined: Vec<(&'a Resource, String)>,
}

/// Finds the resources of `kind` in the bucket's root module whose `bucket` attribute
/// names `bucket`.
///
/// A resource matches through its reference edge on `bucket` (`aws_s3_bucket.b.id`), or,
/// without such an edge, when its literal `bucket` equals the bucket's own `bucket`
/// attribute. A resource whose `bucket` is unknown, or whose literal name cannot be
/// compared because the bucket's name is unknown, is undetermined.
pub(crate) fn split_resources<'a>(
    model: &'a Model,
    bucket: &'a Resource,
    kind: &'a str,
) -> SplitResources<'a> {
    split_resources_by(model, bucket, kind, "bucket")
}

/// Like [`split_resources`], for an attribute other than `bucket`, such as the
/// `target_bucket` of `aws_s3_bucket_logging`.
pub(crate) fn split_resources_by<'a>(
    model: &'a Model,
    bucket: &'a Resource,
    kind: &'a str,
    attribute: &str,
) -> SplitResources<'a> {
    let mut found = SplitResources {
        matched: Vec::new(),
        undetermined: Vec::new(),
    };
    for candidate in model.in_group(bucket, kind) {
        match names_bucket(candidate, attribute, bucket) {
            Naming::Yes => found.matched.push(candidate),
            Naming::No => {}
            Naming::Undetermined(reason) => found.undetermined.push((candidate, reason)),
        }
    }
    found
}

pub(crate) enum Naming {
    Yes,
    No,
    Undetermined(String),
}

/// Decides whether the attribute `attribute` of `candidate` names `bucket`.
pub(crate) fn names_bucket(candidate: &Resource, attribute: &str, bucket: &Resource) -> Naming {
    let expected_path = path_without_indexes(attribute);
    let bucket_edges: Vec<&Reference> = candidate
        .references
        .iter()
        .filter(|reference| {
            path_without_indexes(&reference.attribute) == expected_path
                && address_kind(&reference.target) == Some(BUCKET_KIND)
        })
        .collect();
    if !bucket_edges.is_empty() {
        return if bucket_edges
            .iter()
            .any(|reference| bucket.is_target_of(reference))
        {
            Naming::Yes
        } else {
            Naming::No
        };
    }

    match candidate.body.lookup(attribute) {
        Lookup::Missing => Naming::No,
        Lookup::Unknown(unknown, _) => Naming::Undetermined(format!(
            "its `{attribute}` cannot be known offline: {}",
            unknown.reason
        )),
        Lookup::Present(node) => {
            let Some(name) = node.as_str() else {
                return Naming::No;
            };
            match bucket.body.lookup("bucket") {
                Lookup::Present(own) => {
                    if own.as_str() == Some(name) {
                        Naming::Yes
                    } else {
                        Naming::No
                    }
                }
                Lookup::Unknown(unknown, _) => Naming::Undetermined(format!(
                    "it names bucket {name:?}, and the name of {} cannot be known offline: {}",
                    bucket.address, unknown.reason
                )),
                // A bucket without a name gets a generated one, which code cannot spell.
                Lookup::Missing => Naming::No,
            }
        }
    }
}

/// Returns the resource type of a Terraform address, or `None` for a data source:
/// `module.logs.aws_s3_bucket.this[0]` gives `aws_s3_bucket`.
pub(crate) fn address_kind(address: &str) -> Option<&str> {
    let segments: Vec<&str> = strip_instance_key(address).split('.').collect();
    let count = segments.len();
    if count < 2 {
        return None;
    }
    let is_data = count >= 3 && segments[count - 3] == "data";
    (!is_data).then_some(segments[count - 2])
}

/// The resource a setting was written in: the bucket itself or a split resource.
#[derive(Clone, Copy)]
pub(crate) struct Origin<'a> {
    pub resource: &'a Resource,
    pub inline: bool,
}

impl<'a> Origin<'a> {
    pub fn inline(bucket: &'a Resource) -> Self {
        Self {
            resource: bucket,
            inline: true,
        }
    }

    pub fn split(resource: &'a Resource) -> Self {
        Self {
            resource,
            inline: false,
        }
    }

    /// Describes `path` for messages, naming the split resource when there is one.
    pub fn describe(&self, path: &str) -> String {
        if self.inline {
            format!("`{path}`")
        } else {
            format!("`{path}` of {}", self.resource.address)
        }
    }
}

/// Returns the verdict for a bucket on which no configuration decided the setting: an
/// unknown naming the split resources that may configure it, or else `missing`.
pub(crate) fn undecided(
    bucket: &Resource,
    undetermined: &[(&Resource, String)],
    missing: Evaluation,
) -> Evaluation {
    if undetermined.is_empty() {
        return missing;
    }
    let candidates: Vec<String> = undetermined
        .iter()
        .map(|(resource, reason)| format!("{} ({reason})", resource.address))
        .collect();
    let span = undetermined
        .first()
        .map_or(bucket.name_span, |(resource, _)| resource.name_span);
    let mut evaluation = Evaluation::unknown(
        span,
        format!(
            "no configuration of {} decides this, and these resources may configure it: {}",
            bucket.address,
            candidates.join("; ")
        ),
    );
    evaluation.attribute = missing.attribute;
    evaluation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_kind_forms() {
        assert_eq!(address_kind("aws_s3_bucket.b"), Some("aws_s3_bucket"));
        assert_eq!(address_kind("aws_s3_bucket.b[0]"), Some("aws_s3_bucket"));
        assert_eq!(
            address_kind("module.logs[\"a\"].aws_s3_bucket.this"),
            Some("aws_s3_bucket")
        );
        assert_eq!(address_kind("data.aws_s3_bucket.existing"), None);
        assert_eq!(address_kind("root"), None);
    }
}
