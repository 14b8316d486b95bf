"""Every label in English and Spanish (i18n/labels.yaml), chosen per user.

The language is the user's choice (a cookie set by the switch in the page header), else the
first of their browser's Accept-Language that the console speaks, else English.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("en", "es")
DEFAULT = "en"
LABELS = Path(__file__).resolve().parent / "i18n" / "labels.yaml"

Translate = Callable[..., str]


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """key -> {language: text}; a key lacking a language is a bug the unit tests catch."""
    loaded = yaml.safe_load(LABELS.read_text(encoding="utf-8")) or {}
    return {str(key): {str(lang): str(text) for lang, text in texts.items()}
            for key, texts in loaded.items()}


def choose(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    for language in _preferences(accept_language or ""):
        if language in LANGUAGES:
            return language
    return DEFAULT


def _preferences(header: str) -> list[str]:
    """Accept-Language's primary tags, most preferred first (q=0 excluded)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def translator(language: str) -> Translate:
    labels = catalogue()

    def t(key: str, **values: object) -> str:
        texts = labels.get(key)
        # An unknown key shows itself: visible on the page, and a unit test lists them.
        text = key if texts is None else texts.get(language) or texts.get(DEFAULT) or key
        return text.format(**values) if values else text

    return t


def problem_text(t: Translate, problem: Mapping[str, Any]) -> str:
    """An API's (or the console's own) problem in the user's language: the text of its type
    (problem.<type>, filled in with the problem's ctx: ge, le, max_length ...), else the rule's
    statement it names, else the API's own message. A problem without the ctx its text needs
    (intake's batch answers carry none) takes the type's text without it (problem.<type>.any).
    """
    kind = str(problem.get("type") or "")
    message = str(problem.get("msg") or "")
    key = f"problem.{kind}"
    if kind and key in catalogue():
        values = dict(problem.get("ctx") or {})
        detail = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if detail:
            values.setdefault("detail", detail)
        if "input" in problem and "input" not in values:
            values["input"] = problem["input"]
        try:
            return t(key).format(**values)
        except (KeyError, IndexError, ValueError):
            fallback = f"{key}.any"
            if fallback in catalogue():
                return t(fallback)
    statement = problem.get("statement")
    return str(statement) if statement else message


def label_or_value(t: Translate, prefix: str, value: str | None) -> str:
    """The label of an API value (a status, a role), or the value itself when it has none."""
    if value is None:
        return ""
    key = f"{prefix}.{value}"
    shown = t(key)
    return value.replace("_", " ") if shown == key else shown
