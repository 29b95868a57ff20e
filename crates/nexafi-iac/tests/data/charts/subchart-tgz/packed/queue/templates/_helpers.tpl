{{- define "queue.name" -}}queue-from-archive{{- end -}}
