"""The session cookie: signed, so the roles a page shows cannot be edited in the browser."""

from __future__ import annotations

from datetime import timedelta

from services.console.session import decode_cookie, encode_cookie, local_session
from shared.security import AuthSettings


def test_a_signed_session_reads_back_and_a_tampered_one_does_not() -> None:
    session = local_session(AuthSettings(), "clerk-luz", "judicial_clerk")
    value = encode_cookie(session, "s" * 32)
    back = decode_cookie(value, "s" * 32)
    assert back is not None and (back.subject, back.roles) == ("clerk-luz", ("judicial_clerk",))
    assert decode_cookie(value, "t" * 32) is None
    payload, _, mac = value.rpartition(".")
    assert decode_cookie(payload[:-2] + "xx." + mac, "s" * 32) is None
    assert decode_cookie(None, "s" * 32) is None


def test_an_expired_token_is_no_session() -> None:
    session = local_session(AuthSettings(), "op", "operator", ttl=timedelta(seconds=-60))
    assert decode_cookie(encode_cookie(session, "s" * 32), "s" * 32) is None
