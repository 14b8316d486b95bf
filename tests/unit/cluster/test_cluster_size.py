"""A cluster of one or two brokers gets settings its brokers can meet (and says which), and
`runway-stack up` refuses 0 replicas or brokers as the cluster command does, instead of
reading 0 as "the default"."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared.infra import cluster as cluster_mod
from shared.infra import stack
from shared.infra.cluster import Cluster, Layout, broker_config


def _config(layout: Layout) -> dict[str, str]:
    text = broker_config(layout, layout.brokers[0])
    return dict(line.split("=", 1) for line in text.splitlines()
                if line and not line.startswith("#"))


@pytest.mark.parametrize("brokers, factor, min_isr", [(1, 1, 1), (2, 2, 2), (3, 3, 2)])
def test_brokers_are_configured_for_the_replicas_they_can_hold(
        tmp_path: Path, brokers: int, factor: int, min_isr: int) -> None:
    config = _config(Layout.build(tmp_path, brokers=brokers))
    for key in ("default.replication.factor", "offsets.topic.replication.factor",
                "transaction.state.log.replication.factor",
                "share.coordinator.state.topic.replication.factor"):
        assert config[key] == str(factor), key
    for key in ("min.insync.replicas", "transaction.state.log.min.isr",
                "share.coordinator.state.topic.min.isr"):
        assert config[key] == str(min_isr), key


def test_a_one_broker_cluster_prints_the_settings_it_has(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster = Cluster(Layout.build(tmp_path, brokers=1), database_url=lambda service: "")
    cluster_mod._print_urls(cluster, tmp_path / "stack.json")
    assert "(replication factor 1, min.insync.replicas 1)" in capsys.readouterr().out


@pytest.mark.parametrize("option", [["--replicas", "0"], ["--replicas", "2", "--brokers", "0"]])
def test_runway_stack_refuses_a_cluster_of_zero(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                option: list[str]) -> None:
    called: list[tuple[int, int]] = []
    monkeypatch.setattr(cluster_mod, "run_up", lambda replicas, brokers, hold:
                        called.append((replicas, brokers)))
    monkeypatch.setattr(sys, "argv", ["runway-stack", "up", *option, "--no-hold"])
    with pytest.raises(SystemExit) as exit_:
        stack.main()
    assert called == [], f"{' '.join(option)} started a cluster of {called}"
    assert exit_.value.code == 2
    assert "at least one replica and one broker" in capsys.readouterr().err
