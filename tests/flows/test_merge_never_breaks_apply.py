"""A merge can never break apply: what cannot render is refused at the command, and an
invalid document that reached main by hand is reported once while the rest applies."""

from __future__ import annotations

from bot.core.events import ApplyFailed, ChangeMerged
from bot.core.types import Author
from tests.conftest import Govbot

BROKEN = """\
apiVersion: govbot.dev/v1
kind: ServicePolicy
metadata:
  name: svc-bad
  namespace: demo
  env: dev
spec:
  port: 8080
  selector:
    app: svc-bad
  versions:
    stable: v1
    canary: v2
  release:
    strategy: canary
    canaryWeight: 10
  routes:
    - match:
        headers:
          user:
            regex: "(?=x)"
      to: v2
"""


def test_a_route_that_cannot_render_is_refused_at_the_command(govbot: Govbot) -> None:
    main = govbot.main()
    reply = govbot.one("/route svc-user header user=(?=x) regex -> v2")
    assert not reply.ok and "lookahead" in reply.text and "usage:" in reply.text, reply.text
    assert govbot.main() == main and govbot.branches() == ["main"]
    assert govbot.app.store.changes(None) == []
    assert govbot.one("/canary svc-user 20%").change_id == 1  # no id was taken
    merged = govbot.say("/approve 1", user="bob")
    assert [type(e) for e in merged] == [ChangeMerged] and "applied:" in merged[0].text


def test_an_invalid_document_on_main_is_reported_once_and_the_rest_applies(
        govbot: Govbot) -> None:
    repo = govbot.app.repo
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, {"services/dev/demo/svc-bad.yaml": BROKEN},
                                     Author("Erin", "erin@example.com"), "by hand"), old=old)
    govbot.one("/canary svc-user 20%")
    first = govbot.say("/approve 1", user="bob")
    assert isinstance(first[0], ChangeMerged) and "apply pending" not in first[0].text
    assert (govbot.rendered() / "virtualservice-svc-user.yaml").is_file()
    failed = [e for e in first if isinstance(e, ApplyFailed)]
    assert len(failed) == 1 and failed[0].permanent and "svc-bad" in failed[0].text
    assert "Traceback" not in failed[0].text
    assert govbot.app.store.applied("directory") == govbot.main()

    govbot.one("/canary svc-pay 20%")
    second = govbot.say("/approve 2", user="bob")
    assert [type(e) for e in second] == [ChangeMerged], second
    assert "svc-bad" not in second[0].text


def test_a_route_on_a_service_without_a_release_applies_and_blocks_nothing(
        govbot: Govbot) -> None:
    govbot.seed("svc-a", "svc-b")
    govbot.one("/route svc-a cookie beta=1 -> v2")
    first = govbot.say("/approve 1", user="bob")
    assert [type(e) for e in first] == [ChangeMerged] and "apply pending" not in first[0].text
    govbot.one("/ratelimit svc-b 10/1s")
    second = govbot.say("/approve 2", user="bob")
    assert "apply pending" not in second[0].text, second[0].text
    assert (govbot.rendered() / "envoyfilter-svc-b-local-ratelimit.yaml").is_file()
    assert govbot.app.store.applied("directory") == govbot.main()
