"""`runway-infra` commands on the personal-data key store (one for every service).

    runway-infra pii-keys                     what the keyring and key store hold
    runway-infra rotate-pii-master-key        a new current master key; every data key re-wrapped
    runway-infra rotate-pii-master-key --stage        (several hosts) add it, not yet current
    runway-infra rotate-pii-master-key --activate ID  ... then make it current and re-wrap
    runway-infra retire-pii-master-key ID     drop an old master key once nothing uses it

Only data keys are re-wrapped: no event changes (events hold data sealed by the data keys).
The key store and keyring are those the services use (RUNWAY_KEYSTORE_URL or DATABASE_URL,
RUNWAY_DATA_DIR, RUNWAY_PII_KEYRING); --keystore-url overrides the first.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from shared.clock import SystemClock
from shared.settings import ServiceSettings

from .keyring import KeyringError
from .vault import PersonalDataVault, open_vault

COMMANDS = ("pii-keys", "rotate-pii-master-key", "retire-pii-master-key")


def add_commands(commands: Any) -> None:
    """Add the commands to an argparse sub-parser set."""
    status = commands.add_parser("pii-keys", help="the personal-data master keys and how many "
                                                  "data keys each wraps")
    rotate = commands.add_parser("rotate-pii-master-key",
                                 help="make a new current master key and re-wrap every data "
                                      "key with it (no event changes)")
    retire = commands.add_parser("retire-pii-master-key",
                                 help="remove an old master key from the keyring once no data "
                                      "key is wrapped with it")
    retire.add_argument("kek_id", help="the master key's id (see pii-keys)")
    staging = rotate.add_mutually_exclusive_group()
    staging.add_argument("--stage", action="store_true",
                         help="only add the new key (not current): copy the keyring to every "
                              "host, then --activate it")
    staging.add_argument("--activate", metavar="KEK_ID", default=None,
                         help="make a staged key current and re-wrap every data key with it")
    for parser in (status, rotate, retire):
        parser.add_argument("--keystore-url", default=None,
                            help="the key store database (default: as the services resolve it)")


def vault_for(args: argparse.Namespace) -> PersonalDataVault:
    settings = ServiceSettings()
    url = args.keystore_url or settings.resolved_keystore_url()
    return open_vault(url, settings.pii.keyring_path, clock=SystemClock(), cache_s=0)


async def run(args: argparse.Namespace) -> int:
    vault = vault_for(args)
    try:
        if args.command == "rotate-pii-master-key" and args.stage:
            staged = vault.keyring.add(current=False)
            print(f"master key {staged} added to {vault.keyring.path}, not yet current: copy "
                  f"the keyring to every host, then `rotate-pii-master-key --activate {staged}`")
        elif args.command == "rotate-pii-master-key":
            rotation = await vault.rotate_master_key(activate=args.activate)
            print(f"master key {rotation.new_kek_id} is now current; "
                  f"{rotation.rewrapped} data key(s) re-wrapped with it")
        elif args.command == "retire-pii-master-key":
            rewrapped = await vault.retire_master_key(args.kek_id)
            print(f"master key {args.kek_id} removed from {vault.keyring.path}"
                  + (f" ({rewrapped} late data key(s) re-wrapped first)" if rewrapped else ""))
        else:
            print(json.dumps(await vault.status(), indent=2))
        return 0
    except KeyringError as error:
        print(f"{args.command}: {error}")
        return 1
    finally:
        await vault.close()
