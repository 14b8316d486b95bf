"""Importing any Runway module builds no engine and no Kafka client."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, pkgutil, sqlalchemy.ext.asyncio as sa_async, aiokafka, aiokafka.admin
def refuse(*args, **kwargs):
    raise AssertionError("work at import time")
sa_async.create_async_engine = refuse
for cls in (aiokafka.AIOKafkaProducer, aiokafka.AIOKafkaConsumer,
            aiokafka.admin.AIOKafkaAdminClient):
    cls.__init__ = refuse
import shared, services
count = 0
for package in (shared, services):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if module.name.endswith("__main__") or ".migrations." in module.name:
            continue
        importlib.import_module(module.name)
        count += 1
print(count)
"""


def test_every_module_imports_without_building_clients() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) > 20
