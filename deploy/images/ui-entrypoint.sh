#!/bin/bash
# Writes the UI server's configuration from the official image's variables and starts it.
set -euo pipefail
cat >/home/ui-server/config/docker.yaml <<YAML
temporalGrpcAddress: "${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
host: 0.0.0.0
port: ${TEMPORAL_UI_PORT:-8080}
enableUi: true
defaultNamespace: "${TEMPORAL_DEFAULT_NAMESPACE:-default}"
cors:
  allowOrigins: [$(sed 's/[^,][^,]*/"&"/g' <<<"${TEMPORAL_CORS_ORIGINS:-}")]
codec:
  endpoint: "${TEMPORAL_CODEC_ENDPOINT:-}"
YAML
exec /home/ui-server/ui-server --root /home/ui-server --config config --env docker start
