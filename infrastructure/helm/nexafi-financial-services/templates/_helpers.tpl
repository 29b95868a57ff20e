{{/*
Chart name, cut to 63 characters because label values and DNS names allow no more.
*/}}
{{- define "nexafi.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Release-qualified name, the prefix of every object. The release name alone is used when
it already contains the chart name.
*/}}
{{- define "nexafi.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of one service's objects: the release prefix and the service's component name.
Call with (dict "root" $ "service" $service).
*/}}
{{- define "nexafi.serviceName" -}}
{{- printf "%s-%s" (include "nexafi.fullname" .root) .service.component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "nexafi.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every object carries.
*/}}
{{- define "nexafi.labels" -}}
helm.sh/chart: {{ include "nexafi.chart" . }}
{{ include "nexafi.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: nexafi
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the release's pods. They must not change after install, because a
Deployment's selector is immutable.
*/}}
{{- define "nexafi.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nexafi.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of one service's objects. Call with (dict "root" $ "service" $service).
*/}}
{{- define "nexafi.serviceLabels" -}}
{{ include "nexafi.labels" .root }}
app.kubernetes.io/component: {{ .service.component }}
{{- end }}

{{/*
Selector of one service's pods. Call with (dict "root" $ "service" $service).
*/}}
{{- define "nexafi.serviceSelectorLabels" -}}
{{ include "nexafi.selectorLabels" .root }}
app.kubernetes.io/component: {{ .service.component }}
{{- end }}

{{- define "nexafi.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "nexafi.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false: name an existing ServiceAccount" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference of one service: registry/repository:tag@digest. The registry, the
repository and the digest have no default because only the build pipeline knows them, so
rendering stops with an error instead of producing a pod that pulls an unpinned image.
Call with (dict "root" $ "key" $key "service" $service).
*/}}
{{- define "nexafi.image" -}}
{{- $image := .service.image }}
{{- $prefix := printf "services.%s.image" .key }}
{{- $registry := required (printf "%s.registry is required: set the ECR registry host, for example <account id>.dkr.ecr.eu-west-1.amazonaws.com" $prefix) $image.registry }}
{{- $repository := required (printf "%s.repository is required: set the ECR repository of the service's image" $prefix) $image.repository }}
{{- $digest := required (printf "%s.digest is required: set the sha256 digest printed by the image build, so the pod runs the image that was scanned" $prefix) $image.digest }}
{{- printf "%s/%s:%s@%s" $registry $repository (default .root.Chart.AppVersion $image.tag) $digest }}
{{- end }}

{{/*
Image reference of the chart test. Call with the chart root.
*/}}
{{- define "nexafi.testImage" -}}
{{- $image := .Values.tests.image }}
{{- printf "%s/%s:%s@%s" $image.registry $image.repository $image.tag $image.digest }}
{{- end }}

{{/*
Pod security context shared by every pod of the chart. It is not a value, so no release
can weaken it: the Restricted Pod Security Standard must admit every pod.
*/}}
{{- define "nexafi.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "nexafi.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Scheduling onto the financial node group: its taint is tolerated and its label is
required, so the pods run nowhere else. The label and the taint are created by the EKS
managed node group `financial`.
*/}}
{{- define "nexafi.financialTolerations" -}}
- key: nexafi.io/workload
  operator: Equal
  value: financial
  effect: NoSchedule
{{- end }}

{{- define "nexafi.financialNodeAffinity" -}}
requiredDuringSchedulingIgnoredDuringExecution:
  nodeSelectorTerms:
    - matchExpressions:
        - key: nexafi.io/workload
          operator: In
          values:
            - financial
{{- end }}

{{/*
Rejects service settings that the schema cannot compare with each other. Renders
nothing. Call with (dict "root" $ "service" $service).
*/}}
{{- define "nexafi.validateService" -}}
{{- $s := .service }}
{{- $where := printf "services entry with component %q" $s.component }}
{{- $floor := $s.replicas }}
{{- if $s.autoscaling.enabled }}
{{- $floor = $s.autoscaling.minReplicas }}
{{- if lt (int $s.autoscaling.maxReplicas) (int $s.autoscaling.minReplicas) }}
{{- fail (printf "%s: autoscaling.maxReplicas (%v) is below autoscaling.minReplicas (%v); raise maxReplicas" $where $s.autoscaling.maxReplicas $s.autoscaling.minReplicas) }}
{{- end }}
{{- end }}
{{- if ge (int $s.minAvailable) (int $floor) }}
{{- fail (printf "%s: minAvailable (%v) must be below the lowest replica count (%v), or no node can ever be drained; lower minAvailable or add replicas" $where $s.minAvailable $floor) }}
{{- end }}
{{- if ge (int $s.preStopSleepSeconds) (int $s.terminationGracePeriodSeconds) }}
{{- fail (printf "%s: preStopSleepSeconds (%v) must be below terminationGracePeriodSeconds (%v), or the pod is killed before it can drain" $where $s.preStopSleepSeconds $s.terminationGracePeriodSeconds) }}
{{- end }}
{{- $root := .root }}
{{- if and $root.Values.certificate.create (ge (int (trimSuffix "h" $root.Values.certificate.renewBefore)) (int (trimSuffix "h" $root.Values.certificate.duration))) }}
{{- fail (printf "certificate.renewBefore (%s) must be shorter than certificate.duration (%s)" $root.Values.certificate.renewBefore $root.Values.certificate.duration) }}
{{- end }}
{{- if ne (toString $s.resources.limits.memory) (toString $s.resources.requests.memory) }}
{{- fail (printf "%s: resources.limits.memory (%v) must equal resources.requests.memory (%v), so a pod never uses memory the scheduler did not reserve" $where $s.resources.limits.memory $s.resources.requests.memory) }}
{{- end }}
{{- end }}
