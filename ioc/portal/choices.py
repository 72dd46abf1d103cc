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


class Organ(models.TextChoices):
    """The bodies a leader belongs to, in the order the organisation chart draws them."""

    STANDING = "standing", _("Standing Committee of the Provincial Party Committee")
    EXECUTIVE = "executive", _("Executive Committee of the Provincial Party Committee")
    INSPECTION = "inspection", _("Inspection Commission")
    BOARDS = "boards", _("Boards of the Provincial Party Committee")
    COUNCIL = "council", _("Provincial People's Council")
    COMMITTEE = "committee", _("Provincial People's Committee")


class QuestionStatus(models.TextChoices):
    NEW = "new", _("Waiting for an answer")
    PUBLISHED = "published", _("Answered and published")
    ANSWERED = "answered", _("Answered privately")
    REJECTED = "rejected", _("Not answered")


class CommentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    APPROVED = "approved", _("Published")
    REJECTED = "rejected", _("Not published")
