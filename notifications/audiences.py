"""Who a reminder goes to, by the part they play in the task: the names the policy's
escalation ladder accepts, and how the planner and the digest describe each one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# The names a policy's escalation step may use (validated by pydantic in notifications/policy).
AudienceName = Literal["lead", "lead_leaders", "coordinators", "issuer_office"]


@dataclass(frozen=True)
class Audience:
    # The recipient's role in the planner's summary ("nhận với vai trò …").
    role: str
    # Why the recipient gets the item, in the digest they read ("Lý do nhận nhắc: …").
    reason: str


AUDIENCES: dict[str, Audience] = {
    "lead": Audience(role="đơn vị chủ trì", reason="đơn vị anh/chị chủ trì thực hiện"),
    "lead_leaders": Audience(
        role="lãnh đạo đơn vị chủ trì (quá hạn)",
        reason="nhiệm vụ quá hạn của đơn vị do anh/chị lãnh đạo",
    ),
    "coordinators": Audience(role="đơn vị phối hợp", reason="đơn vị anh/chị phối hợp thực hiện"),
    "issuer_office": Audience(
        role="văn phòng cơ quan giao (quá hạn lâu)",
        reason="nhiệm vụ quá hạn lâu do cơ quan anh/chị giao",
    ),
}

# One list of names: the Literal the policy validates against and the table above.
assert set(get_args(AudienceName)) == set(AUDIENCES)
