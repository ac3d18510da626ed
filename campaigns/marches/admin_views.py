"""Staff views in the Wagtail admin: the marches dashboard, a march's counters and participants, exports."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.admin import messages

from campaigns.marches import services
from campaigns.marches.models import MarchLetter, MarchParticipant, MarchSlot, VirtualMarchPage
from campaigns.marches.pdf import march_summary_pdf
from campaigns.marches.selectors import march_counts_compute, region_label
from donations.ledger.exports import export_response

PERMISSION = "campaigns.view_marchparticipant"
PER_PAGE = 50


def _check(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _canonical_marches() -> list[VirtualMarchPage]:
    marches = {}
    for page in VirtualMarchPage.objects.order_by("pk"):
        marches.setdefault(page.translation_key, page)
    return sorted(marches.values(), key=lambda page: (page.window_date, page.pk), reverse=True)


def marches_index(request: HttpRequest) -> HttpResponse:
    _check(request)
    rows = [{"march": march, "state": march.state(), "counts": march_counts_compute(march_id=march.pk)}
            for march in _canonical_marches()]  # fmt: skip
    return TemplateResponse(request, "campaigns/marches/admin/index.html", {"rows": rows})


def march_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    _check(request)
    march = get_object_or_404(VirtualMarchPage, pk=pk).canonical()
    counts = march_counts_compute(march_id=march.pk)
    slots = MarchSlot.objects.filter(march=march).aggregate(capacity=Sum("capacity"), booked=Sum("booked"))
    letters = dict(MarchLetter.objects.filter(march=march).values_list("status").annotate(n=Count("pk")))
    participants = MarchParticipant.objects.filter(march=march).select_related("supporter", "target")
    query = request.GET.get("q", "").strip()[:200]
    if query:
        participants = participants.filter(
            Q(name__icontains=query) | Q(supporter__email__icontains=query) | Q(region__icontains=query)
        )
    page = Paginator(participants.order_by("-created_at", "-pk"), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "march": march,
        "state": march.state(),
        "counts": counts,
        "region_rows": [{**row, "label": region_label(row["region"])} for row in counts["by_region"]],
        "targets": {target.pk: target for target in march.targets.all()},
        "target_rows": [
            {**row, "target": target}
            for target in march.targets.all()
            for row in [
                next(
                    (r for r in counts["by_target"] if r["target"] == target.pk),
                    {"registered": 0, "calls": 0, "letters": 0},
                )
            ]
        ],
        "slots": {"capacity": slots["capacity"] or 0, "booked": slots["booked"] or 0},
        "letters": {label: letters.get(value, 0) for value, label in MarchLetter.Status.choices},
        "participants": page,
        "query": query,
        "plan": march.plan,
        "window_start": timezone.localtime(march.window_start, march.zone),
        "window_end": timezone.localtime(march.window_end, march.zone),
    }
    return TemplateResponse(request, "campaigns/marches/admin/dashboard.html", context)


def march_participants_export(request: HttpRequest, pk: int) -> HttpResponse:
    _check(request)
    march = get_object_or_404(VirtualMarchPage, pk=pk).canonical()
    rows = (
        [p.pk, p.name, p.supporter.email, region_label(p.region), p.language, p.target.name if p.target else "",
         timezone.localtime(p.call_at, march.zone).strftime("%Y-%m-%d %H:%M") if p.call_at else "",
         timezone.localtime(p.created_at, march.zone).strftime("%Y-%m-%d %H:%M"),
         p.calls, p.letters]
        for p in MarchParticipant.objects.filter(march=march)
        .select_related("supporter", "target")
        .annotate(calls=Count("actions", filter=Q(actions__kind="call")),
                  letters=Count("actions", filter=Q(actions__kind="letter")))
        .order_by("created_at", "pk")
        .iterator(chunk_size=2000)
    )  # fmt: skip
    headers = [_("ID"), _("Name"), _("Email"), _("Region"), _("Language"), _("Target"),
               _("Call at"), _("Registered"), _("Calls"), _("Letters")]  # fmt: skip
    return export_response(request.GET.get("format", "csv"), f"march-{march.pk}-participants", headers, rows)


def march_summary_download(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    _check(request)
    march = get_object_or_404(VirtualMarchPage, pk=pk).canonical()
    if language not in ("en", "ar"):
        language = "en"
    response = HttpResponse(march_summary_pdf(march=march, language=language), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="march-{march.pk}-summary-{language}.pdf"'
    return response


@require_POST
def march_fold_now(request: HttpRequest, pk: int) -> HttpResponse:
    _check(request)
    march = get_object_or_404(VirtualMarchPage, pk=pk).canonical()
    services.march_slots_ensure(march=march)
    folded = services.counters_fold(march_id=march.pk)
    messages.success(request, _("Counters brought up to date (%(n)s new rows).") % {"n": folded})
    return redirect("marches_admin:dashboard", pk=march.pk)
