"""Policy documents: the intents, applying an intent to a ServicePolicy document, validating
documents and rendering them to Kubernetes/Istio manifests. Pure code, no I/O."""
