"""Public views of a march: its page with the registration form, the room, the participant's page, the summary."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from campaigns.marches import selectors, services
from campaigns.marches.forms import CallReportForm, RegisterForm, time_label
from campaigns.marches.models import MarchAction, MarchParticipant, VirtualMarchPage
from campaigns.marches.selectors import march_counts, participant_done, region_label, time_key


def _language() -> str:
    return (translation.get_language() or "en").split("-")[0]


def counters_context(page: VirtualMarchPage) -> dict[str, Any]:
    """The counters as they stand in the cache, labelled for the page (the script refreshes the numbers)."""
    canonical = page.canonical()
    counts = march_counts(march_id=canonical.pk)
    targets = {target.pk: target for target in canonical.targets.all()}
    by_target = {row["target"]: row for row in counts["by_target"]}
    zero = {"registered": 0, "calls": 0, "letters": 0}
    return {
        "counts": counts,
        "status_url": reverse("api:marches_status", args=[canonical.pk]),
        "poll_ms": settings.MARCH_POLL_MILLISECONDS,
        "target_rows": [{"target": target, **by_target.get(pk, zero)} for pk, target in targets.items()],
        "region_rows": [{**row, "label": region_label(row["region"])} for row in counts["by_region"]],
    }


def _page_context(request: HttpRequest, page: VirtualMarchPage) -> dict[str, Any]:
    canonical = page.canonical()
    return {
        **page.get_context(request),
        "page": page,
        "self": page,
        "canonical": canonical,
        "state": canonical.state(),
        "window_start": timezone.localtime(canonical.window_start, canonical.zone),
        "window_end": timezone.localtime(canonical.window_end, canonical.zone),
        "time_zone": canonical.time_zone,
        "targets": list(canonical.targets.all()),
        "room_url": page.url + page.reverse_subpage("room"),
        "summary_url": page.url + page.reverse_subpage("summary"),
        **counters_context(page),
    }


def _register_rate(group: str, request: HttpRequest) -> str:
    return settings.MARCH_REGISTER_RATE


@ratelimit(key="ip", rate=_register_rate, method="POST", block=True)
def march_page(request: HttpRequest, page: VirtualMarchPage) -> HttpResponse:
    canonical = page.canonical()
    context = _page_context(request, page)
    full = None
    if request.method == "POST" and context["state"] != "ended":
        form = RegisterForm(request.POST, march=canonical)
        if form.is_valid():
            data = form.cleaned_data
            try:
                registration = services.participant_register(
                    march=canonical,
                    name=data["name"],
                    email=data["email"],
                    region=data["region"],
                    language=_language(),
                    slot=data["slot"],
                )
            except services.MarchError as error:
                form.add_error(None, error.message)
                if error.next_free is not None or isinstance(error, services.SlotFull):
                    full = {
                        "next_free": time_key(error.next_free) if error.next_free else "",
                        "next_free_label": time_label(error.next_free, canonical.zone) if error.next_free else "",
                    }
            else:
                if not registration.created:
                    return TemplateResponse(request, "campaigns/marches/check_email.html", context)
                messages.success(request, _("You are booked. We have emailed you your time and this page's link."))
                return redirect("campaigns:marches_participant", token=registration.participant.token)
    else:
        form = RegisterForm(march=canonical)
    context.update(form=form, full=full)
    return TemplateResponse(request, page.template, context)


def march_room(request: HttpRequest, page: VirtualMarchPage) -> HttpResponse:
    return TemplateResponse(request, "campaigns/marches/room.html", _page_context(request, page))


def march_summary(request: HttpRequest, page: VirtualMarchPage) -> HttpResponse:
    context = _page_context(request, page)
    context["summary"] = selectors.march_summary(march=page.canonical()) if context["state"] == "ended" else None
    if context["summary"]:
        context["outcome_rows"] = [(MarchAction.Outcome(value).label, n) for value, n in context["summary"]["outcomes"]]
    return TemplateResponse(request, "campaigns/marches/summary.html", context)


# -- the participant's own room (a private link) ---------------------------------------------------


def _participant(token: str) -> MarchParticipant:
    participant = (
        MarchParticipant.objects.select_related("march", "target", "slot", "supporter").filter(token=token).first()
    )
    if participant is None:
        raise Http404(_("This link is not valid. Please use the link in your email."))
    return participant


def _letter_options(participant: MarchParticipant, page: VirtualMarchPage) -> list[dict[str, Any]]:
    options = []
    for target in participant.march.targets.all():
        route = services.letter_route(march=participant.march, target=target)
        subject, body = (
            services.letter_text(participant=participant, target=target) if page.letter_template else ("", "")
        )
        href = ""
        if route == "web_form":
            href = target.web_form_url
        elif route == "mailto":
            href = f"mailto:{target.public_email}?subject={quote(subject)}&body={quote(body)}"
        options.append({"target": target, "route": route, "href": href, "subject": subject, "body": body})
    return options


def participant_room(request: HttpRequest, token: str) -> HttpResponse:
    participant = _participant(token)
    march = participant.march
    page = march.in_language(_language())
    done = participant_done(participant)
    targets = list(march.targets.all())
    if participant.target_id:  # their own office first
        targets.sort(key=lambda target: target.pk != participant.target_id)
    context = {
        **_page_context(request, page),
        "participant": participant,
        "call_at": timezone.localtime(participant.call_at, march.zone) if participant.call_at else None,
        "call_targets": [
            {
                "target": t,
                "call": done.get((t.pk, MarchAction.Kind.CALL)),
                "form": CallReportForm(initial={"target": t.pk}),
            }
            for t in targets
        ],
        "letters": [
            {**option, "sent": done.get((option["target"].pk, MarchAction.Kind.LETTER))}
            for option in _letter_options(participant, page)
        ],
        "outcome_choices": MarchAction.Outcome.choices,
    }
    return render(request, "campaigns/marches/participant.html", context)


@require_POST
def participant_act(request: HttpRequest, token: str) -> HttpResponse:
    """The room's plain forms: "I called" with the outcome, "send the letter", "I sent it myself"."""
    participant = _participant(token)
    action = request.POST.get("action", "")
    target_id = request.POST.get("target")
    try:
        if action == "call":
            _action, created = services.call_report(
                participant=participant, target_id=target_id, outcome=request.POST.get("outcome", "")
            )
            text = _("Thank you: your call is counted.") if created else _("You already reported this call.")
        elif action == "letter":
            _action, created = services.letter_submit(participant=participant, target_id=target_id)
            text = _("Thank you: your letter is on its way.") if created else _("You already sent this letter.")
        elif action == "letter_self":
            _action, created = services.letter_self_sent_record(participant=participant, target_id=target_id)
            text = _("Thank you: your letter is counted.") if created else _("You already sent this letter.")
        else:
            raise services.MarchError(_("Please use one of the buttons on the page."))
    except services.MarchError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, text)
    return redirect("campaigns:marches_participant", token=participant.token)
