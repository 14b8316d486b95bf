"""A case overtaken by a national-security decision shows `basis_changed` until the transfer is
authorised. Rows projected before that status existed still show what the case showed before
the change (often `amparo_pending`): this moves them, in the row and in its stored view, by the
`judicial.basis_changed` event in the case's own stream.

The statuses a basis change does not override are frozen here, as the status order stood when
`basis_changed` was added (a migration must not change when the code does)."""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "judicial_0003"
down_revision = "judicial_0002"

# Ahead of basis_changed in the status order: the case ended, or the transfer was authorised.
_STANDS_OVER_THE_CHANGE = ("not_opened", "surrendered", "refused", "released",
                           "transfer_authorized", "basis_changed")


def upgrade() -> None:
    for case_id, view in _rows(_changed_cases_not_standing_over_it()):
        _show(case_id, {**view, "status": "basis_changed"})


def downgrade() -> None:
    # The code before this revision has no such status (its responses would refuse the row):
    # each row goes back to what that code's status order gave it, read off the stored view.
    for case_id, view in _rows("SELECT case_id, view FROM judicial_cases "
                               "WHERE status = 'basis_changed'"):
        _show(case_id, {**view, "status": _status_without_basis_changed(view)})


def _changed_cases_not_standing_over_it() -> sa.TextClause:
    return sa.text(
        "SELECT case_id, view FROM judicial_cases c WHERE c.status NOT IN :standing "
        "AND EXISTS (SELECT 1 FROM events e WHERE e.stream_id = c.case_id "
        "AND e.event_type = 'judicial.basis_changed')",
    ).bindparams(sa.bindparam("standing", list(_STANDS_OVER_THE_CHANGE), expanding=True))


def _rows(query: str | sa.TextClause) -> list[tuple[str, dict[str, Any]]]:
    selected = op.get_bind().execute(sa.text(query) if isinstance(query, str) else query)
    return [(case_id, json.loads(view)) for case_id, view in selected.all()]


def _show(case_id: str, view: dict[str, Any]) -> None:
    op.get_bind().execute(
        sa.text("UPDATE judicial_cases SET status = :status, view = :view "
                "WHERE case_id = :case_id"),
        {"status": view["status"], "view": json.dumps(view), "case_id": case_id})


def _status_without_basis_changed(view: dict[str, Any]) -> str:
    """The status order below basis_changed as it stood without it, over the view."""
    steps = {step["step"] for step in view.get("steps", ())}
    order = (
        ("amparo_pending", any(a.get("outcome") is None for a in view.get("amparos", ()))),
        ("surrender_ordered", view.get("surrender") is not None),
        ("surrender_deferred", view.get("deferral") is not None),
        ("extradition_granted", (view.get("sre_decision") or {}).get("decision") == "granted"),
        ("opinion_issued", view.get("judge_opinion") is not None),
        ("consent_given", view.get("consent_given_on") is not None),
        ("hearing", view.get("hearing_held_on") is not None),
        ("formal_request_received", view.get("formal_request_received_on") is not None),
        ("provisional_detention", "provisional_detention_ordered" in steps),
    )
    return next((status for status, applies in order if applies), "opened")
