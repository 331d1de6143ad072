"""DingTalk signatures against the published vectors, the window, and mention stripping."""

from __future__ import annotations

import pytest

from bot.chat.dingtalk.sign import (
    callback_sign,
    robot_sign,
    signed_url,
    strip_mention,
    verify_callback,
)

TS = "1577262236757"
CALLBACK_SIGN = "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA="  # reference vector V2
ROBOT_SIGN = "hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D"  # reference vector V3


def test_callback_sign_matches_the_vector() -> None:
    assert callback_sign(TS, "this is a secret") == CALLBACK_SIGN


def test_robot_sign_matches_the_vector_url_encoded() -> None:
    assert robot_sign(int(TS), "this is secret") == ROBOT_SIGN
    url = signed_url("https://oapi.example/robot/send?access_token=t", "this is secret", int(TS))
    assert url.endswith(f"?access_token=t&timestamp={TS}&sign={ROBOT_SIGN}")
    assert signed_url("https://oapi.example/robot/send?access_token=t", "", 1) == \
        "https://oapi.example/robot/send?access_token=t"


@pytest.mark.parametrize(("timestamp", "sign", "secret", "now_offset", "ok"), [
    (TS, CALLBACK_SIGN, "this is a secret", 0, True),
    (TS, CALLBACK_SIGN, "this is a secret", 3_600_000, True),
    (TS, CALLBACK_SIGN, "this is a secret", -3_600_000, True),
    (TS, CALLBACK_SIGN, "this is a secret", 3_600_001, False),   # stale
    (TS, CALLBACK_SIGN, "another secret", 0, False),             # wrong key
    (TS, CALLBACK_SIGN.replace("D", "E", 1), "this is a secret", 0, False),
    (None, CALLBACK_SIGN, "this is a secret", 0, False),
    (TS, None, "this is a secret", 0, False),
    ("-1", CALLBACK_SIGN, "this is a secret", 0, False),
    (TS, CALLBACK_SIGN, "", 0, False),
])
def test_verify_callback(timestamp: str | None, sign: str | None, secret: str,
                         now_offset: int, ok: bool) -> None:
    assert verify_callback(timestamp, sign, secret, int(TS) + now_offset) is ok


@pytest.mark.parametrize(("raw", "text"), [
    (" /canary svc-user 20%", "/canary svc-user 20%"),
    ("@govbot /canary svc-user 20%", "/canary svc-user 20%"),
    ("  @govbot\u3000灰度 svc-user 20%", "灰度 svc-user 20%"),
    ("/approve 12", "/approve 12"),
    ("/route svc-user header user=@bob -> v2", "/route svc-user header user=@bob -> v2"),
])
def test_strip_mention(raw: str, text: str) -> None:
    assert strip_mention(raw) == text


@pytest.mark.parametrize("timestamp", [
    "١٥٧٧٢٦٢٢٣٦٧٥٧", "１５７７２６２２３６７５７", "1577262236757²"])
def test_verify_callback_takes_ascii_digits_only(timestamp: str) -> None:
    # str.isdigit accepts these; a timestamp header is 0-9 only
    assert not verify_callback(timestamp, callback_sign(timestamp, "s"), "s",
                               1577262236757)
