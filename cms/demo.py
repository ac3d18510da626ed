"""Demo content for `manage.py load_demo`: a small charity site in English and Arabic.

Everything here is created only when missing, so running it again changes
nothing and never overwrites what staff have edited.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

from django.core.files.images import ImageFile
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Site
from wagtail.rich_text import RichText

from cms.models import HomePage, OrganisationSettings, StandardPage

DEMO_VIDEO = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.created.append(what)


# -- Images, drawn here so the repository ships no third-party pictures ------


def _png(image: PILImage.Image) -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    buffer.seek(0)
    return buffer


def draw_landscape(width: int = 1200, height: int = 800) -> io.BytesIO:
    """Dawn over hills with a water point: a calm hero picture."""
    img = PILImage.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(250 - 60 * t), int(214 - 40 * t), int(165 + 40 * t)))
    draw.ellipse([width * 0.62, height * 0.18, width * 0.78, height * 0.42], fill=(255, 236, 179))
    for offset, colour in ((0.55, (120, 160, 110)), (0.68, (70, 125, 90)), (0.8, (11, 110, 79))):
        points = [(0, height)]
        for x in range(0, width + 1, 20):
            points.append((x, height * offset + 40 * math.sin(x / width * math.pi * 2 + offset * 7)))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    base_x, base_y = width * 0.3, height * 0.78
    draw.rectangle([base_x - 60, base_y - 30, base_x + 60, base_y + 40], fill=(230, 225, 214))
    draw.rectangle([base_x - 70, base_y - 110, base_x - 55, base_y - 30], fill=(90, 70, 50))
    draw.rectangle([base_x + 55, base_y - 110, base_x + 70, base_y - 30], fill=(90, 70, 50))
    draw.rectangle([base_x - 80, base_y - 125, base_x + 80, base_y - 105], fill=(120, 90, 60))
    for i in range(5):
        cx, cy = base_x + (i - 2) * 28, base_y + 5
        draw.ellipse([cx - 9, cy - 9, cx + 9, cy + 13], fill=(64, 140, 200))
    return _png(img)


def draw_logo(size: int = 240) -> io.BytesIO:
    """A green disc with a white water drop."""
    img = PILImage.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse([0, 0, size - 1, size - 1], fill=(11, 110, 79, 255))
    cx = size / 2
    draw.polygon([(cx, size * 0.18), (cx - size * 0.2, size * 0.55), (cx + size * 0.2, size * 0.55)], fill="white")
    draw.ellipse([cx - size * 0.2, size * 0.4, cx + size * 0.2, size * 0.8], fill="white")
    return _png(img)


def demo_image(title: str, drawing: io.BytesIO, filename: str, report: DemoReport) -> Any:
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    image = Image(title=title, file=ImageFile(drawing, name=filename))
    image.save()
    report.add(f"image: {title}")
    return image


# -- Page content ----------------------------------------------------------


def _image(img: Any, alt: str, caption: str, credit: str) -> tuple[str, dict[str, Any]]:
    return (
        "image",
        {"image": {"image": img, "alt_text": alt, "decorative": False}, "caption": caption, "attribution": credit},
    )


def home_content(lang: str, *, about: Page | None) -> dict[str, Any]:
    if lang == "ar":
        return {
            "title": "الرئيسية",
            "hero_heading": "مياه نظيفة ووجبات مدرسية وإغاثة طارئة، بتمويل من أمثالك",
            "hero_text": "تعمل آبار الأمل مع المجتمعات في الأردن والمنطقة. يحصل كل متبرع على إيصال فوري "
            "وحساب علني لأوجه صرف المال.",
            "hero_link_page": about,
            "hero_link_label": "تعرّف على عملنا",
            "body": [
                ("heading", {"text": "ماذا يصنع دعمك", "level": "h2"}),
                (
                    "paragraph",
                    RichText(
                        "<p>في العام الماضي حفرنا <b>١٢ بئرًا</b> ووفرنا وجبات مدرسية لأكثر من ثلاثة آلاف طفل.</p>"
                    ),
                ),
                (
                    "two_columns",
                    {
                        "layout": "6-6",
                        "first": [
                            (
                                "quote",
                                {
                                    "text": "غيّرت البئر قريتنا. أطفالنا في المدرسة لا عند النبع.",
                                    "attribution": "أمينة",
                                    "role": "أم من المفرق",
                                },
                            )
                        ],
                        "second": [
                            (
                                "call_to_action",
                                {
                                    "heading": "خطّط معنا لعام كامل",
                                    "text": "التبرع الشهري يتيح لفرقنا التخطيط قبل عام.",
                                    "button_label": "تعرّف علينا",
                                    "page": about,
                                    "style": "primary",
                                },
                            )
                        ],
                    },
                ),
            ],
        }
    return {
        "title": "Home",
        "hero_heading": "Clean water, school meals and emergency relief, funded by people like you",
        "hero_text": "Wells of Hope works with communities in Jordan and the region. Every donor gets an instant "
        "receipt and a public account of where the money went.",
        "hero_link_page": about,
        "hero_link_label": "See how we work",
        "body": [
            ("heading", {"text": "What your support does", "level": "h2"}),
            (
                "paragraph",
                RichText(
                    "<p>Last year we drilled <b>12 wells</b> and served school meals to more than "
                    "three thousand children.</p>"
                ),
            ),
            (
                "two_columns",
                {
                    "layout": "6-6",
                    "first": [
                        (
                            "quote",
                            {
                                "text": "The well changed our village. Our children are in school, not at the spring.",
                                "attribution": "Amina",
                                "role": "Parent, Mafraq",
                            },
                        )
                    ],
                    "second": [
                        (
                            "call_to_action",
                            {
                                "heading": "Plan a whole year with us",
                                "text": "A monthly gift lets our teams plan a year ahead.",
                                "button_label": "Get to know us",
                                "page": about,
                                "style": "primary",
                            },
                        )
                    ],
                },
            ),
        ],
    }


def about_content(lang: str, *, picture: Any) -> dict[str, Any]:
    if lang == "ar":
        return {
            "title": "من نحن",
            "slug": "about",
            "intro": "آبار الأمل جمعية خيرية مسجلة تعمل منذ عام ٢٠٠٩ على توفير المياه النظيفة والتعليم.",
            "body": [
                ("heading", {"text": "قصتنا", "level": "h2"}),
                (
                    "paragraph",
                    RichText(
                        "<p>بدأنا ببئر واحدة في قرية واحدة. اليوم نعمل مع لجان محلية في أربع محافظات، "
                        "وننشر كل عام حسابًا مفصلًا لما جمعناه وما صرفناه.</p>"
                    ),
                ),
                _image(picture, "تلال خضراء عند الفجر وبئر ماء", "نقطة مياه في شمال الأردن.", "رسم: فريق الموقع"),
                (
                    "quote",
                    {
                        "text": "نريد أن يرى كل متبرع أين ذهب ماله.",
                        "attribution": "سلمى حداد",
                        "role": "المديرة التنفيذية",
                    },
                ),
            ],
        }
    return {
        "title": "About us",
        "slug": "about",
        "intro": "Wells of Hope is a registered charity providing clean water and education since 2009.",
        "body": [
            ("heading", {"text": "Our story", "level": "h2"}),
            (
                "paragraph",
                RichText(
                    "<p>We began with one well in one village. Today we work with local committees in four "
                    "governorates, and every year we publish a detailed account of what we raised and spent.</p>"
                ),
            ),
            _image(
                picture,
                "Green hills at dawn with a water point",
                "A water point in northern Jordan.",
                "Drawing: site team",
            ),
            (
                "quote",
                {
                    "text": "We want every donor to see where their money went.",
                    "attribution": "Salma Haddad",
                    "role": "Executive director",
                },
            ),
        ],
    }


def work_content(lang: str, *, about: Page) -> dict[str, Any]:
    if lang == "ar":
        return {
            "title": "عملنا",
            "slug": "our-work",
            "intro": "ثلاثة برامج، ولكل منها هدف واضح وتقرير سنوي.",
            "body": [
                ("heading", {"text": "المياه", "level": "h2"}),
                ("paragraph", RichText("<p>نحفر الآبار ونصون شبكات المياه مع اللجان المحلية.</p>")),
                ("heading", {"text": "الوجبات المدرسية", "level": "h2"}),
                ("paragraph", RichText("<p>وجبة ساخنة كل يوم دراسي تبقي الأطفال في صفوفهم.</p>")),
                (
                    "embed",
                    {"url": DEMO_VIDEO, "title": "عام من عطائكم في ثلاث دقائق", "caption": "فيلم التقرير السنوي."},
                ),
                (
                    "call_to_action",
                    {
                        "heading": "من يقف خلف العمل؟",
                        "text": "تعرّف على فريقنا ولجاننا المحلية.",
                        "button_label": "من نحن",
                        "page": about,
                        "style": "secondary",
                    },
                ),
            ],
        }
    return {
        "title": "Our work",
        "slug": "our-work",
        "intro": "Three programmes, each with a clear goal and a yearly report.",
        "body": [
            ("heading", {"text": "Water", "level": "h2"}),
            ("paragraph", RichText("<p>We drill wells and maintain water networks with local committees.</p>")),
            ("heading", {"text": "School meals", "level": "h2"}),
            ("paragraph", RichText("<p>A hot meal every school day keeps children in class.</p>")),
            (
                "embed",
                {
                    "url": DEMO_VIDEO,
                    "title": "A year of your gifts, in three minutes",
                    "caption": "Our annual report film.",
                },
            ),
            (
                "call_to_action",
                {
                    "heading": "Who is behind the work?",
                    "text": "Meet our team and our local committees.",
                    "button_label": "About us",
                    "page": about,
                    "style": "secondary",
                },
            ),
        ],
    }


def privacy_content(lang: str) -> dict[str, Any]:
    if lang == "ar":
        return {
            "title": "الخصوصية",
            "slug": "privacy",
            "intro": "نجمع أقل قدر ممكن من البيانات، ولا نبيعها ولا نشاركها.",
            "body": [
                ("heading", {"text": "ما الذي نحتفظ به", "level": "h2"}),
                (
                    "paragraph",
                    RichText(
                        "<p>نحتفظ باسمك وبريدك الإلكتروني وسجل تبرعاتك لإصدار الإيصالات وللوفاء بالتزاماتنا "
                        "القانونية. لا نخزّن أرقام البطاقات أبدًا.</p>"
                    ),
                ),
                ("heading", {"text": "حقوقك", "level": "h2"}),
                (
                    "paragraph",
                    RichText("<p>يمكنك طلب نسخة من بياناتك أو حذفها بمراسلتنا على عنوان البريد في أسفل الصفحة.</p>"),
                ),
            ],
        }
    return {
        "title": "Privacy",
        "slug": "privacy",
        "intro": "We collect as little as we can, and we never sell or share it.",
        "body": [
            ("heading", {"text": "What we keep", "level": "h2"}),
            (
                "paragraph",
                RichText(
                    "<p>We keep your name, email and giving history to issue receipts and meet our legal "
                    "duties. We never store card numbers.</p>"
                ),
            ),
            ("heading", {"text": "Your rights", "level": "h2"}),
            (
                "paragraph",
                RichText(
                    "<p>You can ask for a copy of your data, or for it to be erased, at the email address below.</p>"
                ),
            ),
        ],
    }


# -- Building the tree -------------------------------------------------------


def publish(page: Page) -> Page:
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def _set_fields(page: Page, content: dict[str, Any]) -> None:
    for name, value in content.items():
        setattr(page, name, value)


def ensure_locales(report: DemoReport) -> tuple[Locale, Locale]:
    english, created = Locale.objects.get_or_create(language_code="en")
    if created:
        report.add("locale: en")
    arabic, created = Locale.objects.get_or_create(language_code="ar")
    if created:
        report.add("locale: ar")
    return english, arabic


def ensure_home(english: Locale, report: DemoReport) -> tuple[HomePage, Site, bool]:
    """The English home page as the default site's root; True if it was made now."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = HomePage.objects.filter(locale=english).first()
    created = home is None
    if home is None:
        root = Page.get_first_root_node()
        placeholder = site.root_page if site and type(site.root_page.specific) is Page else None
        if placeholder is not None:
            # Wagtail's "Welcome to your new Wagtail site!" page: free its slug.
            placeholder.slug = f"welcome-{placeholder.pk}"
            placeholder.save(update_fields=["slug"])
        home = HomePage(
            title="Home", slug="home", locale=english, hero_heading=home_content("en", about=None)["hero_heading"]
        )
        root.add_child(instance=home)
        report.add("page: Home (en)")
        if site is None:
            site = Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
        else:
            site.root_page = home
            site.save()
        if placeholder is not None and not placeholder.get_children().exists():
            placeholder.delete()
    elif site is None:
        site = Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    return home, site, created


def ensure_child(parent: Page, content: dict[str, Any], english: Locale, report: DemoReport) -> StandardPage:
    existing = StandardPage.objects.child_of(parent).filter(slug=content["slug"], locale=english).first()
    if existing:
        return existing
    page = StandardPage(locale=english, show_in_menus=content["slug"] != "privacy")
    _set_fields(page, content)
    parent.add_child(instance=page)
    report.add(f"page: {content['title']} (en)")
    return publish(page)


def ensure_translation(page: Page, arabic: Locale, content: dict[str, Any], report: DemoReport) -> Page:
    existing = page.get_translation_or_none(arabic)
    if existing is not None:
        return existing.specific
    translated = page.copy_for_translation(arabic).specific
    _set_fields(translated, content)
    translated.save()
    report.add(f"page: {content['title']} (ar)")
    return publish(translated)


def ensure_settings(site: Site, footer: list[Page], logo: Any, report: DemoReport) -> None:
    organisation = OrganisationSettings.for_site(site)
    if organisation.organisation_name:
        return
    organisation.organisation_name = "Wells of Hope"
    organisation.organisation_name_ar = "آبار الأمل"
    organisation.legal_name = "Wells of Hope Charitable Association"
    organisation.legal_name_ar = "جمعية آبار الأمل الخيرية"
    organisation.charity_number = "JO-2009-0417"
    organisation.address = "12 Al-Rainbow Street\nJabal Amman\nAmman 11181, Jordan"
    organisation.address_ar = "١٢ شارع الرينبو\nجبل عمّان\nعمّان ١١١٨١، الأردن"
    organisation.contact_email = "hello@wellsofhope.example"
    organisation.default_currency = "USD"
    organisation.time_zone = "Asia/Amman"
    organisation.fiscal_year_start_month = 1
    organisation.logo = logo
    organisation.footer_links = [("link", {"page": page, "label": "", "label_ar": ""}) for page in footer]
    organisation.save()
    report.add("settings: organisation")


@transaction.atomic
def load_demo(report: DemoReport) -> None:
    """The site itself: locales, images, the page tree in both languages, organisation settings."""
    english, arabic = ensure_locales(report)
    picture = demo_image("Demo: hills and a water point", draw_landscape(), "demo-landscape.png", report)
    logo = demo_image("Demo: logo", draw_logo(), "demo-logo.png", report)

    home, site, home_created = ensure_home(english, report)
    about = ensure_child(home, about_content("en", picture=picture), english, report)
    work = ensure_child(home, work_content("en", about=about), english, report)
    privacy = ensure_child(home, privacy_content("en"), english, report)
    if home_created:
        # The home page links to its children, so its content comes once they exist.
        _set_fields(home, {**home_content("en", about=about), "hero_image": picture})
        home.save()
        publish(home)

    ensure_translation(home, arabic, {**home_content("ar", about=about), "hero_image": picture}, report)
    ensure_translation(about, arabic, about_content("ar", picture=picture), report)
    ensure_translation(work, arabic, work_content("ar", about=about), report)
    ensure_translation(privacy, arabic, privacy_content("ar"), report)

    ensure_settings(site, [about, privacy], logo, report)
