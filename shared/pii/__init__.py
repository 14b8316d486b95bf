"""Personal data: sealed in events under a key per person, erasable by deleting that key.

- sealing: AES-256-GCM with associated data binding a blob to its person and place;
- keyring: the master keys (KEKs) file; keystore: wrapped data keys and erasure records;
- vault: seal, open, erase, rotate (built lazily by the composition root: ServiceRuntime.pii);
- person: what is sealed, and how consumers find it in intake's request (v1 or v2);
- names: the names a service shows, apart from its audited read models;
- consume: consumer handlers recording and blanking those names; admin: runway-infra commands.

Nothing here connects to anything at import time (the package imports no submodule).
"""
