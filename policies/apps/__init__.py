"""The app store's pure part: catalog entries, AppDeployment documents, their rendering
and their resource arithmetic (text in, data out; no I/O).

- `catalog`: `catalog/<app>.yaml` — `read`, `read_all`, `validate`, `CatalogEntry`.
- `parameters`: the parameter types, bounds and `set k=v` reading.
- `deployment`: `apps/<env>/<namespace>/<name>.yaml` — `build`, `validate`, `resolve`.
- `render`: manifests mode (`manifests`) or GitOps mode (HelmRelease, Application), and
  the ExternalSecret of an external secret reference.
- `sizing` and `quantity`: the requests an app adds to its namespace's quota.
- `listing`: what `/store` shows; `check`: the app store's part of `govbot check`.

See docs/app-store.md.
"""
