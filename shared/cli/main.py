"""`runway`: operators' command line. It talks to the services' HTTP APIs only.

    runway submit request.yaml        # one request, or a list of them (sent as a batch)
    runway show RWY-1A2B3C4D5E        # where a case stands, and its timeline
    runway list [--status S]          # cases, optionally by status
    runway audit verify               # hash chains, versions, Kafka against the stores
    runway dlq list [--status waiting] # dead letters; dlq show|redrive|discard SERVICE ID
    runway token --role operator      # a bearer token from the local issuer

Every call carries a bearer token: --token or RUNWAY_TOKEN; without one, on a machine that has
the local issuer's key (local runs), a token is signed for --actor and --role.

With no flags, the commands find the running stack in var/stack.json (written by `make run`).
A failure is one line naming the cause and the fix; exit codes: 0 done, 1 refused or problems
found, 2 usage (or a batch partly refused), 3 a service, store or Kafka isn't there,
70 a bug (RUNWAY_DEBUG=1 shows the traceback), 130 interrupted, 141 output closed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import select
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from shared.cli.audit import add_audit_commands
from shared.cli.dlq import add_dlq_commands
from shared.cli.failures import (
    EXIT_INTERRUPTED,
    EXIT_OUTPUT_CLOSED,
    EXIT_USAGE,
    CommandFailed,
    explain,
)
from shared.cli.settings import CliSettings
from shared.cli.token import add_token_command
from shared.cli.where import Where, resolve
from shared.security import AuthSettings, TokenIssuer
from shared.security.keys import LocalIssuerKeys


def bearer_token(args: argparse.Namespace) -> str:
    if args.token:
        return str(args.token)
    settings = AuthSettings()
    if not LocalIssuerKeys(settings.local_dir).exists():
        raise CommandFailed("no token: pass --token or set RUNWAY_TOKEN (from your identity "
                            "provider, or `runway token --role ROLE` on a local run)",
                            EXIT_USAGE)
    return TokenIssuer(settings).issue(args.actor, [args.role])


def _client(args: argparse.Namespace) -> httpx.Client:
    headers = {"Authorization": f"Bearer {bearer_token(args)}"}
    return httpx.Client(base_url=resolve(args).intake_url, headers=headers, timeout=60)


def _fail(response: httpx.Response) -> int:
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text}
    print(f"error {response.status_code}: {body.get('error', '')}", file=sys.stderr)
    detail = body.get("detail")
    if isinstance(detail, list):
        for problem in detail:
            where = ".".join(str(p) for p in problem.get("loc", []) if p != "body")
            print(f"  {where}: {problem.get('msg')} [{problem.get('type')}]", file=sys.stderr)
    elif detail:
        rule = f" [{body['rule']}]" if "rule" in body else ""
        print(f"  {detail}{rule}", file=sys.stderr)
    return 1


def load_requests(path: Path) -> list[dict[str, Any]] | dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if isinstance(data, dict) and "requests" in data:
        data = data["requests"]
    if not isinstance(data, (dict, list)):
        raise CommandFailed(f"{path}: expected a request or a list of requests", EXIT_USAGE)
    return data


def submit(args: argparse.Namespace) -> int:
    data = load_requests(Path(args.file))
    with _client(args) as http:
        if isinstance(data, dict):
            response = http.post("/cases", json=data)
            if response.status_code != 201:
                return _fail(response)
            print(response.json()["case_id"])
            return 0
        response = http.post("/cases/batch", json={"requests": data})
    if response.status_code != 200:
        return _fail(response)
    body = response.json()
    if args.json:
        print(json.dumps(body, indent=2))
    else:
        for result in body["results"]:
            if result["outcome"] == "created":
                print(f"#{result['index']:<4} created   {result['case_id']}")
            else:
                reasons = [f"{'.'.join(str(p) for p in e['loc'][3:])}: {e['msg']}"
                           for e in result.get("errors", [])] or [
                    f"{result.get('rule')}: {result.get('detail')}"]
                print(f"#{result['index']:<4} {result['outcome']:<9} {'; '.join(reasons)}")
        print(f"{body['created']} created, {body['failed']} failed")
    return 0 if body["failed"] == 0 else 2


def show(args: argparse.Namespace) -> int:
    with _client(args) as http:
        case = http.get(f"/cases/{args.case_id}")
        if case.status_code != 200:
            return _fail(case)
        timeline = http.get(f"/cases/{args.case_id}/timeline")
    if args.json:
        print(json.dumps({"case": case.json(), "timeline": timeline.json()}, indent=2))
        return 0
    c = case.json()
    print(f"{c['case_id']}  {c['full_name']}")
    print(f"  basis {c['legal_basis']}, district {c['requesting_district']}, "
          f"status {c['status']}, death-penalty clearance {c['clearance']}")
    for ch in c["request"]["charges"]:
        capital = "  [capital-eligible]" if ch["death_penalty_possible"] else ""
        print(f"  charge {ch['charge_id']}: {ch['statute']} — {ch['description']}{capital}")
    print("  timeline:")
    for event in timeline.json()["events"]:
        print(f"    {event['occurred_at'][:19]}  {event['event_type']:<48} {event['actor']}")
    return 0


def list_cases(args: argparse.Namespace) -> int:
    params = {k: v for k, v in {"status": args.status, "clearance": args.clearance}.items() if v}
    with _client(args) as http:
        response = http.get("/cases", params={**params, "limit": args.limit})
    if response.status_code != 200:
        return _fail(response)
    cases = response.json()["cases"]
    if args.json:
        print(json.dumps(cases, indent=2))
        return 0
    print(f"{'case':<16} {'name':<32} {'basis':<18} {'district':<8} {'status':<24} clearance")
    for c in cases:
        print(f"{c['case_id']:<16} {c['full_name'][:31]:<32} {c['legal_basis']:<18} "
              f"{c['requesting_district']:<8} {c['status']:<24} {c['clearance']}")
    print(f"{len(cases)} case(s)")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="runway", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument("--intake-url", help="the intake service (default $RUNWAY_INTAKE_URL, "
                                           "else the running stack's, else :8001)")
    environment = CliSettings()
    root.add_argument("--actor", default=environment.default_actor)
    root.add_argument("--role", default=environment.role)
    root.add_argument("--token", default=environment.token,
                      help="bearer token (default $RUNWAY_TOKEN)")
    root.add_argument("--json", action="store_true", help="print the API's JSON")
    commands = root.add_subparsers(dest="command", required=True)
    p = commands.add_parser("submit", help="submit a request (or a list) from JSON or YAML")
    p.add_argument("file")
    p.set_defaults(run=submit)
    p = commands.add_parser("show", help="a case's status and timeline")
    p.add_argument("case_id")
    p.set_defaults(run=show)
    p = commands.add_parser("list", help="list cases")
    p.add_argument("--status")
    p.add_argument("--clearance")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(run=list_cases)
    add_audit_commands(commands)
    add_dlq_commands(commands)
    add_token_command(commands)
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    code = run(args)
    if code == EXIT_OUTPUT_CLOSED:
        # What is left in stdout's buffer would fail again as the interpreter exits: send it
        # to /dev/null (Python's documented remedy for a closed pipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    sys.exit(code)


def run(args: argparse.Namespace) -> int:
    """The command's exit code; any failure becomes one line on stderr (failures.py)."""
    where = None
    debug = CliSettings().debug
    if not debug:
        # aiokafka logs each refused connection before raising; the one line below says it.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        where = resolve(args)
        if where.stack is not None:  # sign tokens with the key the stack's services trust,
            # and read legal dates in the zone its services read them in
            os.environ.setdefault("RUNWAY_AUTH_DIR", where.stack.auth_dir)
            os.environ.setdefault("LEGAL_TIMEZONE", where.stack.legal_timezone)
        code = int(args.run(args))
        sys.stdout.flush()  # a reader gone by now is caught below, not at the exit's flush
        return code
    except KeyboardInterrupt:
        print("runway: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError as error:
        if not _reader_gone():  # another pipe or socket broke: a failure like any other
            return _failed(error, where, debug)
        # Nobody reads the rest (`runway audit export … | head`): not a failure to report.
        return EXIT_OUTPUT_CLOSED
    except Exception as error:  # every failure is reported, as one line
        return _failed(error, where, debug)


def _failed(error: Exception, where: Where | None, debug: bool) -> int:
    if debug:
        raise error
    failure = explain(error, where)
    print(f"runway: {failure}", file=sys.stderr)
    return failure.code


def _reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (poll reports an error on it)."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's StringIO), or closed
        return False
    poller = select.poll()
    poller.register(descriptor, select.POLLOUT)
    return any(events & select.POLLERR for _, events in poller.poll(0))


if __name__ == "__main__":
    main()
