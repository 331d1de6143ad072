"""Validate rendered objects against Istio's and Kubernetes' own schemas.

The schemas live outside the repository, in the folder named by `GOVBOT_SCHEMA_DIR`
(default `<repo root>/../shared/schemas`): `istio-crds.yaml` (Istio's CRDs),
`apis__autoscaling__v2_openapi.json` (Kubernetes' OpenAPI v3 for autoscaling/v2) and
`gateway-api-httproutes-{standard,experimental}.yaml` (Gateway API's HTTPRoute CRD of
each channel; `validate_object(route, channel="experimental")` for a route with
`retry`). A Service is checked with `kubernetes_validate` (Kubernetes 1.33, strict). They
are read once per process. When the folder is absent, tests that need it skip with a loud
reason.

OpenAPI schemas are made strict as `kubectl --validate=strict` is: an object schema that
lists its properties rejects unknown ones, and `nullable` allows null. Besides the schema,
metadata names and labels are checked as the API server does, and the semantic rules of
istiod's webhook run through `policies.webhook.check`.

Example:
    from tests.support.schemas import validate_object
    assert validate_object(virtual_service) == []     # skips when the schemas are absent
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft7Validator

from policies import webhook

REPO_ROOT = Path(__file__).resolve().parents[2]
ISTIO_FILE = "istio-crds.yaml"
AUTOSCALING_FILE = "apis__autoscaling__v2_openapi.json"
HTTPROUTE_FILES = {"standard": "gateway-api-httproutes-standard.yaml",
                   "experimental": "gateway-api-httproutes-experimental.yaml"}
KUBERNETES = "1.33"
HPA_SCHEMA = "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def schema_dir() -> Path:
    return Path(os.environ.get("GOVBOT_SCHEMA_DIR") or REPO_ROOT.parent / "shared" / "schemas")


def require_schemas() -> Path:
    """The schema folder; skips the calling test loudly when it is absent."""
    folder = schema_dir()
    if not (folder / ISTIO_FILE).is_file():
        pytest.skip(f"schema folder {folder} absent (no {ISTIO_FILE}): set GOVBOT_SCHEMA_DIR")
    return folder


def validate_object(obj: Mapping[str, Any], channel: str = "standard") -> list[str]:
    """Every problem of one Kubernetes object; [] when it would be accepted. `channel` is
    the Gateway API channel an HTTPRoute is checked against."""
    require_schemas()
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    if (api_version, kind) == ("autoscaling/v2", "HorizontalPodAutoscaler"):
        problems = _errors(_hpa_validator(), obj, "")
    elif (api_version, kind) == ("v1", "Service"):
        problems = _core_problems(obj)
    elif (api_version, kind) == ("gateway.networking.k8s.io/v1", "HTTPRoute"):
        problems = _errors(_route_validator(channel), obj.get("spec"), "spec")
        problems += [f"{key}: unknown top-level field" for key in obj if key not in _TOP_LEVEL]
    else:
        validator = _istio_validator(str(api_version), str(kind))
        if validator is None:
            return [f"apiVersion/kind: no schema for {api_version} {kind}"]
        problems = _errors(validator, obj.get("spec"), "spec")
        problems += [f"{key}: unknown top-level field" for key in obj if key not in _TOP_LEVEL]
    return problems + _metadata(obj.get("metadata")) + webhook.check(obj)


_TOP_LEVEL = ("apiVersion", "kind", "metadata", "spec")


def k8sify(schema: Any) -> Any:
    """OpenAPI → JSON Schema: `nullable` allows null; listed properties are the only ones."""
    if isinstance(schema, list):
        return [k8sify(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: k8sify(value) for key, value in schema.items()}
    if schema.get("nullable") and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    closed = (
        schema.get("type") == "object"
        and "properties" in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
        and "additionalProperties" not in schema
    )
    if closed:
        schema["additionalProperties"] = False
    return schema


@functools.cache
def _crds() -> tuple[dict[str, Any], ...]:
    with (schema_dir() / ISTIO_FILE).open(encoding="utf-8") as stream:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return tuple(doc for doc in yaml.load_all(stream, Loader=loader) if doc)


@functools.cache
def _istio_validator(api_version: str, kind: str) -> Draft7Validator | None:
    group, _, version = api_version.partition("/")
    for crd in _crds():
        if crd["spec"]["group"] != group or crd["spec"]["names"]["kind"] != kind:
            continue
        for served in crd["spec"]["versions"]:
            if served["name"] == version and served.get("served", True):
                spec = served["schema"]["openAPIV3Schema"]["properties"]["spec"]
                return Draft7Validator(k8sify(spec))
    return None


@functools.cache
def _route_validator(channel: str) -> Draft7Validator:
    with (schema_dir() / HTTPROUTE_FILES[channel]).open(encoding="utf-8") as stream:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        crd = yaml.load(stream, Loader=loader)
    served = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    return Draft7Validator(k8sify(served["schema"]["openAPIV3Schema"]["properties"]["spec"]))


def _core_problems(obj: Mapping[str, Any]) -> list[str]:
    """A core kind through `kubernetes_validate`, strict as `kubectl --validate=strict`."""
    try:
        kubernetes_validate.validate(dict(obj), KUBERNETES, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'/'.join(map(str, error.path)) or '(root)'}: {error.message}"]
    return []


@functools.cache
def _hpa_validator() -> Draft7Validator:
    oas = json.loads((schema_dir() / AUTOSCALING_FILE).read_text(encoding="utf-8"))
    root = {"$ref": f"#/components/schemas/{HPA_SCHEMA}", "components": k8sify(oas["components"])}
    return Draft7Validator(root)


def _errors(validator: Draft7Validator, value: Any, prefix: str) -> list[str]:
    found = []
    for error in validator.iter_errors(value):
        where = "/".join([prefix, *map(str, error.absolute_path)]).strip("/") or "(root)"
        found.append(f"{where}: {error.message}")
    return found


def _metadata(meta: Any) -> list[str]:
    """What the API server checks of metadata: names, labels, annotations."""
    if not isinstance(meta, Mapping):
        return ["metadata: required"]
    problems = []
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        problems.append(f"metadata.name: {name!r} is not a DNS-1123 subdomain")
    if not isinstance(namespace, str) or not _DNS_LABEL.match(namespace):
        problems.append(f"metadata.namespace: {namespace!r} is not a DNS-1123 label")
    for key, value in (meta.get("labels") or {}).items():
        if not _label_key(key):
            problems.append(f"metadata.labels: {key!r} is not a label key")
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            problems.append(f"metadata.labels.{key}: {value!r} is not a label value")
    for key, value in (meta.get("annotations") or {}).items():
        if not _label_key(key) or not isinstance(value, str):
            problems.append(f"metadata.annotations.{key}: {value!r} is not a string annotation")
    return problems


def _label_key(key: Any) -> bool:
    if not isinstance(key, str):
        return False
    prefix, _, name = key.rpartition("/")
    prefix_ok = not prefix or (len(prefix) <= 253 and bool(_DNS_SUBDOMAIN.match(prefix)))
    return prefix_ok and 0 < len(name) <= 63 and bool(_LABEL_VALUE.match(name))
