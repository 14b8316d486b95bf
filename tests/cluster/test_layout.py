"""The cluster's generated configuration, without starting it: ports, broker settings, and an
HAProxy configuration HAProxy itself accepts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from shared.infra.cluster import Cluster, Layout, _new_cluster_id, broker_config


def test_default_layout_puts_the_cluster_beside_make_run(tmp_path: Path) -> None:
    layout = Layout.build(tmp_path)
    assert layout.bootstrap == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"
    assert layout.url("intake") == "http://127.0.0.1:18001"
    assert layout.url("console") == "http://127.0.0.1:18000"
    assert layout.replica_ports["judicial"] == (18102, 18202)
    every_port = [*layout.balancer_ports.values(), layout.stats_port,
                  *(p for ports in layout.replica_ports.values() for p in ports),
                  *(p for b in layout.brokers for p in (b.port, b.controller_port))]
    assert len(every_port) == len(set(every_port)), "two listeners on one port"


def test_a_cluster_needs_a_replica_and_a_broker(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one replica"):
        Layout.build(tmp_path, replicas=0)


def test_each_broker_votes_in_one_quorum_and_replicates_three_times(tmp_path: Path) -> None:
    layout = Layout.build(tmp_path)
    configs = [dict(line.split("=", 1) for line in broker_config(layout, b).splitlines()
                    if line and not line.startswith("#")) for b in layout.brokers]
    assert [c["node.id"] for c in configs] == ["1", "2", "3"]
    assert {c["controller.quorum.voters"] for c in configs} == {
        "1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097"}
    for config in configs:
        assert config["default.replication.factor"] == "3"
        assert config["min.insync.replicas"] == "2"
        assert config["offsets.topic.replication.factor"] == "3"
        assert config["unclean.leader.election.enable"] == "false"
    assert len({c["log.dirs"] for c in configs}) == 3


def test_cluster_ids_never_read_as_an_option() -> None:
    assert not any(_new_cluster_id().startswith("-") for _ in range(2000))


def test_haproxy_accepts_the_generated_configuration(tmp_path: Path) -> None:
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    assert haproxy, "haproxy is not installed: apt-get install -y haproxy"
    cluster = Cluster(Layout.build(tmp_path, replicas=3), database_url=lambda s: "")
    config = cluster.balancer_config()
    assert config.count("server judicial-") == 3
    assert "option httpchk GET /readyz" in config
    (tmp_path / "haproxy.cfg").write_text(config)
    checked = subprocess.run([haproxy, "-c", "-f", str(tmp_path / "haproxy.cfg")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
