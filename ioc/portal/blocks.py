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
