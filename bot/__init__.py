"""govbot: ChatOps for service governance on Kubernetes and Istio."""
