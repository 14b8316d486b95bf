"""The kcat subscriber example of docs/contracts.md, run as written (Debian's kcat, installed by
.ci/run) against real Kafka: a new consumer group sees the topic's history with its headers."""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer

from tests.support.infra import create_topics, unique_topic

PAGE = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"
EXAMPLE_TOPIC = "runway.judicial.events"


def readme_kcat_command() -> list[str]:
    """The kcat command of the page's subscriber block, continuation lines joined."""
    blocks = re.findall(r"```sh\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    [block] = [b for b in blocks if "kcat " in b]
    text = "\n".join(line for line in block.splitlines() if not line.startswith("#"))
    return shlex.split(text.replace("\\\n", " "))


async def test_the_readme_kcat_example_reads_a_topic_from_its_first_event(kafka: str) -> None:
    kcat = shutil.which("kcat")
    assert kcat, "kcat is not installed: apt-get install kcat (.ci/run does)"
    topic = unique_topic("kcat")
    await create_topics(kafka, [topic], partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"case_id":"RWY-1A2B3C4D5E"}',
                                     key=b"RWY-1A2B3C4D5E",
                                     headers=[("ce_type", b"judicial.case_opened.v1")])
    finally:
        await producer.stop()
    command = readme_kcat_command()
    assert command[0] == "kcat" and EXAMPLE_TOPIC in command
    command = [kcat, *[topic if arg == EXAMPLE_TOPIC else arg for arg in command[1:]]]
    command = [f"docs-{uuid.uuid4().hex[:8]}" if arg == "my-team" else arg for arg in command]
    if "-e" not in command:
        command.insert(1, "-e")  # exit at the end of the topic, instead of waiting for more

    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 0, err.decode()
    printed = out.decode()
    assert re.search(r"case=RWY-1A2B3C4D5E partition=\d offset=0\n", printed), printed
    assert "ce_type=judicial.case_opened.v1" in printed
    assert '{"case_id":"RWY-1A2B3C4D5E"}' in printed
