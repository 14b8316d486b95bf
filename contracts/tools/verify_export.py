#!/usr/bin/env python3
"""Verify a Runway case export without Runway: Python's standard library only.

    python3 verify_export.py CASE.jsonl

Each line of the export is one stored event. For every (service, stream) the events must run
version 1..n, and each event's hash must equal

    sha256( prev_hash + sha256( canonical_json(record) ) )      (hex strings, ASCII)

where prev_hash is the previous event's hash ("0" * 64 for version 1) and `record` holds the
event's fields below, with `payload` as the exact stored JSON text. canonical_json is
json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False) in UTF-8.
The last hash of each stream is printed: compare it with the head hash Runway published for
that stream (the `ce_eventhash` header of its latest Kafka message) to prove nothing was cut
from the end. Exit status 0 when everything verifies, 1 otherwise.
"""

import hashlib
import json
import sys

GENESIS = "0" * 64
FIELDS = ("event_id", "stream_id", "stream_type", "version", "event_type", "schema_version",
          "payload", "occurred_at", "recorded_at", "actor", "correlation_id", "causation_id")


def expected_hash(event: dict, prev_hash: str) -> str:
    record = {name: event[name] for name in FIELDS}
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return hashlib.sha256((prev_hash + digest).encode("ascii")).hexdigest()


def main(path: str) -> int:
    heads: dict[tuple[str, str], tuple[int, str]] = {}
    failures = 0
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            event = json.loads(line)
            key = (event["service"], event["stream_id"])
            version, prev_hash = heads.get(key, (0, GENESIS))
            where = (f"line {number}: {event['service']} stream {event['stream_id']} "
                     f"version {event['version']} event {event['event_id']}")
            if event["version"] != version + 1:
                print(f"FAIL {where}: expected version {version + 1}")
                failures += 1
            if event["prev_hash"] != prev_hash:
                print(f"FAIL {where}: prev_hash does not link to the previous event")
                failures += 1
            if event["hash"] != expected_hash(event, event["prev_hash"]):
                print(f"FAIL {where}: hash does not match the content")
                failures += 1
            heads[key] = (event["version"], event["hash"])
    for (service, stream), (version, head) in sorted(heads.items()):
        print(f"{service} {stream}: {version} events, head hash {head}")
    print("export verifies" if failures == 0 else f"export FAILED: {failures} problem(s)")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
