"""`python -m shared.contracts check`: the committed contracts must match the code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.contracts import files
from shared.contracts.schemas import breaking_changes

from .contracts import CONTRACTS

ROOT = CONTRACTS.parent


def test_committed_contracts_match_the_code() -> None:
    drift = files.drift(CONTRACTS)
    if drift:
        pytest.fail(f"{drift.report()}\n\ncontracts/ is out of date: run `make contracts` "
                    "and commit the result", pytrace=False)


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return files.render(CONTRACTS)


@pytest.fixture
def copy(tmp_path: Path, rendered: dict[str, str]) -> Path:
    """A contracts directory holding exactly what the code generates."""
    shutil.copy(CONTRACTS / "topics.yaml", tmp_path / "topics.yaml")
    for path, text in rendered.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return tmp_path


def _edit_schema(path: Path, edit: object) -> None:
    schema = json.loads(path.read_text())
    edit(schema)  # type: ignore[operator]
    path.write_text(json.dumps(schema, indent=2) + "\n")


def test_drift_is_reported_file_by_file(copy: Path, rendered: dict[str, str]) -> None:
    assert not files.drift(copy, rendered)
    (copy / "schemas" / "intake.charges_amended.v1.json").unlink()
    (copy / "schemas" / "intake.gone.v1.json").write_text("{}\n")
    _edit_schema(copy / "schemas" / "intake.request_submitted.v1.json",
                 lambda s: s["properties"].pop("prosecutor_office"))
    (copy / "openapi" / "intake.json").write_text("{}\n")

    drift = files.drift(copy, rendered)

    assert drift.missing == ["schemas/intake.charges_amended.v1.json"]
    assert drift.stale == ["schemas/intake.gone.v1.json"]
    assert set(drift.changed) == {"schemas/intake.request_submitted.v1.json",
                                  "openapi/intake.json"}
    assert "+    \"prosecutor_office\": {" in drift.changed[
        "schemas/intake.request_submitted.v1.json"]
    # Adding a field the committed schema lacked is compatible: not flagged as breaking.
    assert drift.breaking == {}


def test_check_command_fails_with_the_difference(copy: Path) -> None:
    _edit_schema(copy / "schemas" / "intake.charges_amended.v1.json",
                 lambda s: s["properties"]["reason"].update(description="edited by hand"))
    result = subprocess.run([sys.executable, "-m", "shared.contracts", "check", "--dir",
                             str(copy)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 1
    assert "changed: schemas/intake.charges_amended.v1.json" in result.stderr
    assert "edited by hand" in result.stderr
    assert "make contracts" in result.stderr


def test_generate_writes_what_check_then_accepts(copy: Path) -> None:
    (copy / "asyncapi.yaml").unlink()
    shutil.rmtree(copy / "openapi")
    (copy / "schemas" / "judicial.retired.v1.json").write_text("{}\n")
    written = files.write(copy)
    assert written.missing and written.stale == ["schemas/judicial.retired.v1.json"]
    assert not files.drift(copy)


def test_generate_refuses_a_breaking_change_to_a_published_version(copy: Path) -> None:
    path = copy / "schemas" / "intake.charges_amended.v1.json"
    # As if the committed v1 had a field the model no longer has: removing it breaks readers.
    _edit_schema(path, lambda s: s["properties"].update(note={"type": "string"}))
    before = path.read_text()
    refused = files.write(copy)
    assert refused.breaking == {"schemas/intake.charges_amended.v1.json":
                                ["payload.note: field removed"]}
    assert path.read_text() == before
    files.write(copy, allow_breaking=True)
    assert not files.drift(copy)


SCHEMA = {
    "type": "object",
    "properties": {
        "case_id": {"type": "string"},
        "basis": {"$ref": "#/$defs/Basis"},
        "note": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "null"}]},
        "charges": {"type": "array", "items": {"$ref": "#/$defs/Charge"}},
    },
    "required": ["case_id", "basis"],
    "$defs": {
        "Basis": {"type": "string", "enum": ["treaty", "simplified"]},
        "Charge": {"type": "object", "properties": {"charge_id": {"type": "string"}},
                   "required": ["charge_id"]},
    },
}


def _changed(edit: object) -> list[str]:
    new = json.loads(json.dumps(SCHEMA))
    edit(new)  # type: ignore[operator]
    return breaking_changes(SCHEMA, new)


def test_compatible_changes_are_not_breaking() -> None:
    assert _changed(lambda s: s["properties"].update(extra={"type": "integer"})) == []
    assert _changed(lambda s: s["$defs"]["Charge"]["properties"].update(
        statute={"type": "string"})) == []
    assert _changed(lambda s: s["properties"]["case_id"].update(description="the case")) == []


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda s: s["properties"].pop("note"), "payload.note: field removed"),
    (lambda s: s["required"].append("note"), "payload.note: field is now required"),
    (lambda s: s["properties"].update(extra={"type": "string"}) or
     s["required"].append("extra"), "payload.extra: field is now required"),
    (lambda s: s["$defs"]["Basis"]["enum"].append("national_security"),
     "payload.basis: enum values added: ['national_security']"),
    (lambda s: s["$defs"]["Basis"]["enum"].remove("simplified"),
     "payload.basis: enum values removed: ['simplified']"),
    (lambda s: s["properties"].update(note={"type": "string", "maxLength": 10}),
     "payload.note: no longer accepts null"),
    (lambda s: s["properties"].update(case_id={"anyOf": [{"type": "string"},
                                                         {"type": "null"}]}),
     "payload.case_id: now accepts null"),
    (lambda s: s["properties"]["note"]["anyOf"][0].update(maxLength=20),
     "payload.note: maxLength changed from 10 to 20"),
    (lambda s: s["$defs"]["Charge"]["properties"].update(charge_id={"type": "integer"}),
     "payload.charges[].charge_id: type changed from 'string' to 'integer'"),
])
def test_breaking_changes_are_named(edit: object, expected: str) -> None:
    assert _changed(edit) == [expected]
