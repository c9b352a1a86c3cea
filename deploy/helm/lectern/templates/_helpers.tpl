{{/* Chart name, overridable. */}}
{{- define "lectern.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped name: "<release>-lectern", or just the release name when it already contains the chart name. */}}
{{- define "lectern.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "lectern.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: stable for the life of a release (a Deployment's selector is immutable). */}}
{{- define "lectern.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lectern.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "lectern.labels" -}}
helm.sh/chart: {{ include "lectern.chart" . }}
{{ include "lectern.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lectern
{{- end -}}

{{/*
Labels for the objects kube-prometheus-stack's Prometheus must select (ServiceMonitor, PrometheusRule).
With serviceMonitorSelectorNilUsesHelmValues / ruleSelectorNilUsesHelmValues true (its default), it only
selects objects labelled release=<its own Helm release name>, not ours: monitoring.prometheusRelease says
which. Empty: no release label (for a Prometheus that selects everything).
*/}}
{{- define "lectern.monitoringLabels" -}}
{{ include "lectern.labels" . }}
{{- with .Values.monitoring.prometheusRelease }}
release: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "lectern.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lectern.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Service/container port Prometheus scrapes: the dedicated metrics port, or the main one. */}}
{{- define "lectern.metricsPortName" -}}
{{- if eq .Values.metrics.mode "port" -}}metrics{{- else -}}http{{- end -}}
{{- end -}}

{{/* Fail early, at template time, on settings that would only fail at runtime. */}}
{{- define "lectern.validate" -}}
{{- if not .Values.database.existingSecret -}}
{{- fail "database.existingSecret is required: a Secret holding DATABASE_URL (the chart runs Lectern in distributed mode; embedded PGlite needs a writable disk and one replica)" -}}
{{- end -}}
{{- if not .Values.masterKey.existingSecret -}}
{{- fail "masterKey.existingSecret is required: a Secret holding LECTERN_MASTER_KEY (32 bytes, hex or base64), the same for every replica" -}}
{{- end -}}
{{- if not (has .Values.metrics.mode (list "port" "token")) -}}
{{- fail "metrics.mode must be \"port\" (dedicated metrics port) or \"token\" (main port with LECTERN_METRICS_TOKEN)" -}}
{{- end -}}
{{- if and (eq .Values.metrics.mode "token") (not .Values.metrics.token.existingSecret) -}}
{{- fail "metrics.mode=token needs metrics.token.existingSecret (a Secret holding LECTERN_METRICS_TOKEN, at least 16 characters)" -}}
{{- end -}}
{{- end -}}
