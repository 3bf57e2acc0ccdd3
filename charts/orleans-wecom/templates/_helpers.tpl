{{/* Chart name, possibly overridden. */}}
{{- define "orleans-wecom.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: release-chart, or the release name alone when it already contains the chart name.
Truncated to 58 so that "<fullname>-silo" still fits the 63-character limit of Service names.
*/}}
{{- define "orleans-wecom.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 58 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 58 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 58 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "orleans-wecom.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "orleans-wecom.labels" -}}
helm.sh/chart: {{ include "orleans-wecom.chart" . }}
{{ include "orleans-wecom.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: orleans-wecom
{{- end }}

{{- define "orleans-wecom.selectorLabels" -}}
app.kubernetes.io/name: {{ include "orleans-wecom.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "orleans-wecom.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "orleans-wecom.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the pods read: the user's existing one or the chart's. */}}
{{- define "orleans-wecom.secretName" -}}
{{- default (include "orleans-wecom.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "orleans-wecom.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Orleans:ShutdownTimeout as a TimeSpan string (hh:mm:ss). */}}
{{- define "orleans-wecom.shutdownTimeout" -}}
{{- $s := int .Values.orleans.shutdownTimeoutSeconds }}
{{- printf "%02d:%02d:%02d" (div $s 3600) (div (mod $s 3600) 60) (mod $s 60) }}
{{- end }}

{{/*
Refuse values that would deploy a broken cluster; called from the Deployment.
*/}}
{{- define "orleans-wecom.validate" -}}
{{- $provider := .Values.storage.provider }}
{{- if not (has $provider (list "PostgreSql" "Sqlite")) }}
{{- fail (printf "storage.provider must be PostgreSql or Sqlite, not %q" $provider) }}
{{- end }}
{{- if and (eq $provider "Sqlite") (or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled) }}
{{- fail "storage.provider=Sqlite runs one silo with localhost clustering: use replicaCount=1 and no autoscaling, or PostgreSql" }}
{{- end }}
{{- if and .Values.emulator.enabled (or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled) }}
{{- fail "emulator.enabled runs one emulator per pod: use it with a single replica only" }}
{{- end }}
{{- $budget := add (int .Values.orleans.shutdownTimeoutSeconds) (int .Values.preStopSleepSeconds) }}
{{- if le (int .Values.terminationGracePeriodSeconds) $budget }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed orleans.shutdownTimeoutSeconds + preStopSleepSeconds (%d)" (int .Values.terminationGracePeriodSeconds) $budget) }}
{{- end }}
{{- range $key := list "clusterId" "serviceId" }}
{{- $v := index $.Values.orleans $key | toString }}
{{- if not (regexMatch "^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$" $v) }}
{{- fail (printf "orleans.%s %q must be a valid label value (it labels the pods for Orleans' Kubernetes hosting)" $key $v) }}
{{- end }}
{{- end }}
{{- $names := list }}
{{- range $i, $h := .Values.containerHosts }}
{{- if not (and $h.name $h.baseUrl) }}
{{- fail (printf "containerHosts[%d] needs name and baseUrl" $i) }}
{{- end }}
{{- if not (regexMatch "^[A-Za-z0-9][A-Za-z0-9._-]*$" $h.name) }}
{{- fail (printf "containerHosts[%d].name %q: use letters, digits, '.', '_' and '-' (it becomes an environment variable name and a URL segment)" $i $h.name) }}
{{- end }}
{{- if has $h.name $names }}
{{- fail (printf "containerHosts: name %q appears twice" $h.name) }}
{{- end }}
{{- $names = append $names $h.name }}
{{- end }}
{{- end }}
