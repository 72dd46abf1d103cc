"""The demo province's portal: news in every section with pictures, official documents with
their files, the introduction and contact pages. Pictures and files are generated here
(nothing downloaded); names of people are fictional.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Locale
from wagtail.rich_text import RichText

from ioc.dashboards.access import public_charts, public_dashboards
from ioc.demo.registry import DemoContext, demo_step
from ioc.portal.choices import CommentStatus, DocumentStatus, DocumentType, Organ, QuestionStatus
from ioc.portal.indexing import inline_index
from ioc.portal.models import (
    ArticlePage,
    ConsultationPage,
    DocumentAttachment,
    DocumentRegisterPage,
    DraftComment,
    EventPage,
    HomePage,
    LeaderPage,
    OfficialDocumentPage,
    OrganisationPage,
    Question,
    QuestionIndexPage,
    SectionPage,
    StandardPage,
)
from ioc.portal.publishing import unaudited
from ioc.portal.setup import ensure_portal
from ioc.portal.translations import translate

ARTICLES = {"tiny": 40, "small": 160, "full": 320}
DOCUMENTS = {"tiny": 16, "small": 48, "full": 96}
PICTURES = 18
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

PLACES = [
    "Thủ Dầu Một",
    "Dĩ An",
    "Thuận An",
    "Bến Cát",
    "Tân Uyên",
    "Bàu Bàng",
    "Dầu Tiếng",
    "Phú Giáo",
    "Bắc Tân Uyên",
    "Phú Lợi",
    "Chánh Hiệp",
    "Lái Thiêu",
    "Tân Định",
]
TOPICS: dict[str, list[str]] = {
    "chinh-tri": [
        "Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ {n} bàn nhiệm vụ trọng tâm năm tới",
        "Thường trực Tỉnh ủy làm việc với Đảng ủy {place} về phát triển kinh tế - xã hội",
        "HĐND tỉnh khai mạc kỳ họp thứ {n}, xem xét nhiều nghị quyết quan trọng",
        "Đoàn đại biểu Quốc hội tỉnh tiếp xúc cử tri tại {place}",
        "Triển khai mô hình chính quyền địa phương hai cấp: {place} vận hành ổn định",
    ],
    "kinh-te": [
        "Kim ngạch xuất khẩu của tỉnh tăng {pct}% so với cùng kỳ",
        "Khu công nghiệp tại {place} thu hút thêm {n} dự án đầu tư mới",
        "Tiến độ giải ngân vốn đầu tư công đạt {pct}% kế hoạch",
        "Doanh nghiệp {place} đẩy mạnh chuyển đổi số trong sản xuất",
        "Thông xe tuyến đường kết nối {place} với trung tâm tỉnh",
    ],
    "van-hoa-xa-hoi": [
        "{place} ra mắt mô hình khu dân cư văn minh, sạch đẹp",
        "Ngành y tế tăng cường phòng chống sốt xuất huyết tại {place}",
        "Trao {n} căn nhà tình thương cho hộ khó khăn ở {place}",
        "Học sinh {place} đạt {n} giải trong kỳ thi học sinh giỏi cấp tỉnh",
        "Lễ hội văn hóa truyền thống thu hút hàng nghìn người dân {place}",
    ],
    "xay-dung-dang": [
        "Đảng bộ {place} kết nạp {n} đảng viên mới trong quý",
        "Tổng kết công tác kiểm tra, giám sát của Ủy ban Kiểm tra Tỉnh ủy",
        "Học tập, quán triệt nghị quyết mới của Trung ương tại {place}",
        "Nâng cao chất lượng sinh hoạt chi bộ ở khu phố, ấp",
        "Công tác dân vận góp phần giải phóng mặt bằng tại {place}",
    ],
    "quoc-phong-an-ninh": [
        "Diễn tập khu vực phòng thủ tại {place} đạt kết quả tốt",
        "Công an tỉnh ra quân bảo đảm trật tự an toàn giao thông cuối năm",
        "Lễ giao nhận quân năm nay: {n} thanh niên lên đường nhập ngũ",
        "Mô hình camera an ninh cộng đồng phát huy hiệu quả ở {place}",
    ],
    "hoat-dong-lanh-dao": [
        "Bí thư Tỉnh ủy kiểm tra công trình trọng điểm tại {place}",
        "Chủ tịch UBND tỉnh đối thoại với doanh nghiệp về thủ tục đầu tư",
        "Lãnh đạo tỉnh thăm, chúc mừng các đơn vị nhân ngày truyền thống",
        "Phó Bí thư Thường trực Tỉnh ủy tiếp công dân định kỳ tại {place}",
    ],
    "su-kien": [
        "Trung tâm Điều hành thông minh tỉnh kết nối thêm {n} hệ thống dữ liệu",
        "Tuần lễ chuyển đổi số tỉnh năm nay diễn ra tại {place}",
        "Hội chợ thương mại và xúc tiến đầu tư khai mạc tại {place}",
    ],
}
SENTENCES = [
    "Theo báo cáo, các chỉ tiêu chủ yếu đều đạt và vượt kế hoạch đề ra.",
    "Lãnh đạo địa phương đề nghị các sở, ngành tiếp tục phối hợp chặt chẽ, "
    "tháo gỡ khó khăn cho người dân và doanh nghiệp.",
    "Dữ liệu từ Trung tâm Điều hành thông minh giúp theo dõi tiến độ theo thời gian thực.",
    "Người dân có thể phản ánh kiến nghị qua tổng đài 1022 hoặc trên cổng thông tin.",
    "Trong thời gian tới, địa phương tập trung cải cách hành chính, "
    "nâng cao chỉ số hài lòng của người dân.",
    "Công tác tuyên truyền được đẩy mạnh để mọi người dân cùng tham gia, cùng hưởng lợi.",
    "Hội nghị cũng đã thống nhất các giải pháp trọng tâm cho quý tiếp theo.",
]
AUTHORS = ["Minh Anh", "Thanh Hà", "Quốc Bảo", "Ngọc Lan", "Hữu Phước", "Bảo Trâm"]
ISSUERS = ["Tỉnh ủy", "Ban Thường vụ Tỉnh ủy", "UBND tỉnh", "HĐND tỉnh", "Văn phòng Tỉnh ủy"]
SIGNERS = ["Nguyễn Văn An", "Trần Minh Bình", "Lê Thị Cúc", "Phạm Quốc Dũng"]
DOC_SUBJECTS = [
    (DocumentType.RESOLUTION, "NQ/TU", "về phát triển đô thị thông minh giai đoạn 2025 - 2030"),
    (DocumentType.DIRECTIVE, "CT/TU", "về tăng cường công tác phòng, chống thiên tai"),
    (DocumentType.DECISION, "QĐ-UBND", "ban hành quy chế vận hành Trung tâm Điều hành thông minh"),
    (DocumentType.CONCLUSION, "KL/TU", "về tình hình kinh tế - xã hội quý III"),
    (DocumentType.PLAN, "KH/TU", "thực hiện chuyển đổi số trong các cơ quan Đảng"),
    (DocumentType.REGULATION, "QĐi/TU", "về tiếp nhận và xử lý phản ánh, kiến nghị của người dân"),
    (DocumentType.GUIDANCE, "HD/BTGTU", "học tập, quán triệt nghị quyết của Trung ương"),
    (DocumentType.NOTICE, "TB/TU", "kết luận của Thường trực Tỉnh ủy tại buổi làm việc"),
    (DocumentType.REPORT, "BC/TU", "sơ kết công tác xây dựng Đảng sáu tháng đầu năm"),
]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default(size)


def _picture(rng: random.Random, n: int) -> bytes:
    """A landscape-like picture: sky gradient, hills, buildings, a sun; JPEG bytes."""
    width, height = 1600, 900
    top = (rng.randint(60, 140), rng.randint(120, 190), rng.randint(190, 245))
    bottom = (rng.randint(200, 250), rng.randint(190, 235), rng.randint(150, 210))
    image = PILImage.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    sun = rng.randint(150, width - 150), rng.randint(80, 300)
    draw.ellipse([sun[0] - 70, sun[1] - 70, sun[0] + 70, sun[1] + 70], fill=(255, 214, 102))
    for layer in range(3):
        base = 520 + layer * 110
        green = (40 + layer * 30, 110 + layer * 25, 60 + layer * 10)
        points = (
            [(0, height)]
            + [(x, base - rng.randint(0, 140)) for x in range(0, width + 200, 200)]
            + [(width, height)]
        )
        draw.polygon(points, fill=green)
    x = rng.randint(0, 200)
    while x < width:
        w, h = rng.randint(60, 140), rng.randint(120, 420)
        shade = rng.randint(70, 150)
        draw.rectangle([x, 760 - h, x + w, 900], fill=(shade, shade + 10, shade + 25))
        for wy in range(760 - h + 15, 880, 30):
            for wx in range(x + 10, x + w - 10, 22):
                if rng.random() < 0.6:
                    draw.rectangle([wx, wy, wx + 10, wy + 14], fill=(250, 235, 170))
        x += w + rng.randint(20, 120)
    draw.text(
        (24, height - 48), f"Ảnh minh họa (demo) #{n + 1}", fill=(255, 255, 255), font=_font(28)
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def _pdf(title: str, number: str) -> bytes:
    """A one-page A4 PDF with the document's heading, drawn with Pillow."""
    page = PILImage.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    draw.text((120, 120), "ĐẢNG CỘNG SẢN VIỆT NAM", fill="black", font=_font(34))
    draw.text((120, 180), f"Số {number}", fill="black", font=_font(30))
    y = 320
    words, line = title.split(), ""
    for word in words:
        if len(line) + len(word) > 48:
            draw.text((120, y), line, fill="black", font=_font(36))
            y, line = y + 56, ""
        line = f"{line} {word}".strip()
    draw.text((120, y), line, fill="black", font=_font(36))
    draw.text((120, y + 120), "(Văn bản mẫu của tỉnh demo)", fill="gray", font=_font(28))
    out = io.BytesIO()
    page.save(out, "PDF", resolution=150)
    return out.getvalue()


def _body(rng: random.Random, place: str) -> list[tuple[str, object]]:
    paragraphs = [" ".join(rng.sample(SENTENCES, 3)) for _ in range(rng.randint(3, 5))]
    blocks: list[tuple[str, object]] = [("paragraph", RichText(f"<p>{p}</p>")) for p in paragraphs]
    if rng.random() < 0.3:
        blocks.insert(
            2,
            (
                "quote",
                {
                    "text": f"Chúng tôi sẽ tiếp tục lắng nghe ý kiến của người dân {place}.",
                    "source": "Lãnh đạo địa phương",
                },
            ),
        )
    return blocks


@demo_step(order=60, label="Portal")
def portal(ctx: DemoContext) -> str:
    with unaudited(), inline_index():
        return _portal(ctx)


def _portal(ctx: DemoContext) -> str:
    home = ensure_portal()
    if ArticlePage.objects.exists():
        return f"{ArticlePage.objects.count()} articles already there"
    rng = random.Random(f"portal-{ctx.scale.name}")
    pictures = [
        Image.objects.create(
            title=f"Ảnh minh họa {n + 1}",
            file=ContentFile(_picture(rng, n), name=f"demo-{n + 1}.jpg"),
            description=f"Ảnh minh họa cảnh đô thị và đồi xanh số {n + 1}",
        )
        for n in range(PICTURES)
    ]
    sections = {s.slug: s for s in SectionPage.objects.child_of(home)}
    now = timezone.now()
    count = ARTICLES.get(ctx.scale.name, 160)
    slugs = [slug for slug in TOPICS if slug in sections]
    for i in range(count):
        slug = slugs[i % len(slugs)]
        place = rng.choice(PLACES)
        title = rng.choice(TOPICS[slug]).format(
            place=place, n=rng.randint(2, 40), pct=rng.randint(3, 25)
        )
        when = now - dt.timedelta(hours=i * 9 + rng.randint(0, 8), minutes=rng.randint(0, 59))
        picture = pictures[i % len(pictures)]
        article = ArticlePage(
            title=title,
            slug=f"{slug}-{i + 1}",
            date=when,
            first_published_at=when,
            last_published_at=when,
            summary=f"{place}: " + " ".join(rng.sample(SENTENCES, 2)),
            lead_image=picture,
            lead_image_alt=picture.description,
            body=_body(rng, place),
            author=rng.choice(AUTHORS),
            featured=i % 11 == 0,
        )
        sections[slug].add_child(instance=article)
    register = DocumentRegisterPage.objects.child_of(home).first()
    documents = DOCUMENTS.get(ctx.scale.name, 48)
    if register is not None:
        for i in range(documents):
            kind, symbol, subject = DOC_SUBJECTS[i % len(DOC_SUBJECTS)]
            signed = (now - dt.timedelta(days=i * 11 + rng.randint(0, 10))).date()
            number = f"{i + 1:02d}-{symbol}"
            doc = OfficialDocumentPage(
                title=f"{kind.label} {subject}",
                slug=f"van-ban-{i + 1}",
                number=number,
                doc_type=kind,
                issuer=rng.choice(ISSUERS),
                signer=rng.choice(SIGNERS),
                signed_on=signed,
                effective_on=signed + dt.timedelta(days=rng.choice([0, 0, 15])),
                status=DocumentStatus.EXPIRED if i > documents * 0.8 else DocumentStatus.IN_FORCE,
                summary=f"{kind.label} số {number} {subject}. " + rng.choice(SENTENCES),
                first_published_at=timezone.make_aware(dt.datetime.combine(signed, dt.time(9))),
            )
            register.add_child(instance=doc)
            file = Document.objects.create(
                title=f"{number} {subject}"[:255],
                file=ContentFile(
                    _pdf(f"{kind.label} {subject}", number), name=f"{number.replace('/', '-')}.pdf"
                ),
            )
            DocumentAttachment.objects.create(page=doc, document=file, label="Toàn văn (PDF)")
    _pages(home)
    _figures(sections, pictures[0], now)
    extra = _more(home, rng, pictures)
    _english(home)
    return f"{count} articles, {documents} documents, {len(pictures)} pictures, {extra}"


def _figures(sections: dict[str, SectionPage], picture: Image, now: dt.datetime) -> None:
    """An article that shows the IOC's public figures: one chart and one dashboard, live."""
    chart = (
        public_charts().filter(dashboard__slug="moi-truong", kind="line").order_by("y", "x").first()
    )
    dashboard = public_dashboards().filter(slug="giao-thong").first()
    if chart is None or dashboard is None or "van-hoa-xa-hoi" not in sections:
        return
    when = now - dt.timedelta(hours=30)
    sections["van-hoa-xa-hoi"].add_child(
        instance=ArticlePage(
            title="Công khai số liệu môi trường và giao thông trên cổng thông tin",
            slug="cong-khai-so-lieu",
            date=when,
            first_published_at=when,
            last_published_at=when,
            summary="Người dân xem trực tiếp chất lượng không khí và tình hình giao thông, "
            "cập nhật khi dữ liệu về Trung tâm điều hành.",
            lead_image=picture,
            lead_image_alt=picture.description,
            body=[
                (
                    "paragraph",
                    RichText(
                        "<p>Từ nay, số liệu mở về môi trường và giao thông của tỉnh được "
                        "công khai trên cổng thông tin, cập nhật theo dữ liệu mới nhất.</p>"
                    ),
                ),
                ("chart", {"chart": chart, "caption": "Số liệu từ các trạm quan trắc."}),
                ("dashboard", {"dashboard": dashboard, "charts": 4}),
            ],
            author="Ban Biên tập",
        )
    )


def _pages(home: HomePage) -> None:
    intro = StandardPage.objects.filter(slug="gioi-thieu").first()
    if intro is not None and not intro.body:
        intro.intro = (
            "Cổng thông tin điện tử của Đảng bộ tỉnh demo: "
            "thông tin chính thống, nhanh chóng, chính xác."
        )
        intro.body = [
            (
                "paragraph",
                RichText(
                    "<h2>Chức năng, nhiệm vụ</h2><p>Cổng thông tin đăng tải tin tức, "
                    "văn bản của Tỉnh ủy, "
                    "phục vụ công tác lãnh đạo, chỉ đạo và tuyên truyền.</p><h2>Ban Biên tập</h2>"
                    "<p>Ban Biên tập gồm đại diện Ban Tuyên giáo và Văn phòng Tỉnh ủy "
                    "(tên người là hư cấu).</p>"
                ),
            )
        ]
        intro.save_revision().publish()
    contact = StandardPage.objects.filter(slug="lien-he").first()
    if contact is not None and not contact.body:
        contact.intro = "Ban Biên tập Cổng thông tin điện tử Tỉnh ủy."
        contact.body = [
            (
                "paragraph",
                RichText(
                    "<p>Địa chỉ: Trung tâm Hành chính tỉnh, phường Phú Lợi.</p>"
                    "<p>Điện thoại: 0274 000 0000 · Thư điện tử: bbt@example.gov.vn</p>"
                    "<p>Phản ánh, kiến nghị: tổng đài 1022 hoặc mục Phản ánh hiện trường.</p>"
                ),
            )
        ]
        contact.save_revision().publish()
    if not home.services:
        home.intro = "Thông tin chính thống của Đảng bộ, chính quyền tỉnh."
        home.services = [
            (
                "link",
                {
                    "title": "Cổng Dịch vụ công",
                    "url": "https://dichvucong.gov.vn",
                    "description": "Thủ tục hành chính trực tuyến",
                },
            ),
            (
                "link",
                {
                    "title": "Số liệu kinh tế - xã hội",
                    "url": "/ioc/",
                    "description": "Bảng điều hành của tỉnh",
                },
            ),
        ]
        home.save_revision().publish()


LEADERS = [  # fictional people
    ("Nguyễn Minh Quang", "Bí thư Tỉnh ủy", Organ.STANDING, 1968),
    ("Trần Thị Thu Hà", "Phó Bí thư Thường trực Tỉnh ủy", Organ.STANDING, 1972),
    ("Lê Văn Phúc", "Phó Bí thư Tỉnh ủy, Chủ tịch UBND tỉnh", Organ.STANDING, 1970),
    ("Phạm Quốc Thịnh", "Chủ nhiệm Ủy ban Kiểm tra Tỉnh ủy", Organ.INSPECTION, 1975),
    ("Võ Thị Mai", "Trưởng Ban Tuyên giáo và Dân vận Tỉnh ủy", Organ.BOARDS, 1976),
    ("Đặng Hoàng Long", "Chủ tịch HĐND tỉnh", Organ.COUNCIL, 1969),
]
QUESTIONS = [
    (
        "Thủ tục đất đai",
        "Thủ tục tách thửa đất ở tại phường hiện nay cần những giấy tờ gì?",
        "Hồ sơ gồm đơn đề nghị, giấy chứng nhận quyền sử dụng đất và bản vẽ tách thửa; nộp tại "
        "Bộ phận một cửa của phường hoặc trực tuyến trên Cổng Dịch vụ công.",
    ),
    (
        "Giáo dục",
        "Khi nào công bố kế hoạch tuyển sinh lớp 10 năm học mới?",
        "Sở Giáo dục và Đào tạo công bố kế hoạch tuyển sinh trước ngày 15/3 hằng năm trên cổng "
        "thông tin của Sở và của tỉnh.",
    ),
    (
        "Giao thông",
        "Tuyến đường nối trung tâm hành chính bao giờ hoàn thành?",
        "Theo kế hoạch, công trình hoàn thành trong quý IV; tiến độ cập nhật hằng tháng trên "
        "Trung tâm Điều hành thông minh.",
    ),
    (
        "Y tế",
        "Người cao tuổi tiêm vắc xin cúm ở đâu?",
        "Người dân đến trạm y tế phường, xã nơi cư trú; lịch tiêm được thông báo tại khu phố, ấp.",
    ),
    (
        "Chuyển đổi số",
        "Làm sao để theo dõi phản ánh đã gửi qua tổng đài 1022?",
        "Mỗi phản ánh có mã tra cứu; nhập mã tại mục Phản ánh hiện trường để xem tiến độ xử lý.",
    ),
]


def _portrait(n: int) -> bytes:
    """A neutral silhouette (no real face), labelled as a demo picture."""
    image = PILImage.new("RGB", (480, 600), (214, 224, 235))
    draw = ImageDraw.Draw(image)
    draw.ellipse([165, 110, 315, 270], fill=(120, 136, 152))
    draw.pieslice([70, 300, 410, 740], 180, 360, fill=(18, 50, 79))
    draw.text((16, 560), f"Ảnh minh họa #{n + 1}", fill=(60, 70, 80), font=_font(22))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _more(home: HomePage, rng: random.Random, pictures: list[Image]) -> str:
    """Leaders' profiles, events, answered questions and a draft open for comment."""
    now = timezone.now()
    organisation = OrganisationPage.objects.first()
    if organisation is not None and not LeaderPage.objects.exists():
        for n, (name, position, organ, born) in enumerate(LEADERS):
            portrait = Image.objects.create(
                title=f"Chân dung minh họa {n + 1}",
                file=ContentFile(_portrait(n), name=f"chan-dung-{n + 1}.jpg"),
                description=f"Ảnh minh họa thay cho chân dung {name}",
            )
            organisation.add_child(
                instance=LeaderPage(
                    title=name,
                    position=position,
                    organ=organ,
                    born=born,
                    hometown=rng.choice(PLACES),
                    portrait=portrait,
                    duties="Phụ trách chung; theo dõi các lĩnh vực được phân công.",
                )
            )
    events = SectionPage.objects.filter(slug="su-kien").first()
    if events is not None and not EventPage.objects.exists():
        for n, (title, place) in enumerate(
            [
                ("Hội nghị Ban Chấp hành Đảng bộ tỉnh mở rộng", "Hội trường Tỉnh ủy"),
                ("Ngày hội Chuyển đổi số của tỉnh", "Trung tâm Hành chính tỉnh"),
                ("Hội chợ nông sản và sản phẩm OCOP", "Quảng trường tỉnh"),
            ]
        ):
            starts = (now + dt.timedelta(days=3 + n * 6)).replace(hour=8, minute=0, second=0)
            events.add_child(
                instance=EventPage(
                    title=title,
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(hours=8),
                    place=place,
                    summary=f"{title} diễn ra tại {place}.",
                    first_published_at=now - dt.timedelta(days=1),
                )
            )
    qa = QuestionIndexPage.objects.first()
    if qa is not None and not Question.objects.exists():
        for n, (topic, text, answer) in enumerate(QUESTIONS):
            asked = now - dt.timedelta(days=30 - n * 5)
            Question.objects.create(
                page=qa,
                name=rng.choice(["Anh Tuấn", "Chị Lan", "Ông Bảy", "Chị Hồng"]),
                email=f"nguoidan{n}@example.com",
                topic=topic,
                text=text,
                answer=answer,
                status=QuestionStatus.PUBLISHED,
                created_at=asked,
                due_at=asked + dt.timedelta(days=14),
                answered_at=asked + dt.timedelta(days=4),
            )
        Question.objects.create(
            page=qa,
            name="Anh Khoa",
            email="khoa@example.com",
            topic="Môi trường",
            text="Xin hỏi lịch thu gom rác tại khu phố 3 đã thay đổi chưa?",
            due_at=now + dt.timedelta(days=9),
        )
    drafts = StandardPage.objects.filter(slug="lay-y-kien-du-thao").first()
    if drafts is not None and not ConsultationPage.objects.exists():
        draft = ConsultationPage(
            title="Dự thảo Nghị quyết về phát triển đô thị thông minh giai đoạn 2026 - 2030",
            drafted_by="Ban Tuyên giáo và Dân vận Tỉnh ủy",
            summary="Dự thảo nêu mục tiêu, nhiệm vụ và giải pháp xây dựng đô thị thông minh; "
            "Nhân dân, tổ chức góp ý trong thời gian lấy ý kiến.",
            body=_body(rng, "toàn tỉnh"),
            opens_on=timezone.localdate() - dt.timedelta(days=10),
            closes_on=timezone.localdate() + dt.timedelta(days=20),
            first_published_at=now - dt.timedelta(days=10),
        )
        drafts.add_child(instance=draft)
        for n, (name, organisation_name, text, status) in enumerate(
            [
                (
                    "Nguyễn Văn Hòa",
                    "",
                    "Đề nghị bổ sung chỉ tiêu về tỷ lệ hồ sơ trực tuyến.",
                    CommentStatus.APPROVED,
                ),
                (
                    "Lê Thị Ngọc",
                    "Hội Doanh nghiệp tỉnh",
                    "Cần có cơ chế chia sẻ dữ liệu với doanh nghiệp.",
                    CommentStatus.APPROVED,
                ),
                (
                    "Trần Bình",
                    "",
                    "Nên ưu tiên camera giám sát giao thông ở các nút trọng điểm.",
                    CommentStatus.APPROVED,
                ),
                ("Ẩn danh", "", "Góp ý chưa được duyệt.", CommentStatus.PENDING),
            ]
        ):
            DraftComment.objects.create(
                page=draft,
                name=name,
                email=f"gopy{n}@example.com",
                organisation=organisation_name,
                text=text,
                status=status,
                created_at=now - dt.timedelta(days=8 - n),
            )
    return (
        f"{LeaderPage.objects.count()} profiles, {EventPage.objects.count()} events, "
        f"{Question.objects.count()} questions, {DraftComment.objects.count()} comments on a draft"
    )


# The English version of the home, introduction and contact pages: what an editor typed
# beside each Vietnamese text in the side-by-side translation editor (wagtail-localize).
ENGLISH = {
    "Cổng thông tin điện tử Tỉnh ủy": "Provincial Party Committee e-portal",
    "Thông tin chính thống của Đảng bộ, chính quyền tỉnh.": (
        "Official news of the province's Party Committee and authorities."
    ),
    "Cổng Dịch vụ công": "Public-service portal",
    "Thủ tục hành chính trực tuyến": "Administrative procedures online",
    "Số liệu kinh tế - xã hội": "Socio-economic figures",
    "Bảng điều hành của tỉnh": "The province's dashboards",
    "Giới thiệu": "About the portal",
    "gioi-thieu": "introduction",
    "Cổng thông tin điện tử của Đảng bộ tỉnh demo: thông tin chính thống, nhanh chóng, chính "
    "xác.": "The electronic information portal of the demo province's Party Committee: "
    "official news, fast and accurate.",
    "Chức năng, nhiệm vụ": "Role",
    "Cổng thông tin đăng tải tin tức, văn bản của Tỉnh ủy, phục vụ công tác lãnh đạo, chỉ đạo "
    "và tuyên truyền.": "The portal publishes the news and official documents of the "
    "Provincial Party Committee, to serve its leadership and inform the public.",
    "Ban Biên tập": "Editorial board",
    "Ban Biên tập gồm đại diện Ban Tuyên giáo và Văn phòng Tỉnh ủy (tên người là hư cấu).": (
        "Representatives of the Party Committee's boards and office (the names in this demo "
        "are fictional)."
    ),
    "Liên hệ": "Contact",
    "lien-he": "contact",
    "Ban Biên tập Cổng thông tin điện tử Tỉnh ủy.": "The portal's editorial board.",
    "Địa chỉ: Trung tâm Hành chính tỉnh, phường Phú Lợi.": (
        "Address: Provincial Administrative Centre, Phu Loi ward."
    ),
    "Điện thoại: 0274 000 0000 · Thư điện tử: bbt@example.gov.vn": (
        "Telephone: 0274 000 0000 · E-mail: bbt@example.gov.vn"
    ),
    "Phản ánh, kiến nghị: tổng đài 1022 hoặc mục Phản ánh hiện trường.": (
        "Citizen reports: hotline 1022 or the Citizen reports section."
    ),
}


def _english(home: HomePage) -> None:
    """The English home, introduction and contact pages, as an editor translated them."""
    english = Locale.objects.get(language_code="en")
    if home.get_translation_or_none(english) is not None:
        return
    editor = get_user_model().objects.filter(username="bientap").first()
    for page in [
        home,
        StandardPage.objects.filter(slug="gioi-thieu", locale=home.locale).first(),
        StandardPage.objects.filter(slug="lien-he", locale=home.locale).first(),
    ]:
        if page is not None:
            translate(page, "en", ENGLISH, user=editor)
