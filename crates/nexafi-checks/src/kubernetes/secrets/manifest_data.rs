use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Node, Resource,
    Severity,
};

use crate::Check;
use crate::kubernetes::object;

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-SECRET-002",
        slug: "k8s-secret-data-in-manifest",
        title: "Secret objects carry no data in the manifest",
        severity: Severity::Low,
        input: InputKind::Kubernetes,
        kinds: &["Secret"],
        categories: &["secrets-management"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &[],
        references: &[
            "https://kubernetes.io/docs/concepts/configuration/secret/",
            "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
        ],
        docs: CheckDocs {
            what: "Reads `data` and `stringData` of every Secret object. A Secret fails when \
                   either holds at least one non-empty value, whatever its `type`: `Opaque` \
                   (also the default when `type` is omitted), `kubernetes.io/tls`, \
                   `kubernetes.io/dockerconfigjson` and the others are all plain text in the \
                   file, since base64 is an encoding, not encryption. The finding names the \
                   keys, never the values. A Secret with no data, or only empty values, \
                   passes: it is a placeholder that a controller or an operator fills in.",
            why: "A Secret committed with its data puts the credential in Git history, in \
                  every clone and in CI logs, where no rotation reaches it. Credentials for a \
                  regulated platform belong in a secrets manager or a vault and reach the \
                  cluster through an operator (External Secrets, the CSI driver) or as \
                  encrypted SealedSecrets. The severity is low because the Secret object \
                  itself is the normal way to deliver them; the finding is about where the \
                  value is stored.",
            fix: "Remove the data from the manifest and let an operator create the Secret from \
                  the vault:\n\n```yaml\napiVersion: external-secrets.io/v1beta1\nkind: \
                  ExternalSecret\nmetadata:\n  name: ledger-db\nspec:\n  secretStoreRef:\n    \
                  name: vault\n    kind: ClusterSecretStore\n  data:\n    - secretKey: \
                  password\n      remoteRef:\n        key: payments/ledger-db\n```\n\nThen \
                  rotate the value that was committed.",
            limitations: "Test fixtures and non-sensitive values stored in Secrets fail as \
                          well; waive them. SealedSecret and ExternalSecret objects are other \
                          kinds and are not read.",
        },
    },
    cases: include_str!("manifest_data.cases.yaml"),
    evaluate,
};

fn evaluate(resource: &Resource, _model: &Model) -> Vec<Evaluation> {
    let secret_type = match resource.body.lookup("type") {
        Lookup::Present(node) => node.as_str().unwrap_or("Opaque").to_owned(),
        _ => "Opaque".to_owned(),
    };

    let mut evaluations = Vec::new();
    for field in ["data", "stringData"] {
        match resource.body.lookup(field) {
            Lookup::Unknown(unknown, span) => {
                evaluations.push(object::unknown(field, unknown, span));
            }
            Lookup::Missing => {}
            Lookup::Present(node) => {
                let keys = keys_with_values(node);
                if !keys.is_empty() {
                    evaluations.push(
                        Evaluation::fail(
                            node.span,
                            format!(
                                "the {secret_type} Secret stores {} in `{field}` in the \
                                 manifest; keep the values in a vault and let an operator \
                                 create the Secret, then rotate them",
                                keys.join(", ")
                            ),
                        )
                        .attribute(field)
                        .expected("no data in the manifest")
                        .found(format!("{} key(s) with values", keys.len())),
                    );
                }
            }
        }
    }
    if evaluations.is_empty() {
        evaluations.push(
            Evaluation::pass(
                resource.name_span,
                format!("the {secret_type} Secret carries no data in the manifest"),
            )
            .attribute("data"),
        );
    }
    evaluations
}

/// Returns the keys of a `data` or `stringData` map whose values are not empty, each
/// in backticks. Unknown values count, because a rendered chart fills them in.
fn keys_with_values(map: &Node) -> Vec<String> {
    map.as_map()
        .map(|entries| {
            entries
                .iter()
                .filter(|(_, value)| match value.as_str() {
                    Some(text) => !text.trim().is_empty(),
                    None => !value.is_null(),
                })
                .map(|(key, _)| format!("`{key}`"))
                .collect()
        })
        .unwrap_or_default()
}
