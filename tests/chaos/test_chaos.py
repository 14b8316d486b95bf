"""The CI-sized chaos run (issue 16, deliverable 3): a cluster of its own (three Kafka
brokers, two replicas of every service, HAProxy, its own PostgreSQL), a seeded workload of
cases through the load balancers while more than a hundred faults hit it, then every check of
`make chaos`. Sized to end well inside the timeout on a 2-core box; no step is timed, every
wait has a generous deadline (shared/chaos)."""

from __future__ import annotations

import shutil

import pytest

from shared.chaos.run import REPORTS, passed, run, table
from tests.support.ports import free_port

pytestmark = pytest.mark.timeout(3600)

SEED = 1
KILLS = 100
CASES = 120


async def test_a_seeded_run_with_a_hundred_faults_loses_nothing() -> None:
    """Replicas (relay leaders among them), brokers and PostgreSQL are killed and restarted
    while cases are entered, flown and landed: at the end the audit verifies and replays
    clean, every case is where the oracle says, no event is lost or applied twice, nobody
    flew without clearance, no dead letter waits, and every fault recovered."""
    # The cluster's logs stay in var/chaos/test-cluster (not a pytest temporary directory,
    # which later runs delete) for whoever reads a failure.
    root = REPORTS / "test-cluster"
    shutil.rmtree(root, ignore_errors=True)
    report = await run(SEED, KILLS, CASES, every=1.5, root=root,
                       port=lambda _wanted: free_port())
    assert len(report["faults"]) >= KILLS
    assert passed(report), table(report)
