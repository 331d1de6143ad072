"""Where governance events come from: Prometheus (Istio's request metrics), the
Alertmanager webhook, Kubernetes events. Each source turns what it reads into
`bot.core.events.GovernanceEvent`s and hands them to the one funnel
(`Workflow.ingest`): stored, routed to the channel that owns the namespace, grouped,
posted. Sources know nothing of chat or of the store.
"""
