"""On PostgreSQL the database itself guards the books.

- Posted rows (transactions, entries, tree nodes, checkpoints) refuse UPDATE
  and DELETE: corrections are new transactions.
- A deferred constraint trigger checks, at commit, that every transaction that
  gained entries has two or more of them and sums to zero per currency.

SQLite has no deferred constraint triggers; there the service layer
(donations/ledger/services.py) enforces the same rules.
"""

from django.db import migrations

APPEND_ONLY_TABLES = (
    "donations_ledgertransaction",
    "donations_ledgerentry",
    "donations_merklenode",
    "donations_checkpoint",
)

FORWARD = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lines integer;
    unbalanced text;
BEGIN
    SELECT count(*) INTO lines FROM donations_ledgerentry WHERE transaction_id = NEW.transaction_id;
    IF lines < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has % line(s); two or more are needed', NEW.transaction_id, lines
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT string_agg(currency || ' ' || total, ', ') INTO unbalanced FROM (
        SELECT currency, sum(amount_minor) AS total FROM donations_ledgerentry
        WHERE transaction_id = NEW.transaction_id GROUP BY currency HAVING sum(amount_minor) <> 0
    ) AS off;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: %', NEW.transaction_id, unbalanced
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT ON donations_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
"""  # noqa: S608 - fixed table names, no input
FORWARD += "".join(
    f"""
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""
    for table in APPEND_ONLY_TABLES
)

BACKWARD = "".join(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};\n" for table in APPEND_ONLY_TABLES) + (
    "DROP TRIGGER IF EXISTS ledger_entry_balanced ON donations_ledgerentry;\n"
    "DROP FUNCTION IF EXISTS ledger_check_balanced();\n"
    "DROP FUNCTION IF EXISTS ledger_refuse_change();\n"
)


def guards_on(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)  # no parameters: the "%" are PL/pgSQL placeholders


def guards_off(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


AUDITED_MODELS = (
    "account",
    "ledgertransaction",
    "ledgerentry",
    "checkpoint",
    "expense",
    "auditentry",
    "receipt",
    "receiptchange",
    "statementbatch",
    "fund",
)


def auditors_group(apps, schema_editor):
    """Auditors see the books, receipts, expenses and the audit log, and change nothing.

    Not gifts or donors: their details stay with staff who hold the donations permissions.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    # Permissions are normally made after migrating; make the ones the group needs now (same names).
    wanted = [(model, f"view_{model}", f"Can view {model}") for model in AUDITED_MODELS]
    wanted.append(("account", "audit_ledger", "Can use the auditor workspace (read-only)"))
    permissions = []
    for model, codename, name in wanted:
        content_type, _ = ContentType.objects.get_or_create(app_label="donations", model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        permissions.append(permission)
    admin_type, _ = ContentType.objects.get_or_create(app_label="wagtailadmin", model="admin")
    access_admin, _ = Permission.objects.get_or_create(
        content_type=admin_type, codename="access_admin", defaults={"name": "Can access Wagtail admin"}
    )
    group, _ = Group.objects.get_or_create(name="Auditors")
    group.permissions.add(access_admin, *permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0004_ledger_and_receipts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [
        migrations.RunPython(guards_on, guards_off),
        migrations.RunPython(auditors_group, migrations.RunPython.noop),
    ]
