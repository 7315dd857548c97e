{{/* Names and labels shared by every template. */}}

{{- define "kless.labels" -}}
app.kubernetes.io/name: kless
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* An image of the platform, with imageRegistry in front when set: (dict "root" . "image" "kless/x:1"). */}}
{{- define "kless.platformImage" -}}
{{ with .root.Values.imageRegistry }}{{ trimSuffix "/" . }}/{{ end }}{{ .image }}
{{- end -}}

{{- define "kless.image" -}}
{{ include "kless.platformImage" (dict "root" . "image" (printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion))) }}
{{- end -}}

{{- define "kless.registry.name" -}}serverless-docker-registry{{- end -}}
{{- define "kless.registry.internalAddress" -}}{{ include "kless.registry.name" . }}.{{ .Release.Namespace }}.svc.cluster.local:5000{{- end -}}

{{- define "kless.controller.name" -}}serverless-ctrl-mngr{{- end -}}
{{- define "kless.webhook.name" -}}serverless-webhook{{- end -}}
{{- define "kless.webhook.certSecret" -}}serverless-webhook-certs{{- end -}}
{{- define "kless.webhook.configuration" -}}{{ .Release.Name }}-{{ .Release.Namespace }}-serverless-webhook{{- end -}}

{{/* containers.manager.envs.<key>.value → the controller's environment variable of that setting. */}}
{{- define "kless.controller.envNames" -}}
functionBuildMaxSimultaneousJobs: APP_FUNCTION_BUILD_MAX_SIMULTANEOUS_JOBS
functionBuildExecutorImage: APP_FUNCTION_BUILD_EXECUTOR_IMAGE
functionBuildExecutorArgs: APP_FUNCTION_BUILD_EXECUTOR_ARGS
functionBuildRepoFetcherImage: APP_FUNCTION_BUILD_REPO_FETCHER_IMAGE
functionTargetCPUUtilizationPercentage: APP_FUNCTION_TARGET_CPU_UTILIZATION_PERCENTAGE
functionRequeueDurationSeconds: APP_FUNCTION_REQUEUE_DURATION_SECONDS
functionReadyRequeueDurationSeconds: APP_FUNCTION_READY_REQUEUE_DURATION_SECONDS
functionRuntimeImagePrefix: APP_FUNCTION_RUNTIME_IMAGE_PREFIX
gitFetchRequeueDurationSeconds: APP_GIT_FETCH_REQUEUE_DURATION_SECONDS
{{- end -}}

{{/* Settings every webhook of the two configurations shares. */}}
{{- define "kless.webhook.common" }}
    failurePolicy: {{ .Values.webhook.failurePolicy }}
    sideEffects: None
    matchPolicy: Exact
    admissionReviewVersions: ["v1"]
    timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
{{- end }}
{{- define "kless.webhook.client" }}
    clientConfig:
      service:
        name: {{ include "kless.webhook.name" .root }}
        namespace: {{ .root.Release.Namespace }}
        path: {{ .path }}
        port: 443
{{- end }}
