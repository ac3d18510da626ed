"""Downloads of a petition's confirmed signatures for delivery, as CSV or XLSX, streamed.

Both formats hold exactly the confirmed signatures (never pending or
invalidated ones), oldest first, with the signer's name, country, region,
postcode and city, the date signed and the comment; the email address only
for staff who may see it (``can_see_emails``). Every text cell goes through
the same formula guard as the auditor's exports (``safe_cell``): a signer
named ``=HYPERLINK(...)`` stays text in a spreadsheet.

Large petitions do not sit in memory: the CSV is written row by row to the
response as the database cursor yields them, and the XLSX is written by
openpyxl's write-only workbook to a temporary file that is then sent in
chunks.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from donations.ledger.exports import XLSX_TYPE, safe_cell

# Rows written to the CSV buffer before it is handed to the response.
CSV_ROWS_PER_CHUNK = 500
# The temporary XLSX stays in memory up to this size, then moves to disk.
XLSX_SPOOL_BYTES = 8 * 1024 * 1024
ITERATOR_CHUNK = 2000


def export_headers(*, with_email: bool) -> list[str]:
    headers = [
        _("Name"),
        _("Country"),
        _("Region"),
        _("Postcode"),
        _("City"),
        _("Signed on"),
        _("Confirmed on"),
        _("Comment"),
    ]
    if with_email:
        headers.append(_("Email"))
    return headers


def export_rows(signatures: Any, *, with_email: bool) -> Iterator[list[Any]]:
    """One row per signature of ``signatures`` (a queryset of confirmed ones), read in chunks."""
    from campaigns.petitions.admin_data import signature_row

    for signature in signatures.iterator(chunk_size=ITERATOR_CHUNK):
        yield signature_row(signature, with_email=with_email)


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV, a few hundred rows at a time: a byte-order mark first so spreadsheets read Arabic."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([safe_cell(str(header)) for header in headers])
    for number, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(cell) for cell in row])
        if number % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_file(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str) -> Any:
    """A temporary file holding the workbook (write-only: rows go to disk, not into memory), rewound."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.append([str(header) for header in headers])
    for row in rows:
        # safe_cell quotes text starting with "=", which openpyxl would otherwise store as a formula.
        sheet.append([safe_cell(cell) for cell in row])
    handle = tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES)  # noqa: SIM115 - closed by FileResponse
    workbook.save(handle)
    handle.seek(0)
    return handle


def _sheet_title(title: str) -> str:
    # Excel refuses these in sheet names, and names over 31 characters.
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return cleaned[:31] or "Signatures"


def filename_for(title: str, suffix: str) -> str:
    stamp = timezone.localdate().isoformat()
    return f"{slugify(title, allow_unicode=False)[:60] or 'petition'}-signatures-{stamp}.{suffix}"


def signatures_response(fmt: str, *, title: str, signatures: Any, with_email: bool) -> Any:
    """A streamed download (``csv`` or ``xlsx``) of ``signatures`` (a queryset of confirmed signatures)."""
    headers = export_headers(with_email=with_email)
    rows = export_rows(signatures, with_email=with_email)
    if fmt == "xlsx":
        response = FileResponse(
            xlsx_file(headers, rows, title=title),
            as_attachment=True,
            filename=filename_for(title, "xlsx"),
            content_type=XLSX_TYPE,
        )
    else:
        response = StreamingHttpResponse(csv_chunks(headers, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename_for(title, "csv")}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
