"""`runway dlq ...`: operators' commands for dead-lettered messages (issue 16). Like every
`runway` command they talk to the services' HTTP APIs only:

    runway dlq list [--service S] [--status waiting]   # every consuming service's, or one's
    runway dlq show SERVICE ID                         # the letter, its error and its message
    runway dlq redrive SERVICE ID                      # replay it once the cause is fixed
    runway dlq discard SERVICE ID --reason "..."       # resolve it unapplied, with a reason

A service's address: --url SERVICE=URL, else the running stack's (var/stack.json), else
127.0.0.1 at the service's default port. A token signed locally acts as `operations` (the
role that re-drives and discards), unless --role names another (e.g. auditor, to read).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import httpx

from shared.cli.failures import EXIT_REFUSED, EXIT_USAGE, CommandFailed
from shared.cli.where import running_stack
from shared.topology import DEFAULT_PORTS, SERVICES

OPERATIONS_ROLE = "operations"
STATUSES = ("waiting", "redriven", "discarded")


def service_url(args: argparse.Namespace, service: str) -> str:
    flags = dict(item.split("=", 1) for item in (getattr(args, "url", None) or []))
    if service in flags:
        return str(flags[service])
    stack = running_stack()
    if stack is not None and service in stack.services:
        return stack.services[service].url
    port = DEFAULT_PORTS[service]
    return f"http://127.0.0.1:{port}"


def _client(args: argparse.Namespace, service: str) -> httpx.Client:
    from shared.cli.main import bearer_token  # main imports this module

    if not args.token and args.role == "operator":  # the default role cannot re-drive
        args.role = OPERATIONS_ROLE
    headers = {"Authorization": f"Bearer {bearer_token(args)}"}
    return httpx.Client(base_url=service_url(args, service), headers=headers, timeout=120)


def _known(service: str) -> str:
    if service not in SERVICES:
        raise CommandFailed(f"no service {service!r}: one of {', '.join(SERVICES)}", EXIT_USAGE)
    return service


def _refused(service: str, response: httpx.Response) -> int:
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text}
    rule = f" [{body['rule']}]" if isinstance(body, dict) and body.get("rule") else ""
    detail = body.get("detail") if isinstance(body, dict) else body
    print(f"error {response.status_code} from {service}: {body.get('error', '')}{rule}",
          file=sys.stderr)
    if detail:
        print(f"  {detail}", file=sys.stderr)
    return EXIT_REFUSED


def _line(service: str, letter: dict[str, Any]) -> str:
    origin = letter["origin"]
    return (f"{service:<10} {letter['id']:>5}  {letter['status']:<9} {letter['consumer']:<28} "
            f"{letter['ce_type'] or '(unreadable)':<48} {letter['case_id'] or '-':<16} "
            f"{letter['attempts']:>3}  {letter['failed_at'][:19]}  "
            f"{origin['topic']}/{origin['partition']}@{origin['offset']}  "
            f"{letter['error_type']}: {letter['error_message'][:80]}")


def run_list(args: argparse.Namespace) -> int:
    services = [_known(args.service)] if args.service else list(SERVICES)
    found: dict[str, list[dict[str, Any]]] = {}
    params = {"status": args.status} if args.status else {}
    for service in services:
        with _client(args, service) as http:
            response = http.get("/dead-letters", params={**params, "limit": args.limit})
        if response.status_code != 200:
            return _refused(service, response)
        found[service] = response.json()["dead_letters"]
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    print(f"{'service':<10} {'id':>5}  {'status':<9} {'consumer':<28} {'event':<48} "
          f"{'case':<16} {'try':>3}  {'failed at (UTC)':<19}  origin  error")
    for service, letters in found.items():
        for letter in letters:
            print(_line(service, letter))
    print(f"{sum(len(v) for v in found.values())} dead letter(s)")
    return 0


def _ask(args: argparse.Namespace, method: str, action: str = "",
         body: dict[str, Any] | None = None) -> tuple[str, dict[str, Any] | int]:
    """The service named and its answer about dead letter `args.id`: the JSON body, or the
    exit code once a refusal has been printed."""
    service = _known(args.service)
    with _client(args, service) as http:
        response = http.request(method, f"/dead-letters/{args.id}{action}", json=body)
    if response.status_code != 200:
        return service, _refused(service, response)
    answer: dict[str, Any] = response.json()
    if args.json:
        print(json.dumps(answer, indent=2))
    return service, answer


def run_show(args: argparse.Namespace) -> int:
    service, letter = _ask(args, "GET")
    if isinstance(letter, int) or args.json:
        return letter if isinstance(letter, int) else 0
    print(_line(service, letter))
    print(f"  event {letter['event_id']}  error {letter['error_type']}: "
          f"{letter['error_message']}")
    if letter["status"] != "waiting":
        print(f"  {letter['status']} at {letter['resolved_at']} by {letter['resolved_by']}: "
              f"{letter['note']}")
    message = letter["message"]
    print(f"  key {message['key']}")
    for header in message["headers"]:
        print(f"  header {header['name']}: {header.get('text', header.get('base64'))}")
    print(f"  value {message['value']}")
    return 0


def run_redrive(args: argparse.Namespace) -> int:
    service, body = _ask(args, "POST", "/redrive")
    if isinstance(body, int) or args.json:
        return body if isinstance(body, int) else 0
    print(f"{service} dead letter {args.id}: {body['outcome']} "
          f"(status {body['dead_letter']['status']})")
    return 0


def run_discard(args: argparse.Namespace) -> int:
    service, body = _ask(args, "POST", "/discard", {"reason": args.reason})
    if isinstance(body, int) or args.json:
        return body if isinstance(body, int) else 0
    print(f"{service} dead letter {args.id}: {body['status']} ({body['note']})")
    return 0


def add_dlq_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = commands.add_parser("dlq", help="list, show, re-drive or discard dead letters",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    dlq.add_argument("--url", action="append", metavar="SERVICE=URL",
                     help="a service's address (repeatable; default: the running stack's)")
    steps = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = steps.add_parser("list", help="dead letters of every consuming service, or one")
    listing.add_argument("--service", help=f"one of {', '.join(SERVICES)}")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(run=run_list)
    for name, run, what in (("show", run_show, "a dead letter, its error and its message"),
                            ("redrive", run_redrive, "replay it through its consumer"),
                            ("discard", run_discard, "resolve it unapplied, with a reason")):
        step = steps.add_parser(name, help=what)
        step.add_argument("service", help=f"one of {', '.join(SERVICES)}")
        step.add_argument("id", type=int)
        if name == "discard":
            step.add_argument("--reason", required=True,
                              help="why it is not to be applied (kept with the letter)")
        step.set_defaults(run=run)
