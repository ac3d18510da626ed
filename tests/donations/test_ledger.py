"""The books: balanced, append-only, tamper-evident, and posted once per gift event."""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from donations.gateways.sandbox import SandboxGateway, find_test_card
from donations.ledger import posting, proofs
from donations.ledger.models import Checkpoint, LedgerEntry, LedgerHead, LedgerTransaction
from donations.ledger.services import LedgerError, Line, checkpoint_publish, ledger_post, public_key_b64
from donations.models import WebhookEvent
from donations.services import GiftRequest, donation_start, payment_prepare
from donations.services.staff import donation_refund
from donations.services.webhooks import webhook_event_apply, webhook_event_store
from tests.donations.test_events import build_world, deliver

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database triggers exist only on PostgreSQL"
)
PROOFS_FILE = Path(proofs.__file__)
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def post(amount: int = 5000, currency: str = "USD", *, source: str | None = None, lines: list[Line] | None = None):
    """A gift-like transaction through the service: clearing debited, general income credited."""
    lines = lines or [
        Line(posting.clearing("sandbox", currency), amount, currency, "general"),
        Line(posting.bank(currency), -amount, currency, "general"),
    ]
    txn, _new = ledger_post(
        kind=LedgerTransaction.Kind.GIFT, source_key=source or f"test:{uuid.uuid4()}", occurred_at=WHEN, lines=lines
    )
    return txn


def three_way(amount: int = 900) -> LedgerTransaction:
    """A three-line transaction, so tree sizes are not always even."""
    usd = "USD"
    return post(
        lines=[
            Line(posting.clearing("sandbox", usd), amount, usd, "general"),
            Line(posting.bank(usd), -amount // 3, usd, "general"),
            Line(posting.cash(usd), -(amount - amount // 3), usd, "general"),
        ]
    )


def verify_output() -> tuple[bool, str]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("ledger_verify", stdout=out)
    except CommandError as error:
        return False, out.getvalue() + str(error)
    return True, out.getvalue()


# -- Balanced, on both databases ---------------------------------------------------------------


def test_an_unbalanced_transaction_is_refused_by_the_service():
    usd = "USD"
    with pytest.raises(LedgerError, match="do not balance"):
        post(lines=[Line(posting.bank(usd), 5000, usd), Line(posting.clearing("sandbox", usd), -4999, usd)])
    with pytest.raises(LedgerError, match="two or more"):
        post(lines=[Line(posting.bank(usd), 5000, usd)])
    with pytest.raises(LedgerError, match="do not balance"):  # balanced in sum, not per currency
        post(lines=[Line(posting.bank(usd), 5000, usd), Line(posting.clearing("sandbox", "EUR"), -5000, "EUR")])
    with pytest.raises(LedgerError, match="non-zero integers"):
        post(lines=[Line(posting.bank(usd), 0, usd), Line(posting.cash(usd), 0, usd)])
    assert not LedgerEntry.objects.exists() and not LedgerTransaction.objects.exists()


def test_posting_the_same_source_twice_posts_once():
    first = post(source="gift:once")
    again = post(source="gift:once", amount=7000)
    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 2
    assert list(LedgerEntry.objects.values_list("seq", flat=True)) == [1, 2]
    assert LedgerHead.objects.get().last_seq == 2


# -- PostgreSQL refuses what the service would never do -------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_refuses_a_one_sided_entry_at_commit():
    account = posting.bank("USD")
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        txn = LedgerTransaction.objects.create(kind="correction", source_key="raw:one-sided", occurred_at=WHEN)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO donations_ledgerentry (seq, transaction_id, account_id, transaction_uuid, kind, "
                "account_code, amount_minor, currency, occurred_at, source_key, designation, donor_commitment, "
                "chain_hash) VALUES (1, %s, %s, %s, 'correction', %s, 100, 'USD', %s, 'raw:one-sided', '', '', "
                "repeat('0', 64)), (2, %s, %s, %s, 'correction', %s, -99, 'USD', %s, 'raw:one-sided', '', '', "
                "repeat('0', 64))",
                [txn.pk, account.pk, str(txn.uuid), account.code, WHEN] * 2,
            )
    with pytest.raises(IntegrityError, match="two or more"), transaction.atomic():
        txn = LedgerTransaction.objects.create(kind="correction", source_key="raw:single", occurred_at=WHEN)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO donations_ledgerentry (seq, transaction_id, account_id, transaction_uuid, kind, "
                "account_code, amount_minor, currency, occurred_at, source_key, designation, donor_commitment, "
                "chain_hash) VALUES (1, %s, %s, %s, 'correction', %s, 100, 'USD', %s, 'raw:single', '', '', "
                "repeat('0', 64))",
                [txn.pk, account.pk, str(txn.uuid), account.code, WHEN],
            )
    assert not LedgerEntry.objects.exists()
    assert not LedgerTransaction.objects.exists()  # rolled back with its entries
    post()  # a balanced one commits
    assert LedgerEntry.objects.count() == 2


@postgres_only
def test_postgres_refuses_update_and_delete_of_posted_rows():
    txn = post()
    checkpoint_publish()
    statements = [
        "UPDATE donations_ledgerentry SET amount_minor = 1 WHERE seq = 1",
        "UPDATE donations_ledgerentry SET chain_hash = repeat('f', 64) WHERE seq = 2",
        "DELETE FROM donations_ledgerentry WHERE seq = 2",
        f"UPDATE donations_ledgertransaction SET memo = 'edited' WHERE id = {txn.pk}",  # noqa: S608
        f"DELETE FROM donations_ledgertransaction WHERE id = {txn.pk}",  # noqa: S608
        "UPDATE donations_merklenode SET hash = hash WHERE height = 0",
        "DELETE FROM donations_checkpoint",
    ]
    for statement in statements:
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert list(LedgerEntry.objects.values_list("amount_minor", flat=True)) == [5000, -5000]
    assert Checkpoint.objects.count() == 1
    assert verify_output()[0]


# -- Tampering is caught and named -----------------------------------------------------------------------


class TriggersBypassed:
    """What an attacker with the database's superuser could do: edit rows with the guards off."""

    def __enter__(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # The postings were committed first (the test runs in one transaction: run the checks a commit
                # would run now, on the honest rows), then the guards are switched off for this session.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                cursor.execute("SET session_replication_role = replica")
        return self

    def __exit__(self, *exc):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")

    def execute(self, sql: str, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_ledger_verify_passes_on_honest_books_and_names_a_changed_entry():
    for amount in (5000, 2500, 1200):
        post(amount)
    three_way()
    checkpoint_publish()
    post(800)
    ok, output = verify_output()
    assert ok, output
    assert "11 entries, 1 checkpoints" in output and "reading rows" in output and "hashing" in output
    assert "2 entries are newer than the last checkpoint" in output

    with TriggersBypassed() as db:
        db.execute("UPDATE donations_ledgerentry SET amount_minor = 25 WHERE seq = 3")
    assert LedgerEntry.objects.get(seq=3).amount_minor == 25
    ok, output = verify_output()
    assert not ok
    assert "entry 3 (transaction" in output and "it was changed" in output
    assert "checkpoint of size 9: the entries give another root" in output
    assert "entry 4 " not in output  # the first change is named, not everything after it


def test_ledger_verify_names_an_entry_even_when_the_chain_was_rewritten_after_it():
    for amount in (5000, 2500, 1200):
        post(amount)
    checkpoint_publish()
    rows = list(LedgerEntry.objects.order_by("seq"))
    # Change entry 4's account and recompute every chain hash from there: only the signed root still knows.
    previous = bytes.fromhex(rows[2].chain_hash)
    with TriggersBypassed() as db:
        db.execute("UPDATE donations_ledgerentry SET designation = 'page:999' WHERE seq = 4")
        for row in LedgerEntry.objects.filter(seq__gte=4).order_by("seq"):
            from donations.ledger.services import entry_of

            previous = proofs.chain_hash(previous, proofs.leaf_hash(entry_of(row).canonical()))
            db.execute("UPDATE donations_ledgerentry SET chain_hash = %s WHERE seq = %s", [previous.hex(), row.seq])
            db.execute("UPDATE donations_ledgerhead SET last_chain_hash = %s", [previous.hex()])
    ok, output = verify_output()
    assert not ok
    assert "does not match its chain hash" not in output
    assert "checkpoint of size 6: the entries give another root; entry 4 differs" in output


def test_ledger_verify_finds_a_missing_entry_and_a_forged_checkpoint():
    post()
    post()
    checkpoint_publish()
    with TriggersBypassed() as db:
        db.execute("UPDATE donations_checkpoint SET root_hash = %s", ["ab" * 32])
    ok, output = verify_output()
    assert not ok and "checkpoint of size 4: the signature does not verify" in output
    with TriggersBypassed() as db:
        db.execute("DELETE FROM donations_checkpoint")
        db.execute("DELETE FROM donations_ledgerentry WHERE seq = 2")
    ok, output = verify_output()
    assert not ok and "entry 2 is missing" in output


# -- Proofs from the API verify in the standalone verifier ------------------------------------------------


def test_inclusion_and_consistency_proofs_from_the_api_verify_and_forgeries_fail(client):
    key = public_key_b64()
    post()
    three_way()
    small = checkpoint_publish()  # size 5
    for amount in (100, 200, 300, 400, 500, 600):
        post(amount)
    three_way(1500)
    large = checkpoint_publish()  # size 20
    assert (small.tree_size, large.tree_size) == (5, 20)

    for seq in range(1, 21):
        document = client.get(f"/ledger/proof/inclusion/{seq}.json").json()
        assert proofs.check_inclusion_document(document, key).ok, seq
        assert document["checkpoint"]["tree_size"] == 20
        assert len(document["audit_path"]) <= 5
    old = client.get("/ledger/proof/inclusion/3.json", {"tree_size": 5})
    assert old["Cache-Control"] == "public, max-age=60"
    old = old.json()
    assert old["checkpoint"]["tree_size"] == 5 and proofs.check_inclusion_document(old, key).ok

    document = client.get("/ledger/proof/inclusion/7.json").json()
    flipped = json.loads(json.dumps(document))
    digest = bytearray(bytes.fromhex(flipped["audit_path"][1]))
    digest[0] ^= 1
    flipped["audit_path"][1] = digest.hex()
    assert not proofs.check_inclusion_document(flipped, key).ok
    wrong_leaf = json.loads(json.dumps(document))
    wrong_leaf["entry"]["amount_minor"] += 1
    assert not proofs.check_inclusion_document(wrong_leaf, key).ok
    moved = json.loads(json.dumps(document))
    moved["entry"]["seq"] = 8  # the right entry claimed at another position
    assert not proofs.check_inclusion_document(moved, key).ok
    other_key = base64.b64encode(bytes(32)).decode()
    assert not proofs.check_inclusion_document(document, other_key).ok

    response = client.get("/ledger/proof/consistency.json", {"first": 5, "second": 20})
    assert response.status_code == 200
    body = response.json()
    path = [bytes.fromhex(h) for h in body["proof"]]
    first_root, second_root = bytes.fromhex(body["first"]["root_hash"]), bytes.fromhex(body["second"]["root_hash"])
    assert proofs.verify_consistency(5, 20, first_root, second_root, path)
    forged = list(path)
    forged[-1] = bytes([forged[-1][0] ^ 1]) + forged[-1][1:]
    assert not proofs.verify_consistency(5, 20, first_root, second_root, forged)
    assert not proofs.verify_consistency(5, 20, first_root, bytes(32), path)
    assert not proofs.verify_consistency(4, 20, first_root, second_root, path)


def test_the_proof_api_answers_bad_input_with_json_errors(client):
    post()
    checkpoint_publish()
    cases = {
        "/ledger/proof/consistency.json": 400,
        "/ledger/proof/consistency.json?first=2": 400,
        "/ledger/proof/consistency.json?first=x&second=2": 400,
        "/ledger/proof/consistency.json?first=0&second=2": 400,
        "/ledger/proof/consistency.json?first=2&second=1": 400,
        "/ledger/proof/consistency.json?first=1&second=2": 404,
        "/ledger/proof/consistency.json?first=2&second=99999999999999999999": 400,
        "/ledger/proof/consistency.json?first=2&second=999999999": 404,
        "/ledger/proof/inclusion/99999999999999999999.json": 404,
        "/ledger/proof/inclusion/3.json": 404,
        "/ledger/proof/inclusion/0.json": 404,
        "/ledger/proof/inclusion/1.json?tree_size=abc": 400,
        "/ledger/proof/inclusion/1.json?tree_size=1": 404,
        "/ledger/checkpoints.json?limit=-1": 400,
        "/ledger/checkpoints.json?before=x": 400,
    }
    for url, status in cases.items():
        response = client.get(url)
        assert (response.status_code, response["Content-Type"]) == (status, "application/json"), url
        assert response.json()["error"], url
    assert client.get("/ledger/proof/consistency.json?first=2&second=2").json()["proof"] == []
    post()
    checkpoint_publish()
    listing = client.get("/ledger/checkpoints.json", {"limit": 1}).json()
    assert listing["public_key"] == public_key_b64()
    assert [c["tree_size"] for c in listing["checkpoints"]] == [4]
    assert [c["tree_size"] for c in client.get(listing["next"]).json()["checkpoints"]] == [2]
    assert client.get("/ledger/public-key").content.decode().strip() == public_key_b64()


# -- The standalone verifier, run as an auditor would ----------------------------------------------------


def test_the_standalone_verifier_accepts_the_export_and_names_a_tampered_entry(client, tmp_path):
    for amount in (5000, 2500):
        post(amount)
    three_way()
    checkpoint_publish()
    post(700)
    checkpoint_publish()
    post(300)  # not yet in a checkpoint: still chained

    verifier = tmp_path / "verifier.py"
    response = client.get("/ledger/verifier.py")
    assert response["Content-Type"].startswith("text/x-python")
    verifier.write_bytes(response.content)
    assert response.content == PROOFS_FILE.read_bytes()
    export = tmp_path / "export.json"
    export.write_bytes(b"".join(client.get("/ledger/export.json").streaming_content))
    command_export = tmp_path / "command.json"
    call_command("ledger_export", output=str(command_export))
    assert json.loads(command_export.read_text()) == json.loads(export.read_text())
    data = json.loads(export.read_text())
    assert len(data["entries"]) == 11 and [c["tree_size"] for c in data["checkpoints"]] == [7, 9]
    assert data["checkpoints"][1]["consistency_from_previous"]

    key = public_key_b64()

    def run(path: Path, *extra: str) -> subprocess.CompletedProcess:
        # Run from an empty folder with no Django on the path: the verifier needs neither.
        return subprocess.run(
            [sys.executable, "-I", str(verifier), str(path), *extra],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )

    good = run(export, "--public-key", key)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "11 entries: every chain hash matches" in good.stdout
    assert "checkpoints 7 -> 9: consistency proof verifies" in good.stdout

    proof = tmp_path / "proof.json"
    proof.write_text(client.get("/ledger/proof/inclusion/4.json").content.decode())
    assert run(export, "--public-key", key, "--proof", str(proof)).returncode == 0

    tampered = json.loads(export.read_text())
    tampered["entries"][5]["amount_minor"] -= 100
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered))
    result = run(bad, "--public-key", key)
    assert result.returncode == 1
    assert "entry 6 does not match its chain hash: it was changed" in result.stdout

    other = run(export, "--public-key", base64.b64encode(bytes(32)).decode())
    assert other.returncode == 1 and "signature does not verify" in other.stdout


# -- The tree's shape ---------------------------------------------------------------------------------------


def test_an_inclusion_proof_in_a_million_leaves_has_at_most_twenty_hashes():
    size = 1_000_000
    rng = random.Random(6962)
    for index in [0, 1, size // 2, 524_287, 524_288, size - 2, size - 1, *rng.sample(range(size), 200)]:
        nodes = proofs.inclusion_nodes(index, size)
        path = proofs.inclusion_proof(index, size, lambda h, i: proofs.leaf_hash(f"{h}/{i}".encode()))
        assert len(path) <= 20 and len(nodes) <= 40


def test_every_inclusion_and_consistency_proof_of_a_small_tree_verifies():
    leaves = [proofs.leaf_hash(str(n).encode()) for n in range(70)]
    stored: dict[tuple[int, int], bytes] = {}
    frontier = proofs.Frontier()
    roots = {}
    for leaf in leaves:
        for height, index, digest in frontier.add(leaf):
            stored[(height, index)] = digest
        roots[frontier.size] = frontier.root()
        assert roots[frontier.size] == proofs.root_of(leaves[: frontier.size])

    def node(height: int, index: int) -> bytes:
        return stored[(height, index)]

    for size in range(1, 71):
        for index in range(size):
            path = proofs.inclusion_proof(index, size, node)
            assert proofs.verify_inclusion(index, size, leaves[index], path, roots[size])
            assert not proofs.verify_inclusion(index, size, leaves[(index + 1) % 70], path, roots[size])
    for first in range(1, 70):
        for second in range(first, 71, 3):
            path = proofs.consistency_proof(first, second, node)
            assert proofs.verify_consistency(first, second, roots[first], roots[second], path)
            if path:
                assert not proofs.verify_consistency(first, second, roots[first], roots[second], path[::-1][:-1])


# -- Gifts through the sandbox post balanced books -----------------------------------------------------------


def balances_by_account() -> dict[tuple[str, str], int]:
    rows = LedgerEntry.objects.values_list("account_code", "currency").annotate(total=Sum("amount_minor"))
    return {(code, currency): total for code, currency, total in rows if total}


def assert_every_transaction_balances() -> None:
    per_txn: dict[tuple[int, str], int] = defaultdict(int)
    lines: dict[int, int] = defaultdict(int)
    for txn, currency, amount in LedgerEntry.objects.values_list("transaction_id", "currency", "amount_minor"):
        per_txn[(txn, currency)] += amount
        lines[txn] += 1
    assert per_txn and not any(per_txn.values())
    assert min(lines.values()) >= 2


def sandbox_gift(capture, amount: int = 5000, email: str = "huda@example.org"):
    with capture(execute=True):
        gift, _ = donation_start(
            gift=GiftRequest(
                attempt_id=uuid.uuid4(),
                amount_minor=amount,
                currency="USD",
                frequency="one_time",
                name="Huda Haddad",
                email=email,
            )
        )
        gift = payment_prepare(donation=gift)
        SandboxGateway().pay(gift, find_test_card("4242424242424242"))
    gift.refresh_from_db()
    return gift


def test_sandbox_gifts_refunds_disputes_and_a_payout_post_balanced_books(
    django_capture_on_commit_callbacks, staff_user
):
    from donations.models import FeeRule

    FeeRule.objects.update_or_create(currency="USD", defaults={"percent_bp": 290, "fixed_minor": 30})
    capture = django_capture_on_commit_callbacks
    kept = sandbox_gift(capture, 5000)
    refunded = sandbox_gift(capture, 3000, "omar@example.org")
    disputed = sandbox_gift(capture, 2000, "lina@example.org")
    assert kept.status == "succeeded" and kept.processor_fee_minor > 0
    with capture(execute=True):
        donation_refund(donation=refunded, amount_minor=1000, reason="Asked", user=staff_user, request_id=uuid.uuid4())
    with capture(execute=True):
        SandboxGateway().open_dispute(disputed)
    with capture(execute=True):
        SandboxGateway().close_dispute(disputed, won=False)
    disputed.refresh_from_db()
    assert disputed.status == "dispute_lost"

    fees = kept.processor_fee_minor + refunded.processor_fee_minor + disputed.processor_fee_minor
    clearing = ("asset:clearing:sandbox:USD", "USD")
    books = balances_by_account()
    assert books[clearing] == 10_000 - fees - 1000 - 2000
    with capture(execute=True):
        SandboxGateway().emit(
            "payout.paid",
            {"id": "po_test1", "object": "payout", "amount": books[clearing], "currency": "usd", "arrival_date": 1},
            event_id="evt_po_test1",
        )
    books = balances_by_account()
    assert_every_transaction_balances()
    assert clearing not in books  # everything cleared was paid out
    assert books[("asset:bank:USD", "USD")] == 10_000 - fees - 1000 - 2000
    assert books[("income:donations:general", "USD")] == -10_000
    assert books[("expense:fees:sandbox", "USD")] == fees
    assert books[("income:refunds", "USD")] == 1000
    assert books[("income:chargebacks", "USD")] == 2000
    assert sum(books.values()) == 0
    kinds = sorted(LedgerTransaction.objects.values_list("kind", flat=True))
    assert kinds == sorted(["gift"] * 3 + ["fee"] * 3 + ["refund", "dispute_opened", "dispute_lost", "payout"])

    # Everything delivered again: nothing new is posted.
    count = LedgerEntry.objects.count()
    with capture(execute=True):
        for stored in WebhookEvent.objects.order_by("?"):
            again, new = webhook_event_store(gateway=stored.gateway, payload=stored.payload)
            assert not new
            webhook_event_apply(pk=again.pk)
    assert LedgerEntry.objects.count() == count and balances_by_account() == books
    checkpoint_publish()
    assert verify_output()[0]


def ledger_by_gift(world) -> list[dict[str, int]]:
    from donations.models import Donation

    result = []
    for ref in world.refs:
        rows = LedgerEntry.objects.filter(transaction__donation__in=Donation.objects.filter(payment_intent_id=ref))
        if ref.startswith("sub_"):
            rows = LedgerEntry.objects.filter(transaction__donation__recurring_gift__subscription_id=ref)
        sums = rows.values_list("account_code").annotate(total=Sum("amount_minor"))
        result.append({code: total for code, total in sums if total})
    return result


def test_events_again_and_out_of_order_post_the_books_in_order_delivery_posts():
    in_order = build_world("lA", 48)
    shuffled = build_world("lB", 48)
    deliver(in_order, in_order.events)
    rng = random.Random(9162)
    mixed = shuffled.events + rng.sample(shuffled.events, k=len(shuffled.events) // 4)
    rng.shuffle(mixed)
    deliver(shuffled, mixed)
    count = LedgerEntry.objects.count()
    deliver(shuffled, shuffled.events)  # and every one of them once more
    assert LedgerEntry.objects.count() == count
    assert_every_transaction_balances()
    expected = ledger_by_gift(in_order)
    assert any(expected) and ledger_by_gift(shuffled) == expected
    # Receipts too: a refund or a lost dispute that arrived before its payment still amends or voids it.
    assert receipts_by_gift("lB") == receipts_by_gift("lA")
    assert {status for status, _amount in receipts_by_gift("lA").values()} >= {"issued", "amended", "void"}
    checkpoint_publish()
    assert verify_output()[0]


def receipts_by_gift(prefix: str) -> dict[str, tuple[str, int]]:
    from donations.receipts.models import Receipt

    receipts = Receipt.objects.select_related("donation").filter(
        donation__payment_intent_id__contains=prefix
    ) | Receipt.objects.select_related("donation").filter(donation__invoice_id__contains=prefix)
    return {
        (r.donation.payment_intent_id or r.donation.invoice_id).replace(prefix, ""): (r.status, r.amount_minor)
        for r in receipts
    }


def test_the_chart_of_accounts_is_seeded_after_migrating():
    from cms.currencies import SUPPORTED_CURRENCIES
    from donations.ledger.models import Account, Expense

    accounts = {account.code: account for account in Account.objects.all()}
    for currency in SUPPORTED_CURRENCIES:
        for code in (
            f"asset:clearing:stripe:{currency}",
            f"asset:bank:{currency}",
            f"asset:disputed:stripe:{currency}",
        ):
            assert accounts[code].type == Account.Type.ASSET and accounts[code].currency == currency
    assert accounts["income:refunds"].contra and accounts["income:chargebacks"].contra
    assert accounts["income:refunds"].debit_normal  # contra-income grows with debits
    assert not accounts["income:donations:general"].restricted
    assert accounts["equity:net-assets:restricted"].restricted
    assert accounts["expense:fees:stripe"].type == Account.Type.EXPENSE
    for category in Expense.Category.values:
        assert accounts[f"expense:{category}"].type == Account.Type.EXPENSE
    # Seeding again (every migrate and flush runs it) adds nothing.
    posting.seed_chart()
    assert Account.objects.count() == len(accounts)


# -- Posting many at once (imported history) ------------------------------------------------------------


class _Undo(Exception):
    """Raised to roll a savepoint back: the books as they were before it."""


def books_after(base_seq: int) -> dict:
    """Everything the chain and the tree hold past entry ``base_seq``, without row ids and posting times."""
    from donations.ledger.models import MerkleNode

    head = LedgerHead.objects.get()
    return {
        "entries": list(
            LedgerEntry.objects.filter(seq__gt=base_seq)
            .order_by("seq")
            .values_list(
                "seq",
                "transaction_uuid",
                "kind",
                "account_code",
                "account_id",
                "amount_minor",
                "currency",
                "occurred_at",
                "source_key",
                "designation",
                "donor_commitment",
                "chain_hash",
                "transaction__source_key",
                "transaction__memo",
                "transaction__donation_id",
            )
        ),
        "nodes": sorted(
            (height, index, bytes(digest))
            for height, index, digest in MerkleNode.objects.filter(index__gte=0).values_list("height", "index", "hash")
        ),
        "head": (head.last_seq, head.last_chain_hash, head.frontier),
    }


def many_postings(supporters, count: int = 23) -> list:
    """Varied transactions: two or three lines, several currencies and designations, donors or none."""
    from datetime import timedelta

    from donations.ledger.services import Posting

    rng = random.Random(7)
    out = []
    for n in range(count):
        currency = ["USD", "JOD", "EUR"][n % 3]
        amount = rng.randrange(100, 90_000) * 10
        designation = ["general", "fund:1", "page:9"][n % 3]
        lines = [
            Line(posting.clearing("sandbox", currency), amount, currency, designation),
            Line(posting.bank(currency), -amount, currency, designation),
        ]
        if n % 4 == 1:  # a third line, so transactions are not all the same size
            lines = [*lines[:1], Line(posting.bank(currency), -(amount // 3), currency, designation),
                     Line(posting.cash(currency), -(amount - amount // 3), currency, designation)]  # fmt: skip
        donor = supporters[n % len(supporters)] if supporters and n % 5 else None
        out.append(
            Posting(
                kind=LedgerTransaction.Kind.GIFT,
                source_key=f"import:gift:{n}",
                occurred_at=WHEN + timedelta(days=n, microseconds=123_456),
                lines=lines,
                memo=f"imported {n}",
                donor_id=donor.pk if donor else None,
            )
        )
    return out


def post_one_by_one(postings, supporters) -> None:
    people = {person.pk: person for person in supporters}
    for item in postings:
        ledger_post(
            kind=item.kind,
            source_key=item.source_key,
            occurred_at=item.occurred_at,
            lines=item.lines,
            memo=item.memo,
            donor=people.get(item.donor_id),
        )


def test_posting_many_at_once_gives_the_books_posting_them_one_by_one_gives():
    from dataclasses import replace

    from donations.ledger.services import donor_commitments, ledger_post_many
    from donations.ledger.verification import ledger_verify
    from supporters.models import Supporter

    supporters = [Supporter.objects.create(email=f"imported{n}@example.org") for n in range(3)]
    donor_commitments(person.pk for person in supporters)  # the salts exist before either run
    post()
    three_way()  # a head of five entries: the tree's frontier holds more than one subtree
    checkpoint_publish()
    base = LedgerHead.objects.get().last_seq
    postings = many_postings(supporters)

    # One by one through ledger_post, then rolled back: the reference books.
    with pytest.raises(_Undo), transaction.atomic():
        post_one_by_one(postings, supporters)
        expected = books_after(base)
        uuids = dict(LedgerTransaction.objects.filter(entries__seq__gt=base).values_list("source_key", "uuid"))
        raise _Undo
    assert LedgerHead.objects.get().last_seq == base
    assert len(expected["entries"]) == 2 * 23 + 6 and expected["head"][0] == base + 52
    postings = [replace(item, uuid=uuids[item.source_key]) for item in postings]  # the same transactions

    # All at once.
    with pytest.raises(_Undo), transaction.atomic():
        assert ledger_post_many(postings) == [item.source_key for item in postings]
        assert books_after(base) == expected
        raise _Undo

    # Partly posted, then all of it: only the missing ones are posted, and the books are the same.
    assert len(ledger_post_many(postings[:9])) == 9
    assert ledger_post_many(postings) == [item.source_key for item in postings[9:]]
    assert books_after(base) == expected
    # Again: nothing more. A repeated key in the list posts once.
    assert ledger_post_many([*postings, postings[0]]) == []
    assert books_after(base) == expected
    # The two paths take turns on one chain.
    checkpoint_publish()
    post()
    more = many_postings(supporters, count=4)
    assert len(ledger_post_many([replace(item, source_key=f"more:{item.source_key}") for item in more])) == 4
    three_way()
    checkpoint_publish()
    report = ledger_verify()
    assert report.ok and report.entries == base + 52 + 2 + 9 + 3, report.problems


def test_posting_many_refuses_them_all_if_one_does_not_balance():
    from dataclasses import replace

    from donations.ledger.services import ledger_post_many

    postings = many_postings([], count=5)
    usd = "USD"
    broken = replace(postings[3], lines=[Line(posting.bank(usd), 500, usd), Line(posting.cash(usd), -499, usd)])
    with pytest.raises(LedgerError, match=r"import:gift:3: the lines do not balance"):
        ledger_post_many([*postings[:3], broken, postings[4]])
    assert not LedgerEntry.objects.exists() and not LedgerTransaction.objects.exists()


def test_an_imported_paid_and_refunded_gift_posts_what_the_live_path_posts(
    django_capture_on_commit_callbacks, staff_user
):
    """The same accounts, amounts, designation and donor as a sandbox gift paid, its fee and a refund."""
    from donations.ledger.reconciliation import reconciliation_report
    from donations.ledger.services import ledger_post_many
    from donations.models import Donation, FeeRule

    FeeRule.objects.update_or_create(currency="USD", defaults={"percent_bp": 290, "fixed_minor": 30})
    capture = django_capture_on_commit_callbacks
    live = sandbox_gift(capture, 4000)
    with capture(execute=True):
        donation_refund(donation=live, amount_minor=1500, reason="Asked", user=staff_user, request_id=uuid.uuid4())
    live.refresh_from_db()
    assert live.processor_fee_minor and live.amount_refunded_minor == 1500

    copy = Donation(
        supporter=live.supporter, amount_minor=live.amount_minor, currency=live.currency, gateway=live.gateway,
        status=live.status, succeeded_at=live.succeeded_at, processor_fee_minor=live.processor_fee_minor,
        amount_refunded_minor=live.amount_refunded_minor,
    )  # fmt: skip
    Donation.objects.bulk_create([copy])
    copy = Donation.objects.get(reference=copy.reference)
    postings = posting.imported_gift_postings([copy])
    assert [item.source_key for item in postings] == [
        f"gift:{copy.reference}",
        f"fee:{copy.reference}",
        f"refund:{copy.reference}",
    ]
    ledger_post_many(postings)

    def entries_of(gift) -> list[tuple]:
        rows = LedgerEntry.objects.filter(transaction__donation=gift).order_by("seq")
        return list(
            rows.values_list("kind", "account_code", "amount_minor", "currency", "designation", "donor_commitment")
        )

    assert entries_of(copy) == entries_of(live)
    assert [kind for kind, *_rest in entries_of(live)] == ["gift", "gift", "fee", "fee", "refund", "refund"]
    assert reconciliation_report().clean
    assert ledger_post_many(posting.imported_gift_postings([copy])) == []  # once
    checkpoint_publish()
    assert verify_output()[0]
