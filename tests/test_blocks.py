"""The shared block library: every block renders, previews, and validates what editors enter."""

from __future__ import annotations

import io

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images import get_image_model

from cms.blocks import BodyBlock, CallToActionBlock, EmbedBlock, FooterLinkBlock, TwoColumnBlock, embed_player_url

BLOCK_NAMES = ["heading", "paragraph", "image", "quote", "call_to_action", "embed", "two_columns", "donate"]


@pytest.fixture
def library_image(db):
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 900), (11, 110, 79)).save(buffer, format="PNG")
    image = get_image_model()(title="Convoy", file=ImageFile(buffer, name="convoy.png"))
    image.save()
    return image


def test_library_has_every_block_the_site_needs():
    assert list(BodyBlock().child_blocks) == BLOCK_NAMES


@pytest.mark.parametrize("name", BLOCK_NAMES)
def test_every_block_has_its_own_template_and_a_preview(name, db):
    block = BodyBlock().child_blocks[name]
    assert block.meta.template.startswith("blocks/")
    assert block.is_previewable
    assert str(block.get_description())
    html = block.render(block.get_preview_value())
    assert html.strip()


@pytest.mark.parametrize("name", BLOCK_NAMES)
def test_block_previews_render_in_the_admin(staff_client, name, library_image):
    block = BodyBlock().child_blocks[name]
    response = staff_client.get("/admin/block-preview/", {"id": block.definition_prefix})
    assert response.status_code == 200, response.content[:500]
    assert b"site.css" in response.content
    if name == "image":
        assert b"<img" in response.content and b"Volunteers unloading" in response.content


def test_heading_renders_the_chosen_level():
    block = BodyBlock().child_blocks["heading"]
    html = block.render(block.to_python({"text": "Our programmes", "level": "h3"}))
    assert '<h3 class="block-heading mt-4">Our programmes</h3>' in html


def test_image_block_has_alt_text_caption_and_responsive_sources(library_image):
    block = BodyBlock().child_blocks["image"]
    value = block.normalize(
        {
            "image": {"image": library_image, "alt_text": "Trucks at dawn", "decorative": False},
            "caption": "The convoy",
            "attribution": "Photo: Leila",
        }
    )
    html = block.render(value)
    assert 'alt="Trucks at dawn"' in html
    assert "srcset=" in html
    assert "The convoy" in html and "Photo: Leila" in html


def test_decorative_image_has_empty_alt(library_image):
    block = BodyBlock().child_blocks["image"]
    value = block.normalize({"image": {"image": library_image, "alt_text": "ignored", "decorative": True}})
    assert 'alt=""' in block.render(value)


def test_quote_block_attributes_the_speaker():
    block = BodyBlock().child_blocks["quote"]
    html = block.render(block.to_python({"text": "It works.", "attribution": "Omar", "role": "Donor"}))
    assert "<blockquote" in html and "It works." in html and "Omar" in html and "<cite>Donor</cite>" in html


def test_call_to_action_links_to_a_page_in_the_readers_language(site_tree):
    from django.utils import translation

    block = CallToActionBlock()
    value = block.to_python({"heading": "Join", "button_label": "Go", "page": site_tree.about.pk, "style": "primary"})
    assert 'href="/about/"' in block.render(value)
    with translation.override("ar"):
        assert 'href="/ar/about/"' in block.render(value)


@pytest.mark.parametrize(
    "data",
    [
        {"heading": "Join", "button_label": "Go"},
        {"heading": "Join", "button_label": "Go", "url": "https://example.org", "page": "PAGE"},
    ],
    ids=["neither", "both"],
)
def test_call_to_action_needs_exactly_one_destination(site_tree, data):
    if data.get("page") == "PAGE":
        data["page"] = site_tree.about
    block = CallToActionBlock()
    value = block.normalize({"text": "", "style": "primary", "page": None, "url": "", **data})
    with pytest.raises(StructBlockValidationError):
        block.clean(value)


@pytest.mark.parametrize(
    ("url", "player"),
    [
        ("https://www.youtube.com/watch?v=aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"),
        ("https://youtu.be/aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"),
        ("https://m.youtube.com/shorts/aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://www.youtube.com/watch?v=<script>", None),
        ("https://example.org/video", None),
    ],
)
def test_embed_player_urls_use_privacy_enhanced_players(url, player):
    assert embed_player_url(url) == player


def test_embed_block_fetches_nothing_until_the_reader_asks():
    block = EmbedBlock()
    html = block.render(block.to_python({"url": "https://youtu.be/aqz-KE-bpKQ", "title": "Our film", "caption": ""}))
    assert "<iframe" not in html
    assert 'data-embed-src="https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"' in html
    assert 'href="https://youtu.be/aqz-KE-bpKQ"' in html
    assert "Our film" in html


def test_embed_of_an_unknown_provider_is_a_plain_link():
    block = EmbedBlock()
    html = block.render(block.to_python({"url": "https://example.org/story", "title": "Story", "caption": ""}))
    assert "data-embed-src" not in html
    assert 'href="https://example.org/story"' in html


def test_embed_block_refuses_insecure_addresses():
    block = EmbedBlock()
    with pytest.raises(StructBlockValidationError):
        block.clean(block.to_python({"url": "http://example.org/video", "title": "Video", "caption": ""}))


@pytest.mark.parametrize(("layout", "widths"), [("6-6", ("6", "6")), ("8-4", ("8", "4")), ("4-8", ("4", "8"))])
def test_two_columns_follow_the_layout(layout, widths):
    block = TwoColumnBlock()
    value = block.to_python(
        {
            "layout": layout,
            "first": [{"type": "heading", "value": {"text": "Left", "level": "h3"}}],
            "second": [{"type": "quote", "value": {"text": "Right", "attribution": "", "role": ""}}],
        }
    )
    html = block.render(value)
    assert f'<div class="col-md-{widths[0]}">' in html
    assert f'<div class="col-md-{widths[1]}">' in html
    assert html.index("Left") < html.index("Right")


def test_footer_link_needs_a_label_for_a_web_address():
    block = FooterLinkBlock()
    with pytest.raises(StructBlockValidationError):
        block.clean(block.normalize({"page": None, "url": "https://example.org", "label": "", "label_ar": ""}))
