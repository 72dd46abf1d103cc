from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    """The kinds of official texts a Party committee and the authorities issue."""

    RESOLUTION = "nghi-quyet", _("Resolution")
    DECISION = "quyet-dinh", _("Decision")
    DIRECTIVE = "chi-thi", _("Directive")
    CONCLUSION = "ket-luan", _("Conclusion")
    REGULATION = "quy-dinh", _("Regulation")
    PLAN = "ke-hoach", _("Plan")
    GUIDANCE = "huong-dan", _("Guidance")
    NOTICE = "thong-bao", _("Notice")
    REPORT = "bao-cao", _("Report")
    OFFICIAL_LETTER = "cong-van", _("Official letter")
    DRAFT = "du-thao", _("Draft for comment")


class DocumentStatus(models.TextChoices):
    IN_FORCE = "in_force", _("In force")
    NOT_YET = "not_yet", _("Not yet in force")
    EXPIRED = "expired", _("Expired")
    REPLACED = "replaced", _("Replaced")


class SearchKind(models.TextChoices):
    """What the portal's search can be narrowed to."""

    NEWS = "news", _("News")
    DOCUMENTS = "documents", _("Documents")
    PAGES = "pages", _("Pages")
