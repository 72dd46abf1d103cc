"""The portal's skeleton, created at every migrate and kept as editors change it.

* The home page at the site's root (Wagtail's "welcome" page replaced), its sections, the
  documents register, the introduction and contact pages: created once, never overwritten.
* The editorial board ("Ban Biên tập"): writers draft (and edit their own drafts), editors
  edit any page, approvers publish; a workflow of two reviews (editor, then the board) on the
  home page, so every page under it goes through both before it is published.
* Images and documents: the three roles may upload and choose them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.text import slugify
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from ioc.accounts.choices import Role
from ioc.portal.indexing import inline_index
from ioc.portal.models import (
    DocumentRegisterPage,
    HomePage,
    OrganisationPage,
    QuestionIndexPage,
    SectionPage,
    StandardPage,
)
from ioc.portal.publishing import unaudited

SECTIONS = [
    ("chinh-tri", "Chính trị"),
    ("kinh-te", "Kinh tế"),
    ("van-hoa-xa-hoi", "Văn hóa - Xã hội"),
    ("xay-dung-dang", "Xây dựng Đảng"),
    ("quoc-phong-an-ninh", "Quốc phòng - An ninh"),
    ("hoat-dong-lanh-dao", "Hoạt động của lãnh đạo"),
    ("su-kien", "Sự kiện"),
]
PAGE_PERMISSIONS = {
    Role.PORTAL_WRITER: ["add_page"],
    Role.PORTAL_EDITOR: ["add_page", "change_page", "lock_page"],
    Role.PORTAL_APPROVER: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
COLLECTION_PERMISSIONS = {
    Role.PORTAL_WRITER: ["add_image", "choose_image", "add_document", "choose_document"],
    Role.PORTAL_EDITOR: [
        "add_image",
        "change_image",
        "choose_image",
        "add_document",
        "change_document",
        "choose_document",
    ],
    Role.PORTAL_APPROVER: [
        "add_image",
        "change_image",
        "choose_image",
        "add_document",
        "change_document",
        "choose_document",
    ],
}
WORKFLOW = "Ban Biên tập"
TASKS = [
    ("Biên tập viên duyệt", Role.PORTAL_EDITOR),
    ("Ban Biên tập phê duyệt", Role.PORTAL_APPROVER),
]


def portal_name() -> str:
    return settings.WAGTAIL_SITE_NAME


def ensure_portal() -> HomePage:
    with transaction.atomic(), unaudited(), inline_index():
        return _ensure()


def _ensure() -> HomePage:
    home = _home()
    for position, (slug, title) in enumerate(SECTIONS):
        if not SectionPage.objects.filter(slug=slug).exists():
            home.add_child(instance=SectionPage(title=title, slug=slug, show_in_menus=position < 5))
    if not DocumentRegisterPage.objects.exists():
        home.add_child(
            instance=DocumentRegisterPage(
                title="Văn bản",
                slug="van-ban",
                show_in_menus=True,
                intro="Nghị quyết, chỉ thị, quyết định, kết luận và các văn bản khác.",
            )
        )
    for slug, title in (("gioi-thieu", "Giới thiệu"), ("lien-he", "Liên hệ")):
        if not StandardPage.objects.filter(slug=slug).exists():
            home.add_child(instance=StandardPage(title=title, slug=slug, show_in_menus=True))
    about = StandardPage.objects.filter(slug="gioi-thieu").first()
    if about is not None and not OrganisationPage.objects.exists():
        about.add_child(instance=OrganisationPage(title="Cơ cấu tổ chức", slug="co-cau-to-chuc"))
    if not QuestionIndexPage.objects.exists():
        home.add_child(
            instance=QuestionIndexPage(
                title="Hỏi - đáp",
                slug="hoi-dap",
                show_in_menus=True,
                intro="Người dân, doanh nghiệp gửi câu hỏi; Ban Biên tập trả lời và công bố.",
            )
        )
    if not StandardPage.objects.filter(slug="lay-y-kien-du-thao").exists():
        home.add_child(
            instance=StandardPage(
                title="Lấy ý kiến dự thảo",
                slug="lay-y-kien-du-thao",
                intro="Các dự thảo văn bản đang lấy ý kiến góp ý của Nhân dân.",
            )
        )
    _board(home)
    return home


def _home() -> HomePage:
    if not Locale.objects.exists():  # gone after a flush; Wagtail's migration made it
        Locale.objects.create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
        )
    for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES:  # English, for translations
        Locale.objects.get_or_create(language_code=code)
    home = HomePage.objects.filter(locale=Locale.get_default()).first()
    if home is None:
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        home = root.add_child(instance=HomePage(title=portal_name(), slug=slugify("trang-chu")))
        # Wagtail's own "welcome" page goes: the portal's home takes its place.
        Page.objects.filter(depth=2, content_type__model="page", numchild=0).exclude(
            pk=home.pk
        ).delete()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name=portal_name(),
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = site.site_name or portal_name()
        site.save()
    return home


def _board(home: HomePage) -> None:
    """The editorial board's groups, their rights on pictures and files, and its workflow;
    on every language's home page (the English one exists once a page is translated)."""
    groups = _groups()
    translate = _translation_permission()
    groups[Role.PORTAL_EDITOR].permissions.add(translate)
    groups[Role.PORTAL_APPROVER].permissions.add(translate)
    collection = Collection.get_first_root_node() or Collection.add_root(name="Root")
    for role, codenames in COLLECTION_PERMISSIONS.items():
        for codename in codenames:
            app = "wagtailimages" if codename.endswith("image") else "wagtaildocs"
            GroupCollectionPermission.objects.get_or_create(
                group=groups[role],
                collection=collection,
                permission=Permission.objects.get(content_type__app_label=app, codename=codename),
            )
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW)
    if not workflow.workflow_tasks.exists():
        for order, (name, role) in enumerate(TASKS):
            task, _ = GroupApprovalTask.objects.get_or_create(name=name)
            task.groups.set([groups[role]])
            WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=order)
    for each in home.get_translations(inclusive=True):
        open_to_board(each)


def open_to_board(home: HomePage) -> None:
    """The board's rights on the pages under this home, and its workflow for them."""
    groups = _groups()
    for role, codenames in PAGE_PERMISSIONS.items():
        for codename in codenames:
            GroupPagePermission.objects.get_or_create(
                group=groups[role],
                page=home,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename
                ),
            )
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW)
    WorkflowPage.objects.update_or_create(page=home, defaults={"workflow": workflow})


def _translation_permission() -> Permission:
    """wagtail-localize's "Can submit translations": made by its migration, not by a model,
    so a flushed database (the tests) loses it; made again here."""
    content_type, _ = ContentType.objects.get_or_create(
        app_label="wagtail_localize", model="translation"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="submit_translation",
        defaults={"name": "Can submit translations"},
    )
    return permission


def _groups() -> dict[Role, Group]:
    return {role: Group.objects.get_or_create(name=role.value)[0] for role in PAGE_PERMISSIONS}
