//! The pod spec inside every workload kind, and the containers in it.
//!
//! Checks of pods call [`evaluate_pod`] or [`evaluate_containers`]. Both find the pod spec
//! of the object (`spec` of a Pod, `spec.template.spec` of a Deployment,
//! `spec.jobTemplate.spec.template.spec` of a CronJob) and turn an unknown spec or
//! container list into an `unknown` verdict. The check then gets each piece with its full
//! attribute path, so a finding reads
//! `spec.template.spec.containers.0.securityContext.privileged`.

use nexafi_model::{Evaluation, Lookup, Node, Resource, Span, Value};

use crate::kubernetes::object;

/// Every kind that carries a pod spec.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// Workload kinds whose pods run until stopped. Pods of Jobs and CronJobs run to
/// completion, so checks about serving traffic (probes) skip them.
pub const LONG_RUNNING_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
];

/// Returns the path of the pod spec in an object of `kind`, or `None` for kinds
/// without one.
pub fn spec_path(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => Some("spec.template.spec"),
        "CronJob" => Some("spec.jobTemplate.spec.template.spec"),
        _ => None,
    }
}

/// The pod spec of one workload object.
#[derive(Clone, Copy, Debug)]
pub struct PodSpec<'a> {
    pub resource: &'a Resource,
    pub node: &'a Node,
    /// Dotted path of the pod spec in the object (`spec.template.spec`).
    pub path: &'static str,
}

impl<'a> PodSpec<'a> {
    /// Returns the full attribute path of `relative`, a path inside the pod spec.
    pub fn attribute(&self, relative: &str) -> String {
        format!("{}.{relative}", self.path)
    }

    pub fn lookup(&self, relative: &str) -> Lookup<'a> {
        self.node.lookup(relative)
    }

    /// Returns true when the pod declares `os.name: windows`. Several Linux security
    /// settings cannot be set on such pods, and the API server rejects them there.
    pub fn is_windows(&self) -> bool {
        self.lookup("os.name")
            .node()
            .and_then(Node::as_str)
            .is_some_and(|name| name == "windows")
    }

    /// Returns the containers of the given lists, or the `unknown` verdicts of lists and
    /// list items that cannot be known offline.
    pub fn containers(&self, lists: &[ContainerList]) -> (Vec<Container<'a>>, Vec<Evaluation>) {
        let mut containers = Vec::new();
        let mut unknowns = Vec::new();
        for list in lists {
            let list_path = self.attribute(list.field());
            match self.lookup(list.field()) {
                Lookup::Missing => {}
                Lookup::Unknown(unknown, span) => {
                    unknowns.push(object::unknown(&list_path, unknown, span));
                }
                Lookup::Present(node) => {
                    let Some(items) = node.as_list() else {
                        continue;
                    };
                    for (index, item) in items.iter().enumerate() {
                        let path = format!("{list_path}.{index}");
                        match &item.value {
                            Value::Unknown(unknown) => {
                                unknowns.push(object::unknown(&path, unknown, item.span));
                            }
                            Value::Map(_) => containers.push(Container {
                                node: item,
                                path,
                                list: *list,
                                name: item.get("name").and_then(Node::as_str),
                            }),
                            _ => {}
                        }
                    }
                }
            }
        }
        (containers, unknowns)
    }
}

/// The three lists of containers a pod spec can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerList {
    Containers,
    InitContainers,
    EphemeralContainers,
}

impl ContainerList {
    pub fn field(self) -> &'static str {
        match self {
            ContainerList::Containers => "containers",
            ContainerList::InitContainers => "initContainers",
            ContainerList::EphemeralContainers => "ephemeralContainers",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            ContainerList::Containers => "container",
            ContainerList::InitContainers => "init container",
            ContainerList::EphemeralContainers => "ephemeral container",
        }
    }
}

/// Every container list.
pub const ALL_CONTAINERS: &[ContainerList] = &[
    ContainerList::Containers,
    ContainerList::InitContainers,
    ContainerList::EphemeralContainers,
];

/// Containers and init containers: the lists that may declare resources and ports.
/// The API server rejects both on ephemeral containers.
pub const CONTAINERS_AND_INIT: &[ContainerList] =
    &[ContainerList::Containers, ContainerList::InitContainers];

/// One container of a pod spec.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    pub node: &'a Node,
    /// Full dotted path of the container (`spec.template.spec.containers.0`).
    pub path: String,
    pub list: ContainerList,
    pub name: Option<&'a str>,
}

impl<'a> Container<'a> {
    /// Returns the full attribute path of `relative`, a path inside the container.
    pub fn attribute(&self, relative: &str) -> String {
        format!("{}.{relative}", self.path)
    }

    pub fn lookup(&self, relative: &str) -> Lookup<'a> {
        self.node.lookup(relative)
    }

    /// Returns what a finding about a missing attribute of this container points at:
    /// the container's `name`, or the whole container when it has none.
    pub fn span(&self) -> Span {
        self.node
            .get("name")
            .map_or(self.node.span, |name| name.span)
    }

    /// Names the container in messages: "container `app`", "init container #1".
    pub fn label(&self) -> String {
        match self.name {
            Some(name) => format!("{} `{name}`", self.list.noun()),
            None => {
                let index = self.path.rsplit('.').next().unwrap_or("?");
                format!("{} #{index}", self.list.noun())
            }
        }
    }

    /// Returns true for an init container with `restartPolicy: Always`: a sidecar that
    /// keeps running beside the main containers (Kubernetes 1.29 and later).
    pub fn is_sidecar(&self) -> bool {
        self.list == ContainerList::InitContainers
            && self
                .lookup("restartPolicy")
                .node()
                .and_then(Node::as_str)
                .is_some_and(|policy| policy == "Always")
    }
}

/// Source of a security setting that the pod and the container can both set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The container's `securityContext` sets it, which overrides the pod's.
    Container,
    /// Only the pod's `securityContext` sets it.
    Pod,
    /// Neither sets it.
    Unset,
}

/// The effective value of a `securityContext` field for one container.
#[derive(Clone, Debug)]
pub struct Setting<'a> {
    pub lookup: Lookup<'a>,
    /// Full path of the field that decides: the container's, the pod's, or the
    /// container's when neither is set (the place to add it).
    pub attribute: String,
    pub level: Level,
}

/// Resolves a field that both `PodSecurityContext` and `SecurityContext` contain
/// (`runAsNonRoot`, `runAsUser`, `seccompProfile.type`). The container's value wins
/// when present, as in Kubernetes. An unknown container value stays unknown rather than
/// falling back to the pod's.
pub fn security_setting<'a>(
    pod: &PodSpec<'a>,
    container: &Container<'a>,
    field: &str,
) -> Setting<'a> {
    let relative = format!("securityContext.{field}");
    let container_attribute = container.attribute(&relative);
    match container.lookup(&relative) {
        Lookup::Missing => {}
        lookup => {
            return Setting {
                lookup,
                attribute: container_attribute,
                level: Level::Container,
            };
        }
    }
    match pod.lookup(&relative) {
        Lookup::Missing => Setting {
            lookup: Lookup::Missing,
            attribute: container_attribute,
            level: Level::Unset,
        },
        lookup => Setting {
            lookup,
            attribute: pod.attribute(&relative),
            level: Level::Pod,
        },
    }
}

/// Finds the pod spec of `resource` and returns what `check` returns for it. Returns no
/// evaluation for kinds without a pod spec or an object without one, and an `unknown`
/// verdict when part of the path to the spec is unknown offline.
pub fn evaluate_pod<'a>(
    resource: &'a Resource,
    check: impl FnOnce(&PodSpec<'a>) -> Vec<Evaluation>,
) -> Vec<Evaluation> {
    let Some(path) = spec_path(&resource.kind) else {
        return Vec::new();
    };
    match resource.body.lookup(path) {
        Lookup::Missing => Vec::new(),
        Lookup::Unknown(unknown, span) => vec![object::unknown(path, unknown, span)],
        Lookup::Present(node) if node.as_map().is_some() => check(&PodSpec {
            resource,
            node,
            path,
        }),
        Lookup::Present(_) => Vec::new(),
    }
}

/// Runs `check` on every container of the given lists of `resource`'s pod spec and
/// collects the evaluations, adding an `unknown` verdict for each container list or
/// container that is unknown offline.
pub fn evaluate_containers<'a>(
    resource: &'a Resource,
    lists: &[ContainerList],
    mut check: impl FnMut(&PodSpec<'a>, &Container<'a>) -> Vec<Evaluation>,
) -> Vec<Evaluation> {
    evaluate_pod(resource, |pod| {
        let (containers, mut evaluations) = pod.containers(lists);
        for container in &containers {
            evaluations.extend(check(pod, container));
        }
        evaluations
    })
}

/// Normalizes a Linux capability name as container runtimes accept it: upper case,
/// without the `CAP_` prefix (`cap_sys_admin` and `SYS_ADMIN` are the same).
pub fn capability_name(raw: &str) -> String {
    let upper = raw.trim().to_ascii_uppercase();
    match upper.strip_prefix("CAP_") {
        Some(name) => name.to_owned(),
        None => upper,
    }
}

/// Returns the capability names of `securityContext.capabilities.add` that are known
/// strings, with their spans.
pub fn added_capabilities<'a>(container: &Container<'a>) -> Vec<(String, Span)> {
    container
        .lookup("securityContext.capabilities.add")
        .node()
        .and_then(Node::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|item| item.as_str().map(|name| (capability_name(name), item.span)))
        .collect()
}
