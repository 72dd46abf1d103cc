"""The demo province: units, the 19 sectors, agencies, users for every role, some events.

The area is the configured one (IOC_AREA, by default the former Bình Dương province, 74,
now part of Hồ Chí Minh City). Names and codes are real, from the loaded unit trees.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from ioc.accounts.choices import AccountKind
from ioc.accounts.models import User
from ioc.accounts.roles import ensure_roles
from ioc.core.models import AdministrativeUnit, Agency, Sector
from ioc.demo.accounts import DEMO_USERS
from ioc.demo.registry import DemoContext, demo_step

# (code, Vietnamese, English, icon): the seed's 19 sectors.
SECTORS = [
    ("y-te", "Y tế", "Health", "heart-pulse"),
    ("giao-duc", "Giáo dục và Đào tạo", "Education and training", "school"),
    ("giao-thong", "Giao thông vận tải", "Transport", "road"),
    ("moi-truong", "Tài nguyên và Môi trường", "Natural resources and environment", "leaf"),
    ("ke-hoach-dau-tu", "Kế hoạch và Đầu tư", "Planning and investment", "chart"),
    ("tai-chinh", "Tài chính", "Finance", "coins"),
    ("cong-thuong", "Công Thương", "Industry and trade", "factory"),
    (
        "nong-nghiep",
        "Nông nghiệp và Phát triển nông thôn",
        "Agriculture and rural development",
        "wheat",
    ),
    (
        "lao-dong-xa-hoi",
        "Lao động, Thương binh và Xã hội",
        "Labour, invalids and social affairs",
        "people",
    ),
    ("xay-dung", "Xây dựng", "Construction", "crane"),
    ("van-hoa-du-lich", "Văn hóa, Thể thao và Du lịch", "Culture, sports and tourism", "theater"),
    (
        "thong-tin-truyen-thong",
        "Thông tin và Truyền thông",
        "Information and communications",
        "antenna",
    ),
    ("khoa-hoc-cong-nghe", "Khoa học và Công nghệ", "Science and technology", "flask"),
    ("tu-phap", "Tư pháp", "Justice", "scale"),
    ("noi-vu", "Nội vụ", "Home affairs", "building"),
    ("an-ninh-trat-tu", "An ninh, trật tự", "Public security and order", "shield"),
    ("thue", "Thuế", "Taxation", "receipt"),
    ("dich-vu-cong", "Dịch vụ công", "Public services", "stamp"),
    ("phong-chong-thien-tai", "Phòng chống thiên tai", "Disaster prevention", "flood"),
]

# (code, name, English, kind, sectors): province-level agencies.
PROVINCE_AGENCIES = [
    ("tinh-uy", "Tỉnh ủy Bình Dương", "Provincial Party Committee", "party", []),
    ("ubnd-tinh", "Ủy ban nhân dân tỉnh", "Provincial People's Committee", "committee", []),
    ("so-y-te", "Sở Y tế", "Department of Health", "department", ["y-te"]),
    (
        "so-gddt",
        "Sở Giáo dục và Đào tạo",
        "Department of Education and Training",
        "department",
        ["giao-duc"],
    ),
    ("so-gtvt", "Sở Giao thông Vận tải", "Department of Transport", "department", ["giao-thong"]),
    (
        "so-tnmt",
        "Sở Tài nguyên và Môi trường",
        "Department of Natural Resources and Environment",
        "department",
        ["moi-truong"],
    ),
    (
        "so-khdt",
        "Sở Kế hoạch và Đầu tư",
        "Department of Planning and Investment",
        "department",
        ["ke-hoach-dau-tu"],
    ),
    ("so-tai-chinh", "Sở Tài chính", "Department of Finance", "department", ["tai-chinh"]),
    (
        "so-cong-thuong",
        "Sở Công Thương",
        "Department of Industry and Trade",
        "department",
        ["cong-thuong"],
    ),
    (
        "so-nnptnt",
        "Sở Nông nghiệp và Phát triển nông thôn",
        "Department of Agriculture and Rural Development",
        "department",
        ["nong-nghiep"],
    ),
    (
        "so-ldtbxh",
        "Sở Lao động - Thương binh và Xã hội",
        "Department of Labour, Invalids and Social Affairs",
        "department",
        ["lao-dong-xa-hoi"],
    ),
    ("so-xay-dung", "Sở Xây dựng", "Department of Construction", "department", ["xay-dung"]),
    (
        "so-vhttdl",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Department of Culture, Sports and Tourism",
        "department",
        ["van-hoa-du-lich"],
    ),
    (
        "so-tttt",
        "Sở Thông tin và Truyền thông",
        "Department of Information and Communications",
        "department",
        ["thong-tin-truyen-thong"],
    ),
    (
        "so-khcn",
        "Sở Khoa học và Công nghệ",
        "Department of Science and Technology",
        "department",
        ["khoa-hoc-cong-nghe"],
    ),
    ("so-tu-phap", "Sở Tư pháp", "Department of Justice", "department", ["tu-phap"]),
    ("so-noi-vu", "Sở Nội vụ", "Department of Home Affairs", "department", ["noi-vu"]),
    ("cong-an-tinh", "Công an tỉnh", "Provincial Police", "police", ["an-ninh-trat-tu"]),
    ("cuc-thue", "Cục Thuế tỉnh", "Provincial Tax Department", "office", ["thue"]),
    (
        "tt-hanh-chinh-cong",
        "Trung tâm Phục vụ hành chính công",
        "Public Administration Centre",
        "service",
        ["dich-vu-cong"],
    ),
    (
        "bch-pctt",
        "Ban Chỉ huy Phòng chống thiên tai và Tìm kiếm cứu nạn",
        "Disaster Prevention and Search and Rescue Command",
        "office",
        ["phong-chong-thien-tai"],
    ),
    (
        "trung-tam-cntt",
        "Trung tâm Giám sát, điều hành thông minh (IOC)",
        "Intelligent Operations Centre",
        "service",
        [],
    ),
]


def area_province() -> AdministrativeUnit:
    """The current province that contains the configured area."""
    unit = (
        AdministrativeUnit.objects.filter(in_area=True, level=1, valid_to__isnull=True)
        .order_by("code")
        .first()
    )
    if unit is None:
        unit = AdministrativeUnit.objects.filter(in_area=True, level=1).order_by("code").first()
    if unit is None:
        raise RuntimeError(
            "Không có đơn vị hành chính nào trong địa bàn (IOC_AREA) / "
            f"no administrative unit is in the configured area IOC_AREA={settings.IOC_AREA}"
        )
    return unit


@demo_step(order=10, label="Administrative units")
def units(ctx: DemoContext) -> str:
    from ioc.core.units.area import refresh_area
    from ioc.core.units.loader import load_units

    provinces = None if ctx.scale.whole_country else ["74", "79"]
    counts = load_units(provinces=provinces)
    in_area = refresh_area(list(settings.IOC_AREA))
    return f"{sum(v for v in counts.values() if isinstance(v, int))} records, {in_area} in area"


@demo_step(order=20, label="Sectors")
def sectors(ctx: DemoContext) -> str:
    for order, (code, name, name_en, icon) in enumerate(SECTORS, start=1):
        Sector.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "icon": icon, "order": order}
        )
    return f"{Sector.objects.count()} sectors"


@demo_step(order=30, label="Agencies")
def agencies(ctx: DemoContext) -> str:
    province = area_province()
    by_code = {s.code: s for s in Sector.objects.all()}
    with transaction.atomic():
        parent = None
        for code, name, name_en, kind, sector_codes in PROVINCE_AGENCIES:
            agency, _ = Agency.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_en": name_en,
                    "kind": kind,
                    "unit": province,
                    "parent": parent if kind != "party" else None,
                },
            )
            if code == "ubnd-tinh":
                parent = agency
            agency.sectors.set([by_code[c] for c in sector_codes])
        committee = Agency.objects.get(code="ubnd-tinh")
        communes = AdministrativeUnit.objects.filter(
            in_area=True, level=3, valid_to__isnull=True
        ).order_by("code")
        if ctx.scale.commune_agencies is not None:
            communes = communes[: ctx.scale.commune_agencies]
        for unit in communes:
            short = unit.name.split(" ", 1)[0].lower()  # phường / xã
            rest = unit.name.split(" ", 1)[1] if " " in unit.name else unit.name
            agency, _ = Agency.objects.update_or_create(
                code=f"ubnd-{short}-{slug(rest)}"[:60],
                defaults={
                    "name": f"UBND {unit.name.lower().split(' ', 1)[0]} {rest}",
                    "name_en": f"People's Committee of {unit.name}",
                    "kind": "commune",
                    "unit": unit,
                    "parent": committee,
                },
            )
            agency.sectors.set(list(by_code.values()))
    return f"{Agency.objects.count()} agencies"


def slug(text: str) -> str:
    from django.utils.text import slugify

    from ioc.core.text import fold

    return slugify(fold(text))


@demo_step(order=40, label="Users")
def users(ctx: DemoContext) -> str:
    ensure_roles()
    created = 0
    for demo in DEMO_USERS:
        user = User.objects.filter(username=demo.username).first()
        if user is None:
            first, _, last = demo.full_name.rpartition(" ")
            user = User(
                username=demo.username,
                first_name=last,
                last_name=first,
                email=f"{demo.username}@demo.ioc.local",
            )
            user.set_password(demo.password)
            created += 1
        user.kind = AccountKind.CITIZEN if demo.citizen else AccountKind.STAFF
        user.is_staff = demo.role is not None and demo.role.value in {
            "system_admin",
            "data_engineer",
            "sector_officer",
        }
        user.is_superuser = demo.role is not None and demo.role.value == "system_admin"
        user.scope_all = demo.scope_all
        user.agency = Agency.objects.filter(code=demo.agency).first() if demo.agency else None
        if demo.agency and demo.agency.startswith("ubnd-phuong") and user.agency is None:
            user.agency = Agency.objects.filter(kind="commune").order_by("code").first()
        user.save()
        user.groups.set(Group.objects.filter(name=demo.role.value) if demo.role else [])
        user.scope_sectors.set(Sector.objects.filter(code__in=demo.sectors))
        units = AdministrativeUnit.objects.filter(
            code__in=demo.units, level=3, valid_to__isnull=True, in_area=True
        )
        if demo.units and not units.exists() and user.agency is not None:
            units = AdministrativeUnit.objects.filter(pk=user.agency.unit_id)
        user.scope_units.set(units)
    return f"{len(DEMO_USERS)} demo users ({created} new)"


EVENT_TEMPLATES = [
    (
        "phong-chong-thien-tai",
        "flood",
        "severe",
        "immediate",
        "observed",
        "Ngập sâu 40 cm tại {unit}",
        "Mực nước vượt ngưỡng báo động 2 tại điểm đo.",
    ),
    (
        "giao-thong",
        "traffic",
        "moderate",
        "expected",
        "likely",
        "Ùn tắc kéo dài trên tuyến qua {unit}",
        "Lưu lượng xe vượt 120% năng lực thông hành.",
    ),
    (
        "moi-truong",
        "air-quality",
        "moderate",
        "expected",
        "observed",
        "Chỉ số AQI 165 tại {unit}",
        "Chất lượng không khí kém, ảnh hưởng nhóm nhạy cảm.",
    ),
    (
        "y-te",
        "health",
        "minor",
        "future",
        "possible",
        "Số ca sốt xuất huyết tăng tại {unit}",
        "Tăng 30% so với cùng kỳ tuần trước.",
    ),
    (
        "an-ninh-trat-tu",
        "public-order",
        "severe",
        "immediate",
        "observed",
        "Tụ tập đông người tại {unit}",
        "Camera ghi nhận mật độ người vượt ngưỡng.",
    ),
    (
        "dich-vu-cong",
        "late-data",
        "minor",
        "past",
        "observed",
        "Dữ liệu hồ sơ dịch vụ công của {unit} chưa cập nhật",
        "Trễ hạn cập nhật hằng ngày 17:00.",
    ),
]


@demo_step(order=60, label="Operations events")
def events(ctx: DemoContext) -> str:
    from ioc.operations.models import Event
    from ioc.operations.services import raise_event

    communes = list(
        AdministrativeUnit.objects.filter(in_area=True, level=3, valid_to__isnull=True).order_by(
            "code"
        )
    )
    if not communes:
        return "no communes in area: no events"
    sectors_by_code = {s.code: s for s in Sector.objects.all()}
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    made = 0
    for i in range(ctx.scale.events):
        sector, category, sev, urg, cert, headline, desc = EVENT_TEMPLATES[i % len(EVENT_TEMPLATES)]
        unit = communes[ctx.rng.randrange(len(communes))]
        key = f"demo:{category}:{i}"
        if Event.objects.filter(dedup_key=key).exists():
            continue  # idempotent: raising again would count a repeat
        raise_event(
            source="demo",
            category=category,
            severity=sev,
            urgency=urg,
            certainty=cert,
            headline=headline.format(unit=unit.name),
            description=desc,
            unit=unit,
            sector=sectors_by_code.get(sector),
            agency=Agency.objects.filter(unit=unit).first(),
            occurred_at=now - dt.timedelta(minutes=37 * i),
            dedup_key=key,
        )
        made += 1
    return f"{ctx.scale.events} events ({made} new)"
