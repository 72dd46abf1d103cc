"""The demo's citizen reports: the categories a province uses, and a year of reports across
categories, communes and states, with answers, ratings, and some overdue.

Deterministic (ctx.rng) and idempotent: reports are generated once; a second run leaves them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from ioc.core.models import AdministrativeUnit, Agency, Sector
from ioc.core.units.locate import Locator
from ioc.demo.registry import DemoContext, demo_step
from ioc.feedback import calendar, stats
from ioc.feedback.models import Category, Entry, Report
from ioc.feedback.services import mask_contacts, route

# (code, name, English, parent, sector, agency, route_to, deadline, unit, questions)
GROUPS = [
    ("ha-tang", "Hạ tầng, giao thông", "Infrastructure and roads", "giao-thong"),
    ("moi-truong-do-thi", "Môi trường, vệ sinh", "Environment and sanitation", "moi-truong"),
    ("trat-tu", "Trật tự đô thị, an ninh", "Urban order and security", "an-ninh-trat-tu"),
    ("hanh-chinh", "Thủ tục hành chính, dịch vụ công", "Administrative procedures", "dich-vu-cong"),
]
KIND = {
    "code": "muc-do",
    "datatype": "singlevaluelist",
    "required": False,
    "description": "Mức độ / How bad",
    "values": [
        {"key": "nho", "name": "Nhỏ / Minor"},
        {"key": "vua", "name": "Vừa / Moderate"},
        {"key": "nghiem-trong", "name": "Nghiêm trọng / Serious"},
    ],
}
CATEGORIES: list[tuple[Any, ...]] = [
    (
        "hu-hong-duong",
        "Hư hỏng đường, ổ gà",
        "Road damage, potholes",
        "ha-tang",
        "so-gtvt",
        "agency",
        3,
        "working_days",
        [KIND],
    ),
    (
        "den-duong",
        "Đèn đường, đèn tín hiệu hỏng",
        "Street or traffic lights out",
        "ha-tang",
        "so-gtvt",
        "commune",
        3,
        "working_days",
        [],
    ),
    (
        "cay-xanh",
        "Cây xanh gãy đổ, nguy hiểm",
        "Fallen or dangerous trees",
        "ha-tang",
        "so-xay-dung",
        "commune",
        1,
        "working_days",
        [],
    ),
    (
        "ngap-ung",
        "Ngập úng, thoát nước",
        "Flooding, drainage",
        "ha-tang",
        "bch-pctt",
        "agency",
        24,
        "hours",
        [
            {
                "code": "do-sau",
                "datatype": "number",
                "required": False,
                "description": "Độ sâu ước tính (cm) / Estimated depth (cm)",
            }
        ],
    ),
    (
        "rac-thai",
        "Rác thải, vệ sinh môi trường",
        "Garbage and sanitation",
        "moi-truong-do-thi",
        "so-tnmt",
        "commune",
        3,
        "working_days",
        [],
    ),
    (
        "o-nhiem",
        "Ô nhiễm không khí, nguồn nước",
        "Air or water pollution",
        "moi-truong-do-thi",
        "so-tnmt",
        "agency",
        5,
        "working_days",
        [
            {
                "code": "loai",
                "datatype": "singlevaluelist",
                "required": True,
                "description": "Loại ô nhiễm / Kind of pollution",
                "values": [
                    {"key": "khong-khi", "name": "Không khí / Air"},
                    {"key": "nuoc", "name": "Nguồn nước / Water"},
                    {"key": "mui", "name": "Mùi hôi / Smell"},
                ],
            }
        ],
    ),
    (
        "tieng-on",
        "Tiếng ồn",
        "Noise",
        "moi-truong-do-thi",
        "so-tnmt",
        "commune",
        3,
        "working_days",
        [],
    ),
    (
        "xay-dung-trai-phep",
        "Xây dựng trái phép, sai phép",
        "Illegal construction",
        "trat-tu",
        "so-xay-dung",
        "commune",
        3,
        "working_days",
        [],
    ),
    (
        "lan-chiem-via-he",
        "Lấn chiếm vỉa hè, lòng đường",
        "Pavement encroachment",
        "trat-tu",
        "so-xay-dung",
        "commune",
        3,
        "working_days",
        [],
    ),
    (
        "an-ninh-trat-tu",
        "An ninh, trật tự công cộng",
        "Public order and security",
        "trat-tu",
        "cong-an-tinh",
        "agency",
        1,
        "working_days",
        [],
    ),
    (
        "thu-tuc-hanh-chinh",
        "Thủ tục hành chính chậm, gây phiền hà",
        "Slow or troublesome procedures",
        "hanh-chinh",
        "tt-hanh-chinh-cong",
        "agency",
        5,
        "working_days",
        [],
    ),
]
TEXTS = {
    "hu-hong-duong": [
        "Mặt đường có ổ gà lớn, xe máy dễ té ngã.",
        "Đường bị lún sụt sau mưa, nguy hiểm ban đêm.",
    ],
    "den-duong": [
        "Đèn đường tắt cả tuần nay, đoạn đường rất tối.",
        "Đèn tín hiệu giao lộ không hoạt động giờ cao điểm.",
    ],
    "cay-xanh": [
        "Cây lớn nghiêng ra đường sau mưa bão, có nguy cơ đổ.",
        "Cành cây gãy treo lơ lửng trên vỉa hè.",
    ],
    "ngap-ung": [
        "Mưa lớn, nước ngập sâu, xe chết máy hàng loạt.",
        "Cống thoát nước bị nghẹt, nước tràn vào nhà dân.",
    ],
    "rac-thai": [
        "Rác thải sinh hoạt đổ trộm đầu hẻm nhiều ngày chưa thu gom.",
        "Bãi rác tự phát bốc mùi hôi thối.",
    ],
    "o-nhiem": [
        "Khói bụi từ xưởng sản xuất gây khó thở cho người dân.",
        "Nước kênh đổi màu đen, cá chết nổi.",
    ],
    "tieng-on": ["Quán karaoke mở nhạc lớn sau 22 giờ.", "Công trình thi công ban đêm gây ồn."],
    "xay-dung-trai-phep": [
        "Công trình xây dựng không có giấy phép, lấn ra hành lang.",
        "Nhà xây vượt số tầng được cấp phép.",
    ],
    "lan-chiem-via-he": [
        "Quán ăn bày bàn ghế chiếm hết vỉa hè.",
        "Xe ô tô đậu trên vỉa hè, người đi bộ phải xuống lòng đường.",
    ],
    "an-ninh-trat-tu": [
        "Nhóm thanh niên tụ tập gây mất trật tự ban đêm.",
        "Đua xe trái phép trên tuyến đường chính.",
    ],
    "thu-tuc-hanh-chinh": [
        "Hồ sơ đăng ký kinh doanh trễ hẹn hai tuần.",
        "Bộ phận một cửa yêu cầu bổ sung giấy tờ không có trong quy định.",
    ],
}
ANSWERS = [
    "Đơn vị đã kiểm tra hiện trường và khắc phục xong. Cảm ơn người dân đã phản ánh.",
    "Đã phối hợp với đơn vị quản lý xử lý dứt điểm; sẽ tiếp tục theo dõi.",
    "Đã lập biên bản vi phạm và yêu cầu khắc phục; người dân tiếp tục giám sát giúp.",
]
STREETS = [
    "Đại lộ Bình Dương",
    "Yersin",
    "Cách Mạng Tháng Tám",
    "Phú Lợi",
    "Nguyễn Văn Tiết",
    "Lê Hồng Phong",
]
NAMES = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Em",
    "Võ Thị Phương",
]
EXTRA_AGENCIES = [
    ("so-xay-dung", "Sở Xây dựng", "Department of Construction", "department"),
    ("cong-an-tinh", "Công an tỉnh", "Provincial Police", "police"),
    ("so-gtvt", "Sở Giao thông vận tải", "Department of Transport", "department"),
]
REPORTS = {"tiny": 400, "small": 3000, "full": 5000}


def _agency(code: str) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    return agency or Agency.objects.get(code="ubnd-tinh")


def ensure_categories() -> dict[str, Category]:
    province = Agency.objects.get(code="ubnd-tinh")
    for code, name, name_en, kind in EXTRA_AGENCIES:
        Agency.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "unit": province.unit,
                "parent": province,
            },
        )
    sectors = {s.code: s for s in Sector.objects.all()}
    parents = {}
    for order, (code, name, name_en, sector) in enumerate(GROUPS):
        parents[code], _ = Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "sector": sectors.get(sector),
                "agency": province,
                "order": order * 100,
            },
        )
    found = {}
    for order, (
        code,
        name,
        name_en,
        parent,
        agency,
        route_to,
        deadline,
        unit,
        questions,
    ) in enumerate(CATEGORIES):
        found[code], _ = Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "parent": parents[parent],
                "sector": parents[parent].sector,
                "agency": _agency(agency),
                "route_to": route_to,
                "deadline": deadline,
                "deadline_unit": unit,
                "attributes": questions,
                "order": order,
            },
        )
    return found


def file_one(rng: Any) -> Report | None:
    """One new report, filed as a citizen would (the running demo's trickle)."""
    from ioc.feedback.services import Submission, submit_report

    locator = Locator.for_day()
    if not len(locator) or locator.bounds is None:
        return None
    categories = list(Category.objects.filter(is_active=True, code__in=TEXTS))
    if not categories:
        return None
    west, south, east, north = locator.bounds
    for _attempt in range(50):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if locator.locate(lon, lat) is not None:
            break
    else:
        return None
    category = rng.choice(categories)
    answers = {
        q["code"]: q["values"][0]["key"]
        for q in category.attributes
        if q.get("required") and q.get("values")
    }
    return submit_report(
        Submission(
            category=category.code,
            description=f"{rng.choice(TEXTS[category.code])} Địa điểm: "
            f"{rng.randint(1, 400)} {rng.choice(STREETS)}.",
            lat=lat,
            lon=lon,
            name=rng.choice(NAMES),
            phone=f"09{rng.randint(10_000_000, 99_999_999)}",
            answers=answers,
            channel="web",
            client="demo",
        )
    )


@demo_step(order=54, label="Citizen reports")
def reports(ctx: DemoContext) -> str:
    categories = ensure_categories()
    if Report.objects.exists():
        return f"{len(categories)} categories; {Report.objects.count()} reports already there"
    locator = Locator.for_day()
    if not len(locator) or locator.bounds is None:
        return f"{len(categories)} categories; no boundaries, no reports"
    rng = np.random.default_rng(54)
    count = REPORTS.get(ctx.scale.name, 3000)
    west, south, east, north = locator.bounds
    lon = rng.uniform(west, east, count * 3)
    lat = rng.uniform(south, north, count * 3)
    codes = locator.codes(lon, lat)
    keep = np.flatnonzero(codes != None)[:count]  # noqa: E711  (numpy elementwise)
    units = {
        u.code: u for u in AdministrativeUnit.objects.current().filter(code__in=set(codes[keep]))
    }
    cats = list(categories.values())
    weights = np.array([3, 2, 1, 2, 4, 1, 2, 2, 3, 1, 1], dtype=float)[: len(cats)]
    now = timezone.now()
    reports: list[Report] = []
    plans: list[list[tuple[str, dt.datetime]]] = []
    for n, i in enumerate(keep):
        category = cats[rng.choice(len(cats), p=weights / weights.sum())]
        age = dt.timedelta(days=float(rng.uniform(0, 365)) ** 1.15 / 365**0.15)
        received = now - age
        due = calendar.due_at(received, category.deadline, category.deadline_unit)
        unit = units.get(codes[i])
        handling = dt.timedelta(hours=float(rng.gamma(2.0, 30)))
        roll = rng.random()
        steps: list[tuple[str, dt.datetime]] = [("received", received)]
        if roll < 0.04:
            steps.append(("rejected", received + handling / 4))
        elif roll < 0.09 and received + handling < now:  # stuck with the agency: overdue
            steps += [("accepted", received + handling / 8), ("assigned", received + handling / 4)]
        elif received + handling < now:
            steps += [
                ("accepted", received + handling / 8),
                ("assigned", received + handling / 4),
                ("in_progress", received + handling / 2),
                ("resolved", received + handling),
            ]
            if received + handling + dt.timedelta(days=7) < now and rng.random() < 0.7:
                steps.append(("closed", received + handling + dt.timedelta(days=7)))
        elif roll < 0.5:
            steps.append(("accepted", received + (now - received) / 3))
        text = str(rng.choice(TEXTS[category.code]))
        where = f"{int(rng.integers(1, 400))} {rng.choice(STREETS)}"
        anonymous = rng.random() < 0.2
        resolved = steps[-1][0] in ("resolved", "closed")
        report = Report(
            category=category,
            description=f"{text} Địa điểm: {where}.",
            public_text=mask_contacts(f"{text} Địa điểm: {where}."),
            lat=float(lat[i]),
            lon=float(lon[i]),
            address=where,
            unit=unit,
            agency=route(category, unit),
            status=steps[-1][0],
            channel=str(rng.choice(["web", "web", "web", "hotline", "open311"])),
            received_at=received,
            due_at=due,
            # resolved (or rejected) when the answer was given, not when it was closed
            closed_at=next((at for st, at in steps if st in ("resolved", "rejected")), None),
            anonymous=anonymous,
            name="" if anonymous else str(rng.choice(NAMES)),
            phone="" if anonymous else f"09{int(rng.integers(10_000_000, 99_999_999))}",
            answer=str(rng.choice(ANSWERS)) if resolved else "",
            reject_reason="Nội dung không thuộc phạm vi tiếp nhận."
            if steps[-1][0] == "rejected"
            else "",
            rating=("satisfied" if rng.random() < 0.8 else "unsatisfied")
            if resolved and rng.random() < 0.6
            else "",
            tracking_code=f"DEMO{n:06d}",
        )
        report.text_folded = ""  # filled below (bulk_create skips save())
        reports.append(report)
        plans.append(steps)
    from ioc.core.text import fold

    for report in reports:
        report.text_folded = fold(report.public_text)
    with transaction.atomic():
        Report.objects.bulk_create(reports, batch_size=500)
        entries = []
        for report, steps in zip(reports, plans, strict=True):
            previous = ""
            for status, at in steps:
                note = (
                    report.answer
                    if status == "resolved"
                    else report.reject_reason
                    if status == "rejected"
                    else ""
                )
                entries.append(
                    Entry(
                        report=report,
                        kind="status",
                        at=at,
                        from_status=previous,
                        to_status=status,
                        note=note,
                        actor_name="" if status == "received" else "demo",
                    )
                )
                if status == "received":
                    entries.append(Entry(report=report, kind="routed", at=at, agency=report.agency))
                previous = status
        Entry.objects.bulk_create(entries, batch_size=1000)
    overdue = Report.objects.overdue().count()
    rows = stats.sync(full=True)
    return (
        f"{len(categories)} categories; {len(reports)} reports ({overdue} overdue),"
        f" {rows} rows in {stats.SLUG}"
    )
