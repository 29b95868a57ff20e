use nexafi_model::{
    CheckDocs, CheckMeta, CheckStatus, Evaluation, InputKind, Lookup, Model, Resource, Severity,
};

use crate::Check;
use crate::kubernetes::object::{self, describe};
use crate::kubernetes::pod::{self, PodSpec};

pub static CHECK: Check = Check {
    meta: CheckMeta {
        id: "NXF-K8S-RBAC-003",
        slug: "k8s-service-account-token-mounted",
        title: "Pods do not mount a service account token unless they opt in",
        severity: Severity::Medium,
        input: InputKind::Kubernetes,
        kinds: pod::WORKLOAD_KINDS,
        categories: &["k8s-rbac"],
        extra_controls: &[],
        status: CheckStatus::Stable,
        aliases: &["CKV_K8S_38"],
        references: &[
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
            "https://kubernetes.io/docs/concepts/security/service-accounts/",
        ],
        docs: CheckDocs {
            what: "Resolves whether the pod of every workload gets a service account token \
                   mounted. The pod's `automountServiceAccountToken` decides when set: false \
                   passes, true fails. When the pod omits it, the check looks for the pod's \
                   ServiceAccount (`serviceAccountName`, else `default`) in the same namespace \
                   in the scan: if that account sets `automountServiceAccountToken: false` the \
                   pod passes. Otherwise it fails, since Kubernetes mounts the token by \
                   default.",
            why: "The token in `/var/run/secrets/kubernetes.io/serviceaccount` is a credential \
                  for the Kubernetes API. Most application pods never call the API, but an \
                  attacker who gets code execution in one reads the token and uses whatever \
                  RBAC grants the account, often more than anyone remembers. Not issuing \
                  credentials that are not needed is basic least privilege.",
            fix: "Opt out on the ServiceAccount and opt in only on pods that call the API:\n\n\
                  ```yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ledger\n  \
                  namespace: payments\nautomountServiceAccountToken: false\n```\n\nor set \
                  `automountServiceAccountToken: false` in the pod spec.",
            limitations: "A ServiceAccount that exists only in the cluster is not seen, so \
                          a pod that relies on it fails until the account is in the scan or \
                          the pod opts out itself. A token mounted explicitly through a \
                          projected volume is not reported.",
        },
    },
    cases: include_str!("service_account_token.cases.yaml"),
    evaluate,
};

const FIELD: &str = "automountServiceAccountToken";

fn evaluate(resource: &Resource, model: &Model) -> Vec<Evaluation> {
    pod::evaluate_pod(resource, |pod| vec![evaluate_pod(resource, model, pod)])
}

fn evaluate_pod(resource: &Resource, model: &Model, pod: &PodSpec<'_>) -> Evaluation {
    let attribute = pod.attribute(FIELD);
    match pod.lookup(FIELD) {
        Lookup::Unknown(unknown, span) => return object::unknown(&attribute, unknown, span),
        Lookup::Present(node) => {
            return match node.as_bool() {
                Some(false) => {
                    Evaluation::pass(node.span, format!("the pod sets `{FIELD}: false`"))
                        .attribute(attribute)
                }
                Some(true) => Evaluation::fail(
                    node.span,
                    format!(
                        "the pod sets `{FIELD}: true`, so every container gets an API token; \
                         set it to false unless the application calls the Kubernetes API"
                    ),
                )
                .attribute(attribute)
                .expected("false")
                .found("true"),
                None => Evaluation::fail(
                    node.span,
                    format!(
                        "`{FIELD}` is {}, not a boolean, so the API server rejects the \
                         object; write `{FIELD}: false`",
                        describe(node)
                    ),
                )
                .attribute(attribute)
                .expected("false")
                .found(describe(node)),
            };
        }
        Lookup::Missing => {}
    }

    evaluate_account(resource, model, pod)
}

/// Returns the verdict for a pod that omits the field, so its ServiceAccount decides.
fn evaluate_account(resource: &Resource, model: &Model, pod: &PodSpec<'_>) -> Evaluation {
    let attribute = pod.attribute(FIELD);
    let account = match service_account_name(pod) {
        Ok(name) => name,
        Err(evaluation) => return evaluation,
    };
    match declared_account_setting(resource, model, account) {
        Some(Lookup::Present(node)) if node.as_bool() == Some(false) => Evaluation::pass(
            resource.name_span,
            format!("the pod inherits `{FIELD}: false` from ServiceAccount `{account}`"),
        )
        .attribute(pod.attribute("serviceAccountName")),
        Some(Lookup::Unknown(unknown, span)) => Evaluation::unknown(
            span,
            format!(
                "ServiceAccount `{account}` sets `{FIELD}` to a value that cannot be known \
                 offline: {}",
                unknown.reason
            ),
        )
        .attribute(attribute),
        Some(_) => Evaluation::fail(
            resource.name_span,
            format!(
                "neither the pod nor its ServiceAccount `{account}` sets `{FIELD}: false`, so \
                 Kubernetes mounts an API token into every container; set it on the account or \
                 the pod"
            ),
        )
        .attribute(attribute)
        .expected("false")
        .found("omitted"),
        None => Evaluation::fail(
            resource.name_span,
            format!(
                "the pod omits `{FIELD}` and its ServiceAccount `{account}` is not in the scan, \
                 so Kubernetes mounts an API token by default; set `{FIELD}: false` on the pod \
                 or declare the account with it"
            ),
        )
        .attribute(attribute)
        .expected("false")
        .found("omitted"),
    }
}

/// Returns the pod's service account: `serviceAccountName`, else the deprecated
/// `serviceAccount`, else `default`.
fn service_account_name<'a>(pod: &PodSpec<'a>) -> Result<&'a str, Evaluation> {
    for field in ["serviceAccountName", "serviceAccount"] {
        match pod.lookup(field) {
            Lookup::Unknown(unknown, span) => {
                return Err(object::unknown(&pod.attribute(field), unknown, span));
            }
            Lookup::Present(node) => {
                if let Some(name) = node.as_str().filter(|name| !name.is_empty()) {
                    return Ok(name);
                }
            }
            Lookup::Missing => {}
        }
    }
    Ok("default")
}

/// Finds the ServiceAccount `name` in the workload's namespace among the scanned objects
/// and returns its `automountServiceAccountToken`, or `None` when it is not declared.
fn declared_account_setting<'a>(
    workload: &'a Resource,
    model: &'a Model,
    name: &str,
) -> Option<Lookup<'a>> {
    let namespace = object::namespace(workload).name()?;
    model
        .in_group(workload, "ServiceAccount")
        .find(|account| {
            object::name_of_body(&account.body) == Some(name)
                && object::namespace(account).name() == Some(namespace)
        })
        .map(|account| account.body.lookup(FIELD))
}
