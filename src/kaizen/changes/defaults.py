"""Reference data of change enablement every installation starts with: the CAB and the ECAB.

They start without members: an administrator names them (Settings → Change boards) before the
first normal or emergency change can be submitted.
"""

from __future__ import annotations

from kaizen.approvals.choices import ApprovalMode
from kaizen.core import defaults
from kaizen.core.services import create_record

from .choices import BoardKind
from .models import ChangeBoard

BOARDS = [
    (
        BoardKind.CAB,
        "変更諮問委員会 (CAB)",
        "Change advisory board (CAB)",
        ApprovalMode.ALL,
        "毎週火曜 10:00",
    ),
    (
        BoardKind.ECAB,
        "緊急変更諮問委員会 (ECAB)",
        "Emergency change advisory board (ECAB)",
        ApprovalMode.ANY,
        "随時（24時間）",
    ),
]


@defaults.register("changes", order=60)
def load() -> None:
    """Create the boards that do not exist yet."""
    present = set(ChangeBoard.objects.values_list("kind", flat=True))
    for kind, name, name_en, mode, meets in BOARDS:
        if kind not in present:
            create_record(
                ChangeBoard,
                actor=None,
                check=False,
                data={"kind": kind, "name": name, "name_en": name_en, "mode": mode, "meets_on": meets},
            )
