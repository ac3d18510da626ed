"""Site-wide views: search, the rate-limited admin login and the "too many requests" page."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from wagtail.admin.views.account import LoginView

from cms.selectors import page_search, request_site_root

RESULTS_PER_PAGE = 10
MAX_QUERY_LENGTH = 200


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    results = page_search(query, root=request_site_root(request)) if query else []
    paginator = Paginator(results, RESULTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "cms/search.html",
        {"query": query, "results": page, "paginator": paginator, "result_count": paginator.count},
    )


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Shown instead of the view when django-ratelimit blocks a request."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response


def admin_login_rate(group: str, request: HttpRequest) -> str:
    return settings.ADMIN_LOGIN_RATE


@method_decorator(ratelimit(key="ip", rate=admin_login_rate, method="POST", block=True), name="post")
@method_decorator(ratelimit(key="post:username", rate=admin_login_rate, method="POST", block=True), name="post")
class RateLimitedLoginView(LoginView):
    """Wagtail's own login, with a per-address and per-username limit on attempts."""
