"""The ledger's public JSON: checkpoints, proofs, the full export and the verifier itself.

Served outside the language prefixes (/ledger/...): machines read these. Bad input answers a
JSON 400 or 404 with an ``error`` message, never a 500.
"""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

from donations.ledger import proofs
from donations.ledger.models import Checkpoint, LedgerEntry
from donations.ledger.public import export_chunks
from donations.ledger.services import consistency_document, inclusion_document, public_key_b64

PROOF_MAX_AGE = 60
CHECKPOINTS_PAGE = 50
CHECKPOINTS_MAX = 500
EXPORT_RATE = "6/m"
MAX_BIGINT = 2**63 - 1


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _public(response: HttpResponse, max_age: int = PROOF_MAX_AGE) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=max_age)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _int(value: str | None, name: str, *, minimum: int = 0) -> int:
    if value is None or value == "":
        raise ValueError(f"the parameter {name} is required")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"the parameter {name} must be a whole number") from None
    if not minimum <= number <= MAX_BIGINT:
        raise ValueError(f"the parameter {name} must be between {minimum} and {MAX_BIGINT}")
    return number


@require_GET
def checkpoints(request: HttpRequest) -> HttpResponse:
    """Signed tree heads, latest first: ``?limit=`` (up to 500) and ``?before=<tree_size>`` to page back."""
    try:
        limit = min(_int(request.GET.get("limit") or str(CHECKPOINTS_PAGE), "limit", minimum=1), CHECKPOINTS_MAX)
        before = _int(request.GET["before"], "before", minimum=1) if request.GET.get("before") else None
    except ValueError as error:
        return _error(str(error), 400)
    rows = Checkpoint.objects.order_by("-tree_size")
    if before is not None:
        rows = rows.filter(tree_size__lt=before)
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    next_url = f"{request.path}?limit={limit}&before={page[-1].tree_size}" if more and page else None
    return _public(
        JsonResponse({"public_key": public_key_b64(), "checkpoints": [c.as_dict() for c in page], "next": next_url})
    )


@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    """The organisation's Ed25519 public key, base64: what every checkpoint's signature verifies with."""
    return _public(HttpResponse(public_key_b64() + "\n", content_type="text/plain; charset=utf-8"), 3600)


@require_GET
def inclusion(request: HttpRequest, seq: int) -> HttpResponse:
    """Entry ``seq``'s audit path to the latest checkpoint, or to the one of ``?tree_size=``."""
    checkpoint = None
    if request.GET.get("tree_size"):
        try:
            size = _int(request.GET["tree_size"], "tree_size", minimum=1)
        except ValueError as error:
            return _error(str(error), 400)
        checkpoint = Checkpoint.objects.filter(tree_size=size).first()
        if checkpoint is None:
            return _error(f"no checkpoint of size {size} was published", 404)
    if not 1 <= seq <= MAX_BIGINT:
        return _error("entries are numbered from 1", 404)
    try:
        document = inclusion_document(seq=seq, checkpoint=checkpoint)
    except LookupError:
        return _error(f"no published checkpoint covers entry {seq} yet", 404)
    except LedgerEntry.DoesNotExist:
        return _error(f"there is no entry {seq}", 404)
    return _public(JsonResponse(document))


@require_GET
def consistency(request: HttpRequest) -> HttpResponse:
    """Proof that the checkpoint of size ``?second=`` extends the one of size ``?first=``."""
    try:
        first = _int(request.GET.get("first"), "first", minimum=1)
        second = _int(request.GET.get("second"), "second", minimum=1)
    except ValueError as error:
        return _error(str(error), 400)
    if first > second:
        return _error("first must not be larger than second", 400)
    known = set(Checkpoint.objects.filter(tree_size__in=[first, second]).values_list("tree_size", flat=True))
    for size in (first, second):
        if size not in known:
            return _error(f"no checkpoint of size {size} was published", 404)
    return _public(JsonResponse(consistency_document(first=first, second=second)))


@require_GET
@ratelimit(key="ip", rate=EXPORT_RATE, block=False)
def export(request: HttpRequest) -> HttpResponse:
    """Every entry and checkpoint, streamed: feed it to verifier.py."""
    if getattr(request, "limited", False):
        response = _error("too many exports from this address; try again in a minute", 429)
        response["Retry-After"] = "60"
        return response
    response = StreamingHttpResponse(export_chunks(), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="ledger-export.json"'
    return _public(response, PROOF_MAX_AGE)


@require_GET
def verifier(request: HttpRequest) -> HttpResponse:
    """The standalone verifier: the very file the site computes its hashes with."""
    source = Path(proofs.__file__).read_bytes()
    response = HttpResponse(source, content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verifier.py"'
    return _public(response, 3600)
