{{/* Pieces of the NetworkPolicies (networkpolicy.yaml). */}}
{{- define "gateway.np.pods" -}}
- podSelector:
    matchLabels:
      {{- include "gateway.selectorLabels" . | nindent 6 }}
{{- end -}}
{{- define "gateway.np.dns" -}}
- ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end -}}
{{- define "gateway.np.databases" -}}
{{- $root := . -}}
- ports:
    - {protocol: TCP, port: {{ ternary 5432 $root.Values.networkPolicy.postgresPort $root.Values.postgresql.enabled }}}
  {{- if $root.Values.postgresql.enabled }}
  to:
    {{- include "gateway.np.pods" (dict "root" $root "component" "postgresql") | nindent 4 }}
  {{- end }}
{{- end -}}
{{- define "gateway.np.redis" -}}
{{- $root := . -}}
- ports:
    - {protocol: TCP, port: {{ ternary 6379 $root.Values.networkPolicy.redisPort $root.Values.redisServer.enabled }}}
  {{- if $root.Values.redisServer.enabled }}
  to:
    {{- include "gateway.np.pods" (dict "root" $root "component" "redis") | nindent 4 }}
  {{- end }}
{{- end -}}
