#!/usr/bin/env bash
# The Kubernetes manifests of deploy/kubernetes/ checked against the Kubernetes API's schemas: each object is built
# by npm's kubernetes-models from its apiVersion and kind and validated (types, required fields; not unknown fields), every
# manifest in the folder is listed in kustomization.yaml, and the Deployment agrees with Ferry (grace period longer
# than the shutdown timeout, probes on Ferry's health paths and management port, the election's pod labels), every
# environment variable of a ConfigMap or Secret is a setting of application.properties, and the KEDA overlay (keda/)
# scales the Deployment on the queue its settings name, one replica per queue-consumers messages.
set -euo pipefail
cd "$(dirname "$0")/../../.."
work=target/validate-kubernetes
if [[ ! -d "$work/node_modules/kubernetes-models" || ! -d "$work/node_modules/yaml" ]]; then
  echo "validate-kubernetes: installing kubernetes-models 5.1.0 and yaml 2.9.1 (npm)"
  npm install --silent --no-audit --no-fund --prefix "$work" kubernetes-models@5.1.0 yaml@2.9.1 >/dev/null
fi
cp src/test/deploy/validate-kubernetes.mjs "$work/"
node "$work/validate-kubernetes.mjs" "$PWD/deploy/kubernetes" "$PWD/application.properties"
