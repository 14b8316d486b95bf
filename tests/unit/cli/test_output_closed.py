"""`runway … | head`: when the reader of its output goes away, a command stops quietly with
141 (as a tool the shell stops by SIGPIPE), instead of reporting a bug in runway."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.cli.failures import EXIT_BUG, EXIT_OUTPUT_CLOSED

RUNWAY = str(Path(sys.executable).parent / "runway")


def test_a_closed_output_is_not_reported_as_a_bug() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = subprocess.run([RUNWAY, "token", "--role", "auditor"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert done.returncode == EXIT_OUTPUT_CLOSED
    assert done.stderr == ""


def test_a_broken_pipe_elsewhere_is_reported_like_any_failure(
        capsys: pytest.CaptureFixture[str]) -> None:
    from shared.cli.main import parser, run

    def command(_: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")  # a socket or another pipe, not stdout

    args = parser().parse_args(["list"])
    args.run = command
    assert run(args) == EXIT_BUG
    assert "BrokenPipeError" in capsys.readouterr().err
