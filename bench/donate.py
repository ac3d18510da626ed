"""Donation start: what a donor does to reach the card form, against a bare view doing one INSERT.

One server with no Stripe keys, so new gifts use the sandbox gateway. The
donate page is the one the preparation step made (bench/dbtools.py:
``/bench-give/``, monthly upsell off, so the form leads straight to payment).

Each client connection is one donor's browser session: it first fetches the
donate page, unmeasured, for the CSRF cookie, the form's CSRF token and its
signed configuration (``config_token``), as a browser does. Then, measured:

- ``insert``: the write floor (bench/views.py), the baseline of the ratios;
- ``start``: one operation is POST the form to its action
  (``/donate/start/``; a new ``attempt_id`` and an email of its own each
  time, so each is a new gift from a new supporter): the gift is made and
  its sandbox PaymentIntent created (``payment_prepare``), and the answer is
  a 302 to ``/donate/<reference>/pay/``. This is the issue's "form post to
  sandbox intent".
- ``start + payment page``: the same POST, then GET the payment page with the
  session cookie the POST set, as the donor's browser does (the card form).

Every post carries ``utm_source=bench`` and a campaign of this run's own, so
after the run the database is counted (bench/dbtools.py): as many gifts as
redirects, and in the ``start`` measurement as many sandbox payments as
card forms shown. The gifts stay, pending, in the database (marked by that
UTM source), like any abandoned gift.
"""

from __future__ import annotations

import html
import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.flowgen import FlowError, Response, Session
from bench.harness import INSERT, BenchContext, Measurement
from bench.loadgen import Request

NAME = "donations"
RUN = "sandbox"
TARGET_RATE = 200.0
PAY_PATH = re.compile(r"^(/[a-z]{2})?/donate/[0-9a-f-]{36}/pay/$")
_FORM = re.compile(rb"<form\b[^>]*\bmethod=\"post\"[^>]*>(.*?)</form>", re.DOTALL | re.IGNORECASE)
_INPUT = re.compile(rb"<input\b([^>]*)>", re.IGNORECASE)
_ACTION = re.compile(
    rb"<form\b[^>]*\bmethod=\"post\"[^>]*\baction=\"([^\"]+)\"[^>]*\bclass=\"donate-main\"", re.IGNORECASE
)
_ATTRIBUTE = re.compile(rb"([\w-]+)=\"([^\"]*)\"")
# What the card form of the sandbox payment step contains.
CARD_FIELD = b'name="number"'


def hidden_fields(page: bytes) -> dict[str, str]:
    """The hidden inputs of the page's donation form (the POST form that carries ``config_token``)."""
    for form in _FORM.findall(page):
        if b'name="config_token"' not in form:
            continue
        fields = {}
        for tag in _INPUT.findall(form):
            attributes = {name.lower(): value for name, value in _ATTRIBUTE.findall(tag)}
            if attributes.get(b"type", b"").lower() == b"hidden" and b"name" in attributes:
                fields[attributes[b"name"].decode()] = html.unescape(attributes.get(b"value", b"").decode())
        return fields
    return {}


class Donors:
    """The flow: per connection a browser session on the donate page; per operation one new gift."""

    def __init__(self, *, page: str, campaign: str, amount: int, pay: bool = True) -> None:
        self.page = page
        self.campaign = campaign
        self.amount = str(amount)
        self.pay = pay
        self.redirected = 0
        self.card_forms = 0
        self.origin = ""

    async def begin(self, session: Session) -> None:
        """GET the donate page: the csrftoken cookie, and the form's hidden fields (CSRF token, config)."""
        host = session.run.host_header
        self.origin = f"http://{host}"
        response = await session.request(
            Request(method="GET", path=self.page, headers={"Accept": "text/html", "Accept-Language": "en"}),
            step="donate page",
        )
        if response.status != 200:
            raise FlowError(f"GET {self.page}: {response.status}")
        fields = hidden_fields(response.body)
        missing = [name for name in ("csrfmiddlewaretoken", "config_token", "attempt_id") if name not in fields]
        if missing:
            raise FlowError(f"GET {self.page}: no {', '.join(missing)} in the donation form")
        if "csrftoken" not in session.cookies:
            raise FlowError(f"GET {self.page}: no csrftoken cookie")
        session.data["fields"] = fields
        action = _ACTION.search(response.body)
        if action is None:
            raise FlowError(f"GET {self.page}: the donation form has no action")
        session.data["action"] = html.unescape(action.group(1).decode())

    def _form(self, session: Session, seq: int) -> bytes:
        """What the browser posts: the hidden fields, a preset amount, a new attempt, a new donor."""
        donor = f"{self.campaign}-{seq}"
        data = {
            **session.data["fields"],
            "attempt_id": str(uuid.uuid4()),
            "frequency": "one_time",
            "amount": self.amount,
            "other_amount": "",
            "name": f"Bench Donor {seq}",
            "email": f"{donor}@example.org",
            "address_line1": "",
            "address_line2": "",
            "address_city": "",
            "address_postcode": "",
            "address_country": "",
            "tribute": "",
            "tribute_name": "",
            "tribute_notify_name": "",
            "tribute_notify_email": "",
            "message": "",
            "website": "",
            "utm_source": "bench",
            "utm_campaign": self.campaign,
        }
        return urlencode(data).encode()

    async def operation(self, session: Session, seq: int) -> Response:
        action = session.data["action"]
        post = await session.request(
            Request(
                method="POST",
                path=action,
                headers={
                    "Accept": "text/html",
                    "Accept-Language": "en",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": f"{self.origin}{self.page}",
                },
                body=self._form(session, seq),
            ),
            step="form POST",
        )
        if post.status != 302:
            raise FlowError(f"POST {action}: {post.status}")
        target = urlsplit(post.header("location") or "").path
        if not PAY_PATH.match(target):
            raise FlowError(f"POST {action}: redirected elsewhere than the payment step")
        self.redirected += 1
        if not self.pay:
            return post
        pay = await session.request(
            Request(
                method="GET",
                path=target,
                headers={"Accept": "text/html", "Accept-Language": "en", "Referer": f"{self.origin}{self.page}"},
            ),
            step="payment step GET",
        )
        if pay.status != 200:
            raise FlowError(f"GET /donate/<reference>/pay/: {pay.status}")
        if CARD_FIELD not in pay.body:
            raise FlowError("GET /donate/<reference>/pay/: no card form")
        self.card_forms += 1
        return pay

    def summary(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "redirected": self.redirected, "card_forms": self.card_forms}


def donors(*, page: str, campaign: str, amount: int, pay: bool = True) -> Donors:
    """The flow factory (``bench.donate:donors``), called in the load generator's process."""
    return Donors(page=page, campaign=campaign, amount=amount, pay=pay)


def _check_counts(ctx: BenchContext, label: str, measurement: Measurement, stats: dict[str, Any]) -> None:
    flow = measurement.flow
    counted = stats["campaigns"].get(flow.get("campaign", ""), {})
    started = counted.get("started", 0)
    paid = counted.get("with_payment", 0)
    redirected = flow.get("redirected", 0)
    card_forms = flow.get("card_forms", 0)
    gateways = counted.get("gateways", {})
    # Every post that reached the payment step made its gift and its sandbox PaymentIntent, once.
    ok = redirected > 0 and started == redirected == paid and set(gateways) == {"sandbox"}
    ctx.report.check(
        ok,
        f"{NAME} {label}: {redirected:,} posts redirected to payment ({card_forms:,} card forms shown), "
        f"but the database has {started:,} gifts, {paid:,} with a payment, gateways {gateways}",
        f"{NAME} {label}: {started:,} sandbox gifts and {paid:,} PaymentIntents for {redirected:,} redirected posts"
        + (f", {card_forms:,} card forms shown" if card_forms else ""),
    )


def run(ctx: BenchContext) -> None:
    """Donation start (form post to sandbox intent, and with the payment page) against one INSERT."""
    page = ctx.site["donate_path"]
    amounts = ctx.site.get("donate_amounts") or [5000]
    amount = amounts[len(amounts) // 2]
    tag = secrets.token_hex(4)
    campaigns = {"start": f"bench-{tag}-start", "post": f"bench-{tag}-post"}
    flow = f"{__name__}:donors"
    # No Stripe keys: gifts go to the sandbox gateway whatever the caller's environment says.
    sandbox = {"STRIPE_SECRET_KEY": "", "STRIPE_PUBLISHABLE_KEY": "", "STRIPE_WEBHOOK_SECRET": ""}
    with ctx.server("sandbox donations", **sandbox) as server:
        insert = server.measure(INSERT, ctx.load)
        start = server.measure(
            None,
            ctx.load,
            flow=flow,
            factory_args={"page": page, "campaign": campaigns["start"], "amount": amount, "pay": False},
            describe=Request(method="POST", path="/donate/start/"),
        )
        with_page = server.measure(
            None,
            ctx.load,
            flow=flow,
            factory_args={"page": page, "campaign": campaigns["post"], "amount": amount, "pay": True},
            describe=Request(method="POST+GET", path="/donate/start/ -> /donate/<ref>/pay/"),
        )
    report = ctx.report
    report.add(NAME, RUN, "insert", insert, baseline=insert)
    report.add(NAME, RUN, "start", start, baseline=insert)
    report.add(NAME, RUN, "start + pay page", with_page, baseline=insert)

    stats = ctx.django("donation-stats", *[f"--campaign={name}" for name in campaigns.values()])
    _check_counts(ctx, "start", start, stats)
    _check_counts(ctx, "start + pay page", with_page, stats)
    steps = with_page.flow.get("steps", {})
    if steps:
        report.note(
            f"{NAME} start + pay page: "
            + "; ".join(
                f"{name} p50 {step['p50_ms']:.1f} ms, p99 {step['p99_ms']:.1f} ms" for name, step in steps.items()
            )
        )
    if ctx.settings.get("database") == "sqlite":
        report.note(f"{NAME}: SQLite takes one writer at a time; each post and each payment step writes")

    report.target(
        f"donation start at least {TARGET_RATE:g}/s",
        start.result.errors == 0 and start.result.rps >= TARGET_RATE,
        f"{start.result.rps:,.0f} starts/s (form post to sandbox intent) with {ctx.load.concurrency} connections, "
        f"{_ratio(start, insert)} of the INSERT view's {insert.result.rps:,.0f}/s; "
        f"with the payment page too {with_page.result.rps:,.0f}/s",
    )


def _ratio(measurement: Measurement, baseline: Measurement) -> str:
    if baseline.result.rps <= 0:
        return "-"
    # Rounded as the table's ratio column is (Report.add), so the two agree.
    return f"{round(measurement.result.rps / baseline.result.rps, 3):.2f}"
