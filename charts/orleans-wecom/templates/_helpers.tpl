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
{{- if and (eq $provider "Sqlite") .Values.roles.split }}
{{- fail "roles.split needs PostgreSql: with Sqlite one silo takes every role" }}
{{- end }}
{{- if and (not .Values.secrets.existingSecret) (not .Values.secrets.adminApiKey) }}
{{- fail "set secrets.adminApiKey (e.g. $(openssl rand -hex 24)) or secrets.existingSecret: a generated key would change with every render" }}
{{- end }}
{{- if and .Values.orleans.tls.enabled (not .Values.orleans.tls.secretName) }}
{{- fail "orleans.tls.enabled needs orleans.tls.secretName (a Secret with tls.crt, tls.key and ca.crt)" }}
{{- end }}
{{- if eq (int .Values.http.adminPort) (int .Values.http.port) }}
{{- fail "http.adminPort must differ from http.port" }}
{{- end }}
{{- if eq $provider "PostgreSql" }}
{{- $pods := include "orleans-wecom.maxPods" . | int }}
{{- $budget := sub (int .Values.storage.postgresMaxConnections) (int .Values.storage.reservedConnections) }}
{{- if gt (mul $pods (int .Values.storage.maxPoolSize)) $budget }}
{{- fail (printf "storage.maxPoolSize %d x %d pods at most (replicas or autoscaling.maxReplicas, plus a surge pod per Deployment) = %d connections, over postgresMaxConnections - reservedConnections = %d: lower maxPoolSize or raise the server's max_connections" (int .Values.storage.maxPoolSize) $pods (mul $pods (int .Values.storage.maxPoolSize)) $budget) }}
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

{{/*
The silo Deployments as a JSON list: one of role All, or a gateway and a worker set when roles.split.
Each: name, role, component ("" for All), replicas, autoscale (HPA drives it), traffic (takes HTTP and MQTT).
*/}}
{{- define "orleans-wecom.sets" -}}
{{- $fullname := include "orleans-wecom.fullname" . }}
{{- if .Values.roles.split }}
{{- list
  (dict "name" (printf "%s-gateway" $fullname) "role" "Gateway" "component" "gateway" "replicas" (int .Values.roles.gateway.replicas) "autoscale" false "traffic" true)
  (dict "name" (printf "%s-worker" $fullname) "role" "Worker" "component" "worker" "replicas" (int .Values.replicaCount) "autoscale" .Values.autoscaling.enabled "traffic" false)
  | toJson }}
{{- else }}
{{- list (dict "name" $fullname "role" "All" "component" "" "replicas" (int .Values.replicaCount) "autoscale" .Values.autoscaling.enabled "traffic" true) | toJson }}
{{- end }}
{{- end }}

{{/* The pods that take tenants' traffic: every pod, or the gateway pods when split. */}}
{{- define "orleans-wecom.trafficSelectorLabels" -}}
{{ include "orleans-wecom.selectorLabels" . }}
{{- if .Values.roles.split }}
app.kubernetes.io/component: gateway
{{- end }}
{{- end }}

{{/* Most pods the release runs at once: each set at its maximum plus the one surge pod of a rollout. */}}
{{- define "orleans-wecom.maxPods" -}}
{{- $total := 0 }}
{{- range $set := include "orleans-wecom.sets" . | fromJsonArray }}
{{- $count := ternary (int $.Values.autoscaling.maxReplicas) (int $set.replicas) $set.autoscale }}
{{- $total = add $total $count 1 }}
{{- end }}
{{- $total }}
{{- end }}
