"""Runway's published contracts, generated from the code and committed under contracts/.

`python -m shared.contracts generate` writes them; `python -m shared.contracts check` fails,
showing the difference, when the committed files and the code have drifted apart:

- contracts/schemas/<event type>.v<N>.json: JSON Schema 2020-12 of every payload version;
- contracts/asyncapi.yaml: AsyncAPI 3.0, its channels generated from contracts/topics.yaml;
- contracts/openapi/<service>.json: each service's HTTP API.
"""
