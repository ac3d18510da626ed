"""The shared StreamField block library.

Every block has its own template under templates/blocks/ and a preview value,
so editors see a real rendering in the block picker. Other apps build their
page bodies from ``BodyBlock`` (or add their own blocks to it).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images.blocks import ImageBlock
from wagtail.rich_text import RichText

RICH_TEXT_FEATURES = ["h2", "h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link", "hr", "blockquote"]


def _latest_image() -> Any:
    """The newest image in the library, so previews show something real."""
    from wagtail.images import get_image_model

    return get_image_model().objects.order_by("-created_at").first()


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=140, label=_("Text"))
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Section heading")), ("h3", _("Subheading")), ("h4", _("Minor heading"))],
        default="h2",
        label=_("Level"),
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "blocks/heading.html"
        description = _("A heading that structures the page for readers and screen readers.")
        preview_value = {"text": _("Why your gift matters"), "level": "h2"}


class ParagraphBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    class Meta:
        icon = "pilcrow"
        label = _("Rich text")
        template = "blocks/rich_text.html"
        description = _("Paragraphs, lists and links.")
        preview_value = RichText(
            "<p>Every month, supporters like you fund <b>clean water</b>, school meals and "
            "emergency relief.</p><ul><li>Transparent receipts</li><li>A public account of "
            "where the money went</li></ul>"
        )


class ImageWithCaptionBlock(blocks.StructBlock):
    image = ImageBlock(label=_("Image"))
    caption = blocks.CharBlock(required=False, max_length=250, label=_("Caption"))
    attribution = blocks.CharBlock(required=False, max_length=120, label=_("Credit"))

    class Meta:
        icon = "image"
        label = _("Image with caption")
        template = "blocks/image.html"
        description = _("An image with alt text, an optional caption and a credit.")

    def get_preview_value(self) -> Any:
        return self.normalize(
            {
                "image": _latest_image(),
                "caption": _("Volunteers unloading a relief convoy."),
                "attribution": _("Photo: the field team"),
            }
        )


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(max_length=600, label=_("Quotation"))
    attribution = blocks.CharBlock(required=False, max_length=120, label=_("Who said it"))
    role = blocks.CharBlock(required=False, max_length=120, label=_("Their role or place"))

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "blocks/quote.html"
        description = _("A quotation from a supporter, a beneficiary or a partner.")
        preview_value = {
            "text": _("The water point changed our village. Our children are in school, not at the well."),
            "attribution": "Amina",
            "role": _("Parent, Mafraq"),
        }


def require_one_destination(value: Any) -> None:
    """A link block must point at exactly one of a page or a web address."""
    if bool(value.get("page")) == bool(value.get("url")):
        raise StructBlockValidationError(
            block_errors={"page": ValidationError(_("Choose a page or enter a web address, not both."))}
        )


class LinkStructValue(blocks.StructValue):
    def href(self) -> str:
        page = self.get("page")
        if page:
            return page.localized.url
        return self.get("url") or ""


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120, label=_("Heading"))
    text = blocks.TextBlock(required=False, max_length=400, label=_("Text"))
    button_label = blocks.CharBlock(max_length=60, label=_("Button label"))
    page = blocks.PageChooserBlock(required=False, label=_("Link to a page"))
    url = blocks.URLBlock(required=False, label=_("or to a web address"))
    style = blocks.ChoiceBlock(
        choices=[("primary", _("Prominent")), ("secondary", _("Quiet"))],
        default="primary",
        label=_("Style"),
    )

    class Meta:
        icon = "pick"
        label = _("Call to action")
        template = "blocks/call_to_action.html"
        value_class = LinkStructValue
        description = _("A short appeal with one clear button.")
        preview_value = {
            "heading": _("Give monthly, plan ahead"),
            "text": _("A monthly gift lets our teams plan a year ahead."),
            "button_label": _("Give now"),
            "url": "https://example.org/give",
            "style": "primary",
        }

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        require_one_destination(value)
        return value


# Privacy-enhanced players we know how to frame; anything else becomes a link.
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d+$")


def embed_player_url(url: str) -> str | None:
    """The privacy-enhanced player URL for a YouTube or Vimeo link, else None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    path = parts.path.strip("/")
    video_id = None
    if host in {"youtube.com", "youtube-nocookie.com"}:
        if path == "watch":
            video_id = parse_qs(parts.query).get("v", [""])[0]
        elif path.startswith(("embed/", "shorts/", "live/")):
            video_id = path.split("/", 1)[1]
        if video_id and _YOUTUBE_ID.match(video_id):
            return f"https://www.youtube-nocookie.com/embed/{video_id}"
    elif host == "youtu.be":
        if _YOUTUBE_ID.match(path):
            return f"https://www.youtube-nocookie.com/embed/{path}"
    elif host in {"vimeo.com", "player.vimeo.com"}:
        video_id = path.removeprefix("video/")
        if _VIMEO_ID.match(video_id):
            return f"https://player.vimeo.com/video/{video_id}?dnt=1"
    return None


class EmbedStructValue(blocks.StructValue):
    def player_url(self) -> str | None:
        return embed_player_url(self.get("url") or "")

    def provider(self) -> str:
        return (urlsplit(self.get("url") or "").hostname or "").removeprefix("www.")


class EmbedBlock(blocks.StructBlock):
    """A video or other external media, loaded only when the reader asks.

    Unlike an oEmbed block this fetches nothing when the page is saved or
    shown: the page links to the media, and (with JavaScript) a button loads
    the provider's privacy-enhanced player in place. No visit reaches the
    provider until the reader chooses.
    """

    url = blocks.URLBlock(label=_("Web address"), help_text=_("A YouTube or Vimeo link, or any https page."))
    title = blocks.CharBlock(max_length=140, label=_("Title"), help_text=_("Describes the media for everyone."))
    caption = blocks.CharBlock(required=False, max_length=250, label=_("Caption"))

    class Meta:
        icon = "media"
        label = _("Embedded media")
        template = "blocks/embed.html"
        value_class = EmbedStructValue
        description = _("A video that loads only when the reader chooses to play it.")
        preview_value = {
            "url": "https://www.youtube.com/watch?v=aqz-KE-bpKQ",
            "title": _("A year of your gifts, in three minutes"),
            "caption": _("Our annual report film."),
        }

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if urlsplit(value.get("url") or "").scheme != "https":
            raise StructBlockValidationError(
                block_errors={"url": ValidationError(_("Use a secure (https) web address."))}
            )
        return value


class ColumnBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    image = ImageWithCaptionBlock()
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
    embed = EmbedBlock()


class TwoColumnBlock(blocks.StructBlock):
    layout = blocks.ChoiceBlock(
        choices=[("6-6", _("Equal")), ("8-4", _("Wide, then narrow")), ("4-8", _("Narrow, then wide"))],
        default="6-6",
        label=_("Layout"),
    )
    first = ColumnBlock(label=_("First column"), help_text=_("Left in English, right in Arabic."))
    second = ColumnBlock(label=_("Second column"))

    class Meta:
        icon = "doc-full"
        label = _("Two columns")
        template = "blocks/two_column.html"
        description = _("Two columns side by side on wide screens, stacked on phones.")
        preview_value = {
            "layout": "6-6",
            "first": [
                ("heading", {"text": _("Where it goes"), "level": "h3"}),
                ("paragraph", RichText("<p>87% of every gift reaches programmes directly.</p>")),
            ],
            "second": [
                ("quote", {"text": _("Transparent and quick."), "attribution": "Omar", "role": _("Monthly donor")}),
            ],
        }

    def column_widths(self, layout: str) -> tuple[str, str]:
        first, _sep, second = (layout or "6-6").partition("-")
        return first, second

    def get_context(self, value: Any, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
        context = super().get_context(value, parent_context)
        context["first_width"], context["second_width"] = self.column_widths(value.get("layout"))
        return context


def extra_blocks() -> list[tuple[str, blocks.Block]]:
    """Blocks other apps contribute to page bodies, named in settings.CMS_EXTRA_BLOCKS.

    cms knows no other app; config wires the donate block in this way.
    """
    return [(name, import_string(path)()) for name, path in settings.CMS_EXTRA_BLOCKS]


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    image = ImageWithCaptionBlock()
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
    embed = EmbedBlock()
    two_columns = TwoColumnBlock()

    def __init__(self, local_blocks: list[tuple[str, blocks.Block]] | None = None, **kwargs: Any) -> None:
        super().__init__([*(local_blocks or []), *extra_blocks()], **kwargs)


class FooterLinkBlock(blocks.StructBlock):
    page = blocks.PageChooserBlock(required=False, label=_("Page"))
    url = blocks.URLBlock(required=False, label=_("or web address"))
    label = blocks.CharBlock(
        required=False, max_length=60, label=_("Label"), help_text=_("Defaults to the page title.")
    )
    label_ar = blocks.CharBlock(required=False, max_length=60, label=_("Label in Arabic"))

    class Meta:
        icon = "link"
        label = _("Footer link")
        value_class = LinkStructValue

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        require_one_destination(value)
        if value.get("url") and not value.get("label"):
            raise StructBlockValidationError(block_errors={"label": ValidationError(_("A web address needs a label."))})
        return value
