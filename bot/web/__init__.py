"""The read-only web dashboard `govbot serve` mounts under `/ui/` (docs/dashboard.md).

`app.dashboard_app` is the WSGI app; `access` decides who looks, `pages` reads what each
page shows through the runners' ports, `chart` draws the event timeline as SVG,
`csvexport` writes the audit export, `http` adds the security headers to every answer.

Example:
    routes["/ui/"] = dashboard_app(app.workflow.context, app.settings.dashboard)
"""
