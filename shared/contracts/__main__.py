"""`python -m shared.contracts generate | check`: see shared/contracts/__init__.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.settings import REPO_ROOT

from . import readme
from .files import drift, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.contracts")
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--dir", type=Path, default=None,
                        help="the contracts directory (default: contracts/ of the repository)")
    parser.add_argument("--allow-breaking", action="store_true",
                        help="overwrite a published schema version with an incompatible one "
                             "(only for a version no event was ever published in)")
    args = parser.parse_args(argv)
    matrix_page = readme.DOCUMENT
    if args.command == "check":
        found = drift(args.dir)
        text = matrix_page.read_text(encoding="utf-8")
        if readme.with_matrix(text) != text:
            print(f"{matrix_page.relative_to(REPO_ROOT)}: the permission matrix is out "
                  "of date: run `make contracts`", file=sys.stderr)
            return 1
        stale_rules = readme.stale_rule_pages()
        if stale_rules:
            print(f"docs/rules: {', '.join(stale_rules)} out of date with the rule registries: "
                  "run `make contracts`", file=sys.stderr)
            return 1
        if not found:
            print("contracts: the committed files match the code")
            return 0
        print(found.report(), file=sys.stderr)
        print("\ncontracts/ is out of date: run `make contracts` (python -m shared.contracts "
              "generate) and commit the result.", file=sys.stderr)
        if found.breaking:
            print("A published schema changed incompatibly: give the event a new version "
                  "instead (contracts/VERSIONING.md).", file=sys.stderr)
        return 1
    changes = write(args.dir, allow_breaking=args.allow_breaking)
    if changes.breaking and not args.allow_breaking:
        print(changes.report(), file=sys.stderr)
        print("\nNot written: these changes break a published version. Add a new schema "
              "version with an upcaster (contracts/VERSIONING.md), or pass --allow-breaking "
              "if no event was ever published in it.", file=sys.stderr)
        return 1
    touched = len(changes.missing) + len(changes.changed) + len(changes.stale)
    touched += readme.refresh(matrix_page)
    touched += readme.refresh_rule_pages()
    print(f"contracts: {touched} file(s) written or removed" if touched
          else "contracts: already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
