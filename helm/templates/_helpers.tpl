{{- define "gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gateway.fullname" -}}
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

{{- define "gateway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* selector labels of one component: (dict "root" . "component" "front") */}}
{{- define "gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gateway.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "gateway.componentLabels" -}}
{{ include "gateway.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "gateway.image" -}}
{{- $image := index .root.Values.image .component -}}
{{- $tag := default .root.Chart.AppVersion $image.tag -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/%s:%s" .root.Values.image.registry $image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Seconds as a .NET TimeSpan (hh:mm:ss). */}}
{{- define "gateway.duration" -}}
{{- $s := int . -}}
{{- printf "%02d:%02d:%02d" (div $s 3600) (mod (div $s 60) 60) (mod $s 60) -}}
{{- end -}}

{{- define "gateway.secretName" -}}{{ include "gateway.fullname" . }}{{- end -}}
{{- define "gateway.configName" -}}{{ include "gateway.fullname" . }}-config{{- end -}}
{{- define "gateway.postgresqlHost" -}}{{ include "gateway.fullname" . }}-postgresql{{- end -}}
{{- define "gateway.redisHost" -}}{{ include "gateway.fullname" . }}-redis{{- end -}}

{{/* The Postgres connection string the chart writes into its Secret (external value or the trial server). */}}
{{- define "gateway.postgresConnectionString" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "Host=%s;Port=5432;Username=%s;Password=%s;Database=%s" (include "gateway.postgresqlHost" .) .Values.postgresql.username (required "postgresql.password is required when postgresql.enabled" .Values.postgresql.password) .Values.postgresql.database -}}
{{- else -}}
{{- .Values.postgres.connectionString -}}
{{- end -}}
{{- end -}}

{{- define "gateway.redisConnectionString" -}}
{{- if .Values.redisServer.enabled -}}
{{- printf "%s:6379" (include "gateway.redisHost" .) -}}
{{- else -}}
{{- .Values.redis.connectionString -}}
{{- end -}}
{{- end -}}

{{/* Is a chart-written Secret needed at all? */}}
{{- define "gateway.chartSecretNeeded" -}}
{{- if or (and (not .Values.postgres.existingSecret) (include "gateway.postgresConnectionString" .)) (and (not .Values.redis.existingSecret) (include "gateway.redisConnectionString" .)) (and (not .Values.admin.existingSecret) .Values.admin.token) (and (not .Values.upstream.existingSecret) .Values.upstream.apiKeys) -}}
true
{{- end -}}
{{- end -}}

{{/* Checks that cannot be written in values.schema.json. */}}
{{- define "gateway.validate" -}}
{{- if and (not .Values.postgresql.enabled) (not .Values.postgres.connectionString) (not .Values.postgres.existingSecret) -}}
{{- fail "Postgres: set postgres.connectionString, postgres.existingSecret, or postgresql.enabled=true (trial)" -}}
{{- end -}}
{{- if and (not .Values.redisServer.enabled) (not .Values.redis.connectionString) (not .Values.redis.existingSecret) -}}
{{- fail "Redis: set redis.connectionString, redis.existingSecret, or redisServer.enabled=true (trial)" -}}
{{- end -}}
{{- if le (int .Values.silo.terminationGracePeriodSeconds) (int .Values.silo.shutdownTimeoutSeconds) -}}
{{- fail (printf "silo.terminationGracePeriodSeconds (%d) must be longer than silo.shutdownTimeoutSeconds (%d), or Kubernetes kills silos before their grains hand off" (int .Values.silo.terminationGracePeriodSeconds) (int .Values.silo.shutdownTimeoutSeconds)) -}}
{{- end -}}
{{- if le (int .Values.front.terminationGracePeriodSeconds) (add (int .Values.front.shutdownTimeoutSeconds) (int .Values.front.preStopSleepSeconds)) -}}
{{- fail (printf "front.terminationGracePeriodSeconds (%d) must be longer than front.shutdownTimeoutSeconds + front.preStopSleepSeconds (%d), or Kubernetes cuts streams that are still draining" (int .Values.front.terminationGracePeriodSeconds) (add (int .Values.front.shutdownTimeoutSeconds) (int .Values.front.preStopSleepSeconds))) -}}
{{- end -}}
{{- if and .Values.front.autoscaling.enabled (gt (int .Values.front.autoscaling.minReplicas) (int .Values.front.autoscaling.maxReplicas)) -}}
{{- fail "front.autoscaling.minReplicas must not exceed front.autoscaling.maxReplicas" -}}
{{- end -}}
{{- end -}}

{{/* Environment both fronts and silos get from the Secret(s): Postgres and Redis. */}}
{{- define "gateway.databaseEnv" -}}
- name: Postgres__ConnectionString
  valueFrom:
    secretKeyRef:
      name: {{ .Values.postgres.existingSecret | default (include "gateway.secretName" .) }}
      key: {{ if .Values.postgres.existingSecret }}{{ .Values.postgres.existingSecretKey }}{{ else }}postgres-connection-string{{ end }}
- name: Cluster__RedisConnectionString
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret | default (include "gateway.secretName" .) }}
      key: {{ if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}redis-connection-string{{ end }}
- name: Postgres__MigrateOnStart
  {{- /* The hook applies the schema before install/upgrade; without it, or with the trial Postgres (created
  after pre-install hooks), silos apply it at start (an advisory lock serialises them). */}}
  value: {{ include "gateway.appMigrates" . | quote }}
{{- end -}}

{{/* "true" when silos must apply migrations at start: no migrations hook, or the trial Postgres. */}}
{{- define "gateway.appMigrates" -}}
{{- or .Values.postgresql.enabled (not .Values.migrations.enabled) -}}
{{- end -}}

{{/* Orleans ids: the values, else derived from the release's namespace and name (one cluster per release). */}}
{{- define "gateway.clusterId" -}}
{{- .Values.cluster.clusterId | default (printf "%s.%s" .Release.Namespace .Release.Name) -}}
{{- end -}}
{{- define "gateway.serviceId" -}}
{{- .Values.cluster.serviceId | default (printf "%s.%s" .Release.Namespace .Release.Name) -}}
{{- end -}}

{{- define "gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "gateway.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* Does the migrations Job run before the release's objects exist (pre-install hook)? */}}
{{- define "gateway.migrationsBeforeInstall" -}}
{{- if and .Values.migrations.enabled (not .Values.postgresql.enabled) -}}true{{- end -}}
{{- end -}}

{{/* The Job's ServiceAccount: a hook-made copy when the release's own one does not exist yet. */}}
{{- define "gateway.migrationsServiceAccountName" -}}
{{- if and .Values.serviceAccount.create (include "gateway.migrationsBeforeInstall" .) -}}
{{- printf "%s-migrations" (include "gateway.fullname" .) -}}
{{- else -}}
{{- include "gateway.serviceAccountName" . -}}
{{- end -}}
{{- end -}}

{{/* Pod labels of a component: (dict "root" . "component" "front"); selector labels win over podLabels. */}}
{{- define "gateway.podLabels" -}}
{{- $component := index .root.Values .component | default dict -}}
{{- $selector := include "gateway.selectorLabels" . | fromYaml -}}
{{- toYaml (merge (dict) $selector ($component.podLabels | default dict) (.root.Values.podLabels | default dict)) -}}
{{- end -}}

{{/* podAnnotations of every pod, then the component's (which win); empty when neither is set. */}}
{{- define "gateway.podAnnotations" -}}
{{- $component := index .root.Values .component | default dict -}}
{{- with merge (dict) ($component.podAnnotations | default dict) (.root.Values.podAnnotations | default dict) -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}

{{/* A list value of every pod then the component's: (dict "root" . "component" "front" "key" "extraEnv"). */}}
{{- define "gateway.extraList" -}}
{{- $component := index .root.Values .component | default dict -}}
{{- with concat (index .root.Values .key | default list) (index $component .key | default list) -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}

{{/* topologySpreadConstraints of a component; one without a labelSelector selects the component's pods. */}}
{{- define "gateway.topologySpread" -}}
{{- $selector := dict "matchLabels" (include "gateway.selectorLabels" . | fromYaml) -}}
{{- $out := list -}}
{{- range (index .root.Values .component).topologySpreadConstraints -}}
{{- $c := deepCopy . -}}
{{- if not (hasKey $c "labelSelector") -}}
{{- $_ := set $c "labelSelector" $selector -}}
{{- end -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- with $out -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}

{{- define "gateway.downwardEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- end -}}

{{- define "gateway.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{/* Marks the fronts' metrics Service, so the ServiceMonitor picks it and not the API Service. */}}
{{- define "gateway.metricsServiceLabel" -}}
gateway/metrics: "true"
{{- end -}}
