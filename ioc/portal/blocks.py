"""The blocks editors build an article or a page from: fields to fill, never free HTML."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock

from ioc.dashboards.access import public_charts, public_dashboards
from ioc.portal.choosers import chart_chooser, dashboard_chooser

RICH_TEXT = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]


class FigureBlock(blocks.StructBlock):
    """An image with its alt text (required unless decorative) and a caption."""

    image = ImageBlock(label=_("Image"))
    caption = blocks.CharBlock(required=False, max_length=300, label=_("Caption"))

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        image = value.get("image")
        if (
            image is not None
            and not image.decorative
            and not (image.contextual_alt_text or "").strip()
        ):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "image": ValidationError(
                        _("Describe the image for people who cannot see it (alt text).")
                    )
                }
            )
        return value

    class Meta:
        icon = "image"
        template = "portal/blocks/figure.html"
        label = _("Image")


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quotation"))
    source = blocks.CharBlock(required=False, label=_("Who said it"))

    class Meta:
        icon = "openquote"
        template = "portal/blocks/quote.html"
        label = _("Quotation")


def video_hosts() -> list[str]:
    return [host.lower() for host in settings.IOC_PORTAL_VIDEO_HOSTS]


class VideoBlock(blocks.StructBlock):
    """A video from the province's own hosting (IOC_PORTAL_VIDEO_HOSTS), never a third party's."""

    url = blocks.URLBlock(label=_("Video address"))
    title = blocks.CharBlock(max_length=200, label=_("Title (read to screen-reader users)"))

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        parsed = urlparse(value["url"])
        if parsed.scheme != "https" or (parsed.hostname or "").lower() not in video_hosts():
            allowed = ", ".join(video_hosts()) or _("none configured")
            raise blocks.StructBlockValidationError(
                block_errors={
                    "url": ValidationError(
                        _(
                            "Videos come from the province's own video service over https "
                            "(allowed: %(hosts)s)."
                        )
                        % {"hosts": allowed}
                    )
                }
            )
        return value

    class Meta:
        icon = "media"
        template = "portal/blocks/video.html"
        label = _("Video")


ChartChooserBlock = chart_chooser.get_block_class(
    name="ChartChooserBlock", module_path="ioc.portal.blocks"
)
DashboardChooserBlock = dashboard_chooser.get_block_class(
    name="DashboardChooserBlock", module_path="ioc.portal.blocks"
)
NOT_PUBLIC = _(
    "Only the IOC's public dashboards, and their charts of open data, can be shown in the "
    "portal. Ask the dashboard's owner to make it public."
)


class PublicChartBlock(blocks.StructBlock):
    """A chart of the IOC's public dashboards, live, in the article (in a frame)."""

    chart = ChartChooserBlock(label=_("Chart"))
    caption = blocks.CharBlock(required=False, max_length=300, label=_("Caption"))

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        chart = value.get("chart")
        if chart is not None and not public_charts().filter(pk=chart.pk).exists():
            raise blocks.StructBlockValidationError(
                block_errors={"chart": ValidationError(NOT_PUBLIC)}
            )
        return value

    def get_context(self, value: Any, parent_context: Any = None) -> dict[str, Any]:
        context = super().get_context(value, parent_context)
        chart = value.get("chart")
        # Shown only while it is public: a dashboard made private leaves the article at once.
        context["shown"] = chart and public_charts().filter(pk=chart.pk).first()
        return context

    class Meta:
        icon = "table"
        template = "portal/blocks/chart.html"
        label = _("Chart from the IOC")


class PublicDashboardBlock(blocks.StructBlock):
    """A public dashboard: its first charts, live, and a link to all of them."""

    dashboard = DashboardChooserBlock(label=_("Dashboard"))
    charts = blocks.IntegerBlock(
        min_value=1, max_value=6, default=4, label=_("How many of its charts to show")
    )

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        dashboard = value.get("dashboard")
        if dashboard is not None and not public_dashboards().filter(pk=dashboard.pk).exists():
            raise blocks.StructBlockValidationError(
                block_errors={"dashboard": ValidationError(NOT_PUBLIC)}
            )
        return value

    def get_context(self, value: Any, parent_context: Any = None) -> dict[str, Any]:
        context = super().get_context(value, parent_context)
        dashboard = value.get("dashboard")
        shown = public_dashboards().filter(pk=dashboard.pk).first() if dashboard else None
        context["shown"] = shown
        context["charts"] = (
            public_charts().filter(dashboard=shown).order_by("y", "x")[: value.get("charts") or 4]
            if shown
            else []
        )
        return context

    class Meta:
        icon = "table"
        template = "portal/blocks/dashboard.html"
        label = _("Dashboard from the IOC")


class ParagraphBlock(blocks.RichTextBlock):
    """Rich text that says something: an empty paragraph is an error, not a blank article."""

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if not strip_tags(value.source).strip():
            raise ValidationError(_("Write the text, or remove the empty block."))
        return value


class BodyBlock(blocks.StreamBlock):
    paragraph = ParagraphBlock(features=RICH_TEXT, label=_("Text"))
    figure = FigureBlock()
    quote = QuoteBlock()
    video = VideoBlock()
    document = DocumentChooserBlock(
        label=_("Attached file"), template="portal/blocks/document.html"
    )
    chart = PublicChartBlock()
    dashboard = PublicDashboardBlock()


class LinkBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120, label=_("Title"))
    url = blocks.CharBlock(
        max_length=500,
        label=_("Address"),
        help_text=_("A full address or a path on this site, e.g. /feedback/"),
    )
    description = blocks.CharBlock(required=False, max_length=200, label=_("Description"))

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        url = value["url"].strip()
        if not (url.startswith("/") and not url.startswith("//")) and urlparse(url).scheme not in {
            "http",
            "https",
        }:
            raise blocks.StructBlockValidationError(
                block_errors={
                    "url": ValidationError(_("Use an http(s) address or a path starting with /."))
                }
            )
        return value

    class Meta:
        icon = "link"
        label = _("Link")
