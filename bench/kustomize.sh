#!/usr/bin/env bash
# Measure `nexafi validate` on a tree of Kustomize overlays.
#
# Usage: bench/kustomize.sh [OVERLAYS] [REPEAT]
#
#   OVERLAYS  number of overlays to generate (default 200). Each has its own base with a
#             Deployment, a Service and a ConfigMap generator, and all of them include one
#             shared component.
#   REPEAT    runs to time; the median is printed (default 5)
#
# The tree is written to bench/work/kustomize (git-ignored). nexafi is built in release
# mode first. The script prints the overlay count, the objects built and the median wall
# time of one scan in seconds.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TREE="$ROOT/bench/work/kustomize"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
NEXAFI="$TARGET_DIR/release/nexafi"
overlays="${1:-200}"
repeat="${2:-5}"

cargo build --release --locked -p nexafi --manifest-path "$ROOT/Cargo.toml" >&2

rm -rf "$TREE"
mkdir -p "$TREE/components/hardening"
cat >"$TREE/components/hardening/kustomization.yaml" <<'EOF'
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - target:
      kind: Deployment
    patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: any
      spec:
        template:
          spec:
            containers:
              - name: app
                securityContext:
                  allowPrivilegeEscalation: false
                  readOnlyRootFilesystem: true
EOF

for index in $(seq 1 "$overlays"); do
    base="$TREE/bases/app-$index"
    overlay="$TREE/overlays/app-$index"
    mkdir -p "$base" "$overlay"
    cat >"$base/kustomization.yaml" <<EOF
resources: [deployment.yaml, service.yaml]
configMapGenerator:
  - name: settings
    literals: [LOG_LEVEL=info, INDEX=$index]
EOF
    cat >"$base/deployment.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-$index
  labels: {app: app-$index}
spec:
  selector:
    matchLabels: {app: app-$index}
  template:
    metadata:
      labels: {app: app-$index}
    spec:
      containers:
        - name: app
          image: registry.example.invalid/app:1.0.$index
          envFrom:
            - configMapRef: {name: settings}
          resources:
            limits: {cpu: 500m, memory: 256Mi}
EOF
    cat >"$base/service.yaml" <<EOF
apiVersion: v1
kind: Service
metadata:
  name: app-$index
spec:
  selector: {app: app-$index}
  ports:
    - port: 80
      targetPort: 8080
EOF
    cat >"$overlay/kustomization.yaml" <<EOF
resources: [../../bases/app-$index]
components: [../../components/hardening]
namespace: team-$index
namePrefix: prod-
labels:
  - pairs: {env: prod}
    includeSelectors: true
images:
  - name: registry.example.invalid/app
    newTag: "2.0.$index"
replicas:
  - name: app-$index
    count: 3
EOF
done

times=()
for _ in $(seq 1 "$repeat"); do
    start=$(date +%s.%N)
    # Exit status 1 means findings, which is expected here.
    "$NEXAFI" validate --format json --output "$ROOT/bench/work/kustomize.json" "$TREE" || [[ $? -eq 1 ]]
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc)")
done

median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ values[NR] = $1 } END { print values[int((NR + 1) / 2)] }')
resources=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["inputs"]["resources"])' "$ROOT/bench/work/kustomize.json")
echo "overlays: $overlays"
echo "objects built: $resources"
echo "median wall time of one scan: ${median} s (of $repeat runs)"
