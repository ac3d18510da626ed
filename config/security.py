"""Site-wide security plumbing: the Content Security Policy, with what Wagtail's admin needs."""

from __future__ import annotations

from dataclasses import asdict
from http import HTTPStatus

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

# Wagtail 8's admin still renders a few inline scripts (date and time pickers,
# inline panels) and inline styles, so pages under /admin/ (all behind staff
# login) allow inline code. Public pages keep the strict 'self'-only policy.
# The admin also frames its own pages (live preview, block previews).
ADMIN_POLICY_ADDITIONS = {
    "script-src": ["'unsafe-inline'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["blob:"],
}
ADMIN_POLICY_REPLACEMENTS = {"frame-ancestors": ["'self'"]}


# What a view can set on its response to change the policy (django-csp's decorators).
_RESPONSE_OVERRIDES = tuple(f"_csp_{kind}{ro}" for ro in ("", "_ro") for kind in ("config", "update", "replace"))


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the small additions Wagtail's admin needs.

    A public response that uses no nonce and no per-view override gets the same header every time, so
    that header is built once per settings object instead of twice per response (the policy and the
    report-only policy), which was a measurable part of the petition sign path. Everything else goes
    through django-csp unchanged.
    """

    _constant: tuple[object, object, str, str] | None = None

    def _constant_headers(self) -> tuple[str, str]:
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        policy_ro = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        cached = self._constant
        if cached is None or cached[0] is not policy or cached[1] is not policy_ro:
            empty = HttpResponseBase()
            request = HttpRequest()
            header = build_policy(**asdict(self.get_policy_parts(request, empty)))
            header_ro = build_policy(**asdict(self.get_policy_parts(request, empty, True)), report_only=True)
            cached = self._constant = (policy, policy_ro, header, header_ro)
        return cached[2], cached[3]

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            request.path_info.startswith("/admin/")
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in _RESPONSE_OVERRIDES)
            or (settings.DEBUG and response.status_code in (HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.NOT_FOUND))
        ):
            return super().process_response(request, response)
        header, header_ro = self._constant_headers()
        for name, value, exempt, setting in (
            (HEADER, header, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, header_ro, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if (
                value
                and not getattr(response, exempt, False)
                and name not in response
                and not request.path_info.startswith(tuple(prefixes))
            ):
                response[name] = value
        # As django-csp does: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith("/admin/"):
            parts.update = {**ADMIN_POLICY_ADDITIONS, **(parts.update or {})}
            parts.replace = {**ADMIN_POLICY_REPLACEMENTS, **(parts.replace or {})}
        return parts
