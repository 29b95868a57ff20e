{{- define "tpl.owner" -}}
owner-{{ .Chart.Name }}
{{- end -}}
