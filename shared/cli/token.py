"""`runway token`: sign a bearer token with the local issuer, for local runs and tests.

A deployment verifies tokens from its identity provider instead (RUNWAY_AUTH_JWKS); this
command refuses nothing there, but its tokens are trusted only by services that trust the
local issuer's key set (`<RUNWAY_AUTH_DIR>/jwks.json`, the default without RUNWAY_AUTH_JWKS).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta

from shared.security import AuthSettings, TokenIssuer, load_matrix
from shared.security.keys import LocalIssuerKeys

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: expected e.g. 30m, 8h, 2d")
    return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])


def add_token_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("token", help="sign a bearer token for a role (local issuer)",
                            description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--role", action="append", dest="roles", metavar="ROLE",
                   help="a role from the permission matrix (repeatable)")
    p.add_argument("--subject", help="who the token names (default: $USER)")
    p.add_argument("--ttl", type=duration, help="lifetime, e.g. 30m or 8h (default 8h)")
    p.add_argument("--init", action="store_true",
                   help="only create the local issuer's key pair, print where it is")
    p.set_defaults(run=issue_token)


def issue_token(args: argparse.Namespace) -> int:
    settings = AuthSettings()
    if args.init:
        keys = LocalIssuerKeys(settings.local_dir)
        keys.ensure()
        print(f"local issuer {settings.issuer!r}: key set {keys.jwks_path}")
        return 0
    roles = args.roles or []
    known = load_matrix().roles
    unknown = [r for r in roles if r not in known]
    if not roles or unknown:
        print(f"error: --role is required, one of: {', '.join(known)}"
              + (f" (unknown: {', '.join(unknown)})" if unknown else ""), file=sys.stderr)
        return 2
    subject = args.subject or default_subject()
    print(TokenIssuer(settings).issue(subject, roles, ttl=args.ttl))
    return 0


def default_subject() -> str:
    import getpass

    return getpass.getuser()
