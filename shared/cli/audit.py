"""`runway audit ...`: auditors' commands. They read the stores and the Kafka logs directly and
trust no service's API."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

from shared.audit.actors import actions_text, case_actions
from shared.audit.asof import Question, case_as_of, explain, explain_text
from shared.audit.export import case_events, write_export
from shared.audit.hooks import discover_replays
from shared.audit.replay import replay
from shared.audit.sources import AuditTarget
from shared.audit.verify import verify
from shared.cli.failures import EXIT_USAGE, CommandFailed
from shared.cli.where import resolve
from shared.clock import parse_iso_utc
from shared.legaltime import TimelineOrder, legal_zone_refusal
from shared.topology import SERVICES


class Progress:
    """Events processed, rate and elapsed time, on a terminal only: logs stay quiet."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.started = time.monotonic()

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        sys.stderr.write(f"\r{self.label}: {done:,} events, {done / elapsed:,.0f}/s, "
                         f"{elapsed:.1f}s ")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def target(args: argparse.Namespace) -> AuditTarget:
    """The stores and Kafka under audit: flags, else the environment, else the running stack
    (var/stack.json), else a local PostgreSQL run's (shared/cli/where.py). Every command
    starts here, so a LEGAL_TIMEZONE that names no zone is refused before any work."""
    refusal = legal_zone_refusal()
    if refusal:
        raise CommandFailed(refusal, EXIT_USAGE)
    return resolve(args).audit_target()


def run_verify(args: argparse.Namespace) -> int:
    progress = Progress("verifying")
    report = asyncio.run(verify(target(args), progress))
    progress.done()
    for finding in report.findings:
        print(finding)
    verdict = "OK" if report.ok else f"FAILED: {len(report.errors)} error(s)"
    print(f"verify: {report.streams} streams, {report.events} events, {report.messages} "
          f"messages on Kafka; {verdict}")
    if report.warnings:
        print(f"legal time: {len(report.warnings)} warning(s): an occurred_at on another legal "
              "date than its act's (docs/contracts.md, 'Legal time and recorded time')")
    return 0 if report.ok else 1


def run_export(args: argparse.Namespace) -> int:
    events = asyncio.run(case_events(target(args), args.case_id))
    try:
        jsonl, report = write_export(args.case_id, events, Path(args.output))
    except LookupError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {jsonl} ({len(events)} events) and {report}")
    print(f"check it without Runway: python3 contracts/tools/verify_export.py {jsonl}")
    return 0


def question(args: argparse.Namespace) -> Question:
    """--legal-date D: the legal position on D as now known; --recorded T (or --at T): what
    Runway knew at T; neither: what Runway knows now."""
    if args.legal_date is not None:
        return Question.legal(args.legal_date)
    return Question.recorded(args.recorded)


def run_as_of(args: argparse.Namespace) -> int:
    try:
        result = asyncio.run(case_as_of(target(args), args.case_id, question(args),
                                        order=TimelineOrder(args.order)))
    except LookupError as error:
        print(error, file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def run_explain(args: argparse.Namespace) -> int:
    try:
        result = asyncio.run(explain(target(args), args.case_id, question(args)))
    except LookupError as error:
        print(error, file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else explain_text(result))
    return 0


def run_actors(args: argparse.Namespace) -> int:
    try:
        actions = asyncio.run(case_actions(target(args), args.case_id))
    except LookupError as error:
        print(error, file=sys.stderr)
        return 1
    if args.subject:
        actions = [a for a in actions if a.subject == args.subject]
    if args.json:
        print(json.dumps([asdict(a) for a in actions], indent=2))
    else:
        print(actions_text(args.case_id, actions), end="")
    return 0


def run_replay(args: argparse.Namespace) -> int:
    audited = target(args)
    server = args.replay_server or next(iter(audited.stores.values()))
    progress = Progress(f"replaying from {args.source}")
    report = asyncio.run(replay(audited, discover_replays(), server, source=args.source,
                                keep=args.keep, progress=progress))
    progress.done()
    for service, offsets in report.checkpoint.items():
        print(f"checkpoint {service}: " + ", ".join(f"p{p}@{o}" for p, o in
                                                     sorted(offsets.items())))
    for difference in report.differences:
        if difference.severity == "error" or args.verbose:
            print(difference)
    notes = len(report.differences) - len(report.errors)
    rate = report.events / report.seconds if report.seconds else 0.0
    print(f"replay from {report.source}: {report.events} events, {report.rows} rows rebuilt "
          f"in {report.seconds:.1f}s ({rate:,.0f} events/s); {len(report.errors)} "
          f"difference(s), {notes} note(s)")
    for service, url in report.databases.items() if args.keep else ():
        print(f"kept {service}: {url.split('@')[-1]}")
    return 0 if not report.errors else 1


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from shared.audit.http import create_audit_app

    uvicorn.run(create_audit_app(target(args)), host=args.host, port=args.port)
    return 0


def _instant_argument(text: str) -> datetime:
    try:
        return parse_iso_utc(text)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant "
                                         "(e.g. 2026-01-21T12:00:00Z)") from None


def _date_argument(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (e.g. 2026-01-20)") from None


def _axis_arguments(parser: argparse.ArgumentParser) -> None:
    axis = parser.add_mutually_exclusive_group()
    axis.add_argument("--recorded", "--at", dest="recorded", type=_instant_argument,
                      metavar="INSTANT", help="what Runway knew at this ISO instant: the events "
                      "recorded by then (recorded axis; default: now)")
    axis.add_argument("--legal-date", dest="legal_date", type=_date_argument, metavar="DATE",
                      help="the legal position on this date as now known: every event whose "
                           "legal date (in LEGAL_TIMEZONE) is on or before it (legal axis)")


def add_audit_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="verify and replay the event logs")
    # Unset options fall back to the environment, then to the running stack (var/stack.json).
    audit.add_argument("--database-url",
                       help="PostgreSQL server holding runway_<service> databases "
                            "(default $DATABASE_URL, else the running stack's stores)")
    audit.add_argument("--store", action="append", metavar="SERVICE=URL",
                       help="a service's event store (repeatable); overrides --database-url")
    audit.add_argument("--services", default=",".join(SERVICES))
    audit.add_argument("--bootstrap", help="Kafka (default $KAFKA_BOOTSTRAP_SERVERS, else the "
                                           "running stack's, else 127.0.0.1:9092)")
    audit.add_argument("--namespace", help="topic namespace (default "
                                           "$RUNWAY_TOPIC_NAMESPACE, else the running stack's)")
    steps = audit.add_subparsers(dest="audit_command", required=True)
    check = steps.add_parser("verify", help="versions, hash chains, and Kafka against stores")
    check.set_defaults(run=run_verify)
    export = steps.add_parser("export", help="a case's history as JSON lines and a report")
    export.add_argument("case_id")
    export.add_argument("--output", default=".", help="folder for <case>.jsonl and <case>.txt")
    export.set_defaults(run=run_export)
    rebuild = steps.add_parser("replay", help="rebuild read models from the log and compare")
    rebuild.add_argument("--source", choices=("kafka", "stores"), default="kafka")
    rebuild.add_argument("--replay-server", help="PostgreSQL server for the fresh databases "
                         "(default: the first store's server)")
    rebuild.add_argument("--keep", action="store_true", help="keep the rebuilt databases")
    rebuild.add_argument("--verbose", action="store_true", help="print notes too")
    rebuild.set_defaults(run=run_replay)
    as_of = steps.add_parser("as-of", help="a case's state and timeline as Runway knew it at "
                                           "an instant, or its legal position on a date")
    as_of.add_argument("case_id")
    _axis_arguments(as_of)
    as_of.add_argument("--order", choices=[o.value for o in TimelineOrder],
                       default=TimelineOrder.LEGAL.value,
                       help="the timeline by legal time (default) or by recorded time")
    as_of.set_defaults(run=run_as_of)
    why = steps.add_parser("explain", help="why a case is (or was: --recorded T, or on a legal "
                                           "date: --legal-date D) held back")
    why.add_argument("case_id")
    _axis_arguments(why)
    why.set_defaults(run=run_explain)
    who = steps.add_parser("actors", help="who did what to a case (subject, role, event)")
    who.add_argument("case_id")
    who.add_argument("--subject", help="only this actor's events")
    who.set_defaults(run=run_actors)
    serve = steps.add_parser("serve", help="the read-only audit HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8010)
    serve.set_defaults(run=run_serve)
