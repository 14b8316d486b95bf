"""Settings resolution, and docker-compose.yml kept in step with services/."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic_settings import BaseSettings

from shared.discovery import service_modules
from shared.service import ServiceSpec
from shared.settings import REPO_ROOT, ServiceSettings

INFRASTRUCTURE = {"kafka", "postgres"}


def service_specs() -> dict[str, ServiceSpec]:
    # The console, a web UI and not an event-sourced service, has no `service` module.
    return {module.SPEC.name: module.SPEC for module in service_modules("service").values()}


def test_postgres_server_url_gives_each_service_its_own_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db:5432/runway")
    monkeypatch.delenv("SERVICE_DATABASE_URL", raising=False)
    settings = ServiceSettings(service_name="judicial")
    assert settings.resolved_database_url() == "postgresql+asyncpg://u:p@db:5432/runway_judicial"


def test_without_database_url_the_embedded_sqlite_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SERVICE_DATABASE_URL", raising=False)
    monkeypatch.setenv("RUNWAY_DATA_DIR", str(tmp_path))
    url = ServiceSettings(service_name="court").resolved_database_url()
    assert url == f"sqlite+aiosqlite:///{tmp_path}/court.db"


def test_compose_runs_exactly_the_services_in_the_repository() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    named = set(compose["services"]) - INFRASTRUCTURE
    assert named == set(service_specs())


def setting_names(settings: type[BaseSettings]) -> set[object]:
    """Every environment variable a settings class reads, nested settings included."""
    names: set[object] = set()
    for field in settings.model_fields.values():
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseSettings):
            names |= setting_names(nested)
        else:
            names.add(field.validation_alias)
    return names


def test_compose_uses_the_local_ports_and_variable_names() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    aliases = setting_names(ServiceSettings)
    for name, spec in service_specs().items():
        entry = compose["services"][name]
        assert entry["command"] == ["python", "-m", f"services.{name}"]
        assert entry["ports"] == [f"{spec.default_port}:{spec.default_port}"]
        assert int(entry["environment"]["HTTP_PORT"]) == spec.default_port
        assert set(entry["environment"]) <= aliases, "compose sets a variable nobody reads"
