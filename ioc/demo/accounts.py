"""The demo's users: one per role, with known passwords printed by `ioc demo`.

These passwords are for the demo province only; `ioc demo` refuses to run when
IOC_DEBUG is false and the database already has non-demo users (see the command).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ioc.accounts.choices import Role


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role | None
    full_name: str
    password: str
    sectors: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    agency: str = ""
    scope_all: bool = False
    citizen: bool = False
    extra: dict[str, bool] = field(default_factory=dict)


DEMO_USERS: list[DemoUser] = [
    DemoUser("admin", Role.SYSTEM_ADMIN, "Quản trị hệ thống", "demo-admin-2025", scope_all=True),
    DemoUser("lanhdao", Role.LEADER, "Nguyễn Văn Lãnh", "demo-lanhdao-2025", scope_all=True),
    DemoUser("vanhanh", Role.OPERATOR, "Trần Thị Vân", "demo-vanhanh-2025", scope_all=True),
    DemoUser(
        "yte",
        Role.SECTOR_OFFICER,
        "Lê Minh Y",
        "demo-yte-2025",
        sectors=("y-te",),
        agency="so-y-te",
    ),
    DemoUser(
        "dulieu",
        Role.DATA_ENGINEER,
        "Phạm Dữ Liệu",
        "demo-dulieu-2025",
        scope_all=True,
        agency="trung-tam-cntt",
    ),
    DemoUser(
        "xuly",
        Role.FEEDBACK_HANDLER,
        "Hoàng Xử Lý",
        "demo-xuly-2025",
        units=("25747",),
        agency="ubnd-phuong-thu-dau-mot",
    ),
    DemoUser("phongvien", Role.PORTAL_WRITER, "Đỗ Phóng Viên", "demo-phongvien-2025"),
    DemoUser("bientap", Role.PORTAL_EDITOR, "Vũ Biên Tập", "demo-bientap-2025"),
    DemoUser("duyet", Role.PORTAL_APPROVER, "Bùi Phê Duyệt", "demo-duyet-2025"),
    DemoUser("congdan", None, "Nguyễn Công Dân", "demo-congdan-2025", citizen=True),
]
