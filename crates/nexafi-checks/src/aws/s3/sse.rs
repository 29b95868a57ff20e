//! Default encryption rules of a bucket, from the inline
//! `server_side_encryption_configuration` block and from
//! `aws_s3_bucket_server_side_encryption_configuration` resources.

use nexafi_model::{Model, Node, Resource, Span};

use crate::aws::s3::bucket::{Origin, split_resources};
use crate::aws::support::{BlockItem, block_items};

pub(crate) const SPLIT_KIND: &str = "aws_s3_bucket_server_side_encryption_configuration";

/// One place that sets, or fails to set, default encryption.
pub(crate) enum SseRule<'a> {
    /// An `apply_server_side_encryption_by_default` block; `path` leads to it.
    Default {
        origin: Origin<'a>,
        path: String,
        block: &'a Node,
    },
    /// A configuration or rule without `apply_server_side_encryption_by_default`.
    Empty {
        origin: Origin<'a>,
        path: String,
        span: Span,
    },
    /// A `dynamic` block that could not be expanded offline.
    Unknown {
        origin: Origin<'a>,
        path: String,
        reason: String,
        span: Span,
    },
}

/// The default encryption rules of a bucket, and the split resources that may hold more.
pub(crate) struct SseRules<'a> {
    pub rules: Vec<SseRule<'a>>,
    pub undetermined: Vec<(&'a Resource, String)>,
}

/// Collects the default encryption rules of `bucket` from its inline block and from the
/// split resources that name it.
pub(crate) fn sse_rules<'a>(model: &'a Model, bucket: &'a Resource) -> SseRules<'a> {
    let mut rules = Vec::new();
    let inline = Origin::inline(bucket);
    let configuration = "server_side_encryption_configuration";
    for (index, item) in block_items(&bucket.body, configuration)
        .into_iter()
        .enumerate()
    {
        let path = format!("{configuration}.{index}");
        match item {
            BlockItem::Known(block) => {
                collect_rules(inline, block, &format!("{path}."), &mut rules)
            }
            BlockItem::Unknown(unknown, span) => rules.push(SseRule::Unknown {
                origin: inline,
                path,
                reason: unknown.reason.clone(),
                span,
            }),
        }
    }

    let split = split_resources(model, bucket, SPLIT_KIND);
    for resource in split.matched {
        collect_rules(Origin::split(resource), &resource.body, "", &mut rules);
    }
    SseRules {
        rules,
        undetermined: split.undetermined,
    }
}

/// Adds the rules of one configuration (`prefix` leads to it) to `rules`.
fn collect_rules<'a>(
    origin: Origin<'a>,
    configuration: &'a Node,
    prefix: &str,
    rules: &mut Vec<SseRule<'a>>,
) {
    let items = block_items(configuration, "rule");
    if items.is_empty() {
        rules.push(SseRule::Empty {
            origin,
            path: format!("{prefix}rule"),
            span: configuration.span,
        });
    }
    for (index, item) in items.into_iter().enumerate() {
        let rule_path = format!("{prefix}rule.{index}");
        let rule = match item {
            BlockItem::Known(rule) => rule,
            BlockItem::Unknown(unknown, span) => {
                rules.push(SseRule::Unknown {
                    origin,
                    path: rule_path,
                    reason: unknown.reason.clone(),
                    span,
                });
                continue;
            }
        };
        let by_default = "apply_server_side_encryption_by_default";
        let defaults = block_items(rule, by_default);
        if defaults.is_empty() {
            rules.push(SseRule::Empty {
                origin,
                path: format!("{rule_path}.{by_default}"),
                span: rule.span,
            });
        }
        for (position, default) in defaults.into_iter().enumerate() {
            let path = format!("{rule_path}.{by_default}.{position}");
            rules.push(match default {
                BlockItem::Known(block) => SseRule::Default {
                    origin,
                    path,
                    block,
                },
                BlockItem::Unknown(unknown, span) => SseRule::Unknown {
                    origin,
                    path,
                    reason: unknown.reason.clone(),
                    span,
                },
            });
        }
    }
}

/// Server-side encryption algorithms S3 accepts as a bucket default.
pub(crate) const SSE_ALGORITHMS: &[&str] = &["AES256", "aws:kms", "aws:kms:dsse"];
