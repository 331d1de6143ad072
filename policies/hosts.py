"""External host names and gateway references of an exposure (`spec.exposed`).

`policies.checks.service.exposed` checks a document's exposure with these, and
`commands/expose.py` checks what a person typed, so both give the same answer. Each
function returns the problem in words (what was wrong, what is expected, an example),
or None when the value is good.

A host is a DNS name as Istio's `hosts` and Gateway API's `hostnames` take it:
lowercase RFC 1123 labels separated by dots, optionally led by one `*.` wildcard, with no
scheme, path or port, and not an IP address or one of the mesh's own
`<svc>.<ns>.svc.<cluster domain>` names (those are the service's mesh host already).
A gateway is `<namespace>/<name>`, both DNS labels.

Example:
    >>> host_problem("https://user.example.com/")
    "'https://user.example.com/' is a URL: give the host name alone, like user.example.com"
    >>> host_problem("*.example.com") is None
    True
    >>> gateway_problem("public")
    "'public' has no namespace: a gateway is <namespace>/<name>, like istio-system/public"
"""

from __future__ import annotations

import re

EXAMPLE_HOST = "user.example.com"
EXAMPLE_GATEWAY = "istio-system/public"
MAX_HOST = 253
# RFC 1123 label: letters, digits and "-", alphanumeric at both ends, at most 63.
_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)
_PORT = re.compile(r":[0-9]*$", re.ASCII)


def host_problem(text: str) -> str | None:
    """What is wrong with `text` as an external host name; None when it is good."""
    shown = repr(text)
    if "://" in text or text.startswith("//"):
        return f"{shown} is a URL: give the host name alone, like {EXAMPLE_HOST}"
    if "/" in text:
        return (f"{shown} has a path: give the host name alone (routes match paths), "
                f"like {EXAMPLE_HOST}")
    if _PORT.search(text):
        return (f"{shown} has a port: the gateway's listener decides the port, so give "
                f"the host alone, like {text.rsplit(':', 1)[0] or EXAMPLE_HOST}")
    if text != text.lower():
        return f"{shown} has capital letters: host names are lowercase, like {text.lower()}"
    return _name_problem(text, shown)


def _name_problem(text: str, shown: str) -> str | None:
    name = text.removeprefix("*.")
    if not name or len(text) > MAX_HOST:
        return (f"{shown} is not a host name: at most {MAX_HOST} characters of DNS labels, "
                f"like {EXAMPLE_HOST}")
    labels = name.split(".")
    if "*" in name:
        return (f"{shown} has a wildcard that does not lead: only a leading *. is "
                "allowed, like *.example.com")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return (f"{shown} is not a host name: dot-separated labels of lowercase letters, "
                f"digits and '-', alphanumeric at both ends, like {EXAMPLE_HOST}")
    if all(label.isdigit() for label in labels):
        return (f"{shown} is an IP address: gateways route by host name, like "
                f"{EXAMPLE_HOST}")
    if _mesh_name(labels):
        return (f"{shown} is a name inside the mesh, which the service has already: "
                f"expose it under an external host, like {EXAMPLE_HOST}")
    return None


def _mesh_name(labels: list[str]) -> bool:
    """`<svc>.<ns>.svc[.<cluster domain>]` or anything under `cluster.local`."""
    return "svc" in labels[2:] or labels[-2:] == ["cluster", "local"]


def gateway_problem(text: str) -> str | None:
    """What is wrong with `text` as `<namespace>/<name>` of a Gateway; None when good."""
    shown = repr(text)
    namespace, slash, name = text.partition("/")
    if not slash:
        return (f"{shown} has no namespace: a gateway is <namespace>/<name>, like "
                f"{EXAMPLE_GATEWAY}")
    if not (_LABEL.fullmatch(namespace) and _LABEL.fullmatch(name)):
        return (f"{shown} is not <namespace>/<name> of DNS labels (lowercase letters, "
                f"digits and '-'), like {EXAMPLE_GATEWAY}")
    return None
