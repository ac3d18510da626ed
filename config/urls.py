"""URL routes. English pages are unprefixed (/), Arabic pages live under /ar/."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from campaigns import portal as campaigns_portal
from cms import views as cms_views
from donations import views as donation_views

urlpatterns = [
    # Before Wagtail's admin URLs, so the rate limit applies to every attempt.
    path("admin/login/", cms_views.RateLimitedLoginView.as_view(), name="wagtailadmin_login"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("webhooks/stripe/", donation_views.stripe_webhook, name="stripe_webhook"),
    path("ledger/", include("donations.ledger.urls")),
    path("api/v1/", include("campaigns.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
]

if settings.SERVE_MEDIA:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

if getattr(settings, "BENCH_ENDPOINTS", False):
    urlpatterns += [path("bench/", include("bench.urls"))]

urlpatterns += i18n_patterns(
    path("search/", cms_views.search, name="search"),
    path("donate/", include("donations.urls")),
    path("receipts/", include("donations.receipts.urls")),
    path("transparency/", include("donations.ledger.public_urls")),
    path("act/", include("campaigns.urls")),
    path("account/gifts/", include("donations.portal.urls")),
    path("account/activism/", campaigns_portal.activism, name="activism"),
    path("account/", include("supporters.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
