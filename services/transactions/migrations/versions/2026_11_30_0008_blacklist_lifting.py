"""transactions: a blacklist entry can be lifted early (撤销黑名单); entries are never deleted.

Lifting records who, when, why and (optionally) under which document; the row stays. The app role
loses DELETE on the table and may UPDATE only the lifting columns (it only ever INSERTs entries),
and a trigger refuses any change to a lifted entry, owner included: a lifting is final, a wrong
one is answered by a new entry, not by rewriting the old one.

Note: a later `grant_app_role()` (GRANT ... ON ALL TABLES) would hand DELETE and full UPDATE back;
re-apply the grants below after one.

Revision ID: transactions_0008
Revises: transactions_0007
Create Date: 2026-11-30
"""

from alembic import op

revision = "transactions_0008"
down_revision = "transactions_0007"
branch_labels = None
depends_on = None

LIFT_COLUMNS = ("lifted_at", "lifted_by", "lift_reason", "lift_document_ref")

UPGRADE = [
    "ALTER TABLE transactions.blacklist ADD COLUMN lifted_at timestamptz, ADD COLUMN lifted_by text, "
    "ADD COLUMN lift_reason text, ADD COLUMN lift_document_ref text",
    # Lifted means all three recorded, or none.
    "ALTER TABLE transactions.blacklist ADD CONSTRAINT ck_blacklist_lifted CHECK ("
    "(lifted_at IS NULL) = (lifted_by IS NULL) AND (lifted_at IS NULL) = (lift_reason IS NULL) "
    "AND (lift_document_ref IS NULL OR lifted_at IS NOT NULL))",
    """
    CREATE FUNCTION transactions.blacklist_lifted_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.lifted_at IS NOT NULL THEN
            RAISE EXCEPTION 'blacklist entry % was lifted at %; it cannot change', OLD.id, OLD.lifted_at
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER blacklist_lifted_is_final BEFORE UPDATE ON transactions.blacklist "
    "FOR EACH ROW EXECUTE FUNCTION transactions.blacklist_lifted_is_final()",
    "REVOKE DELETE, UPDATE ON transactions.blacklist FROM transactions_app",
    f"GRANT UPDATE ({', '.join(LIFT_COLUMNS)}) ON transactions.blacklist TO transactions_app",
]

DOWNGRADE = [
    f"REVOKE UPDATE ({', '.join(LIFT_COLUMNS)}) ON transactions.blacklist FROM transactions_app",
    "GRANT UPDATE, DELETE ON transactions.blacklist TO transactions_app",
    "DROP TRIGGER blacklist_lifted_is_final ON transactions.blacklist",
    "DROP FUNCTION transactions.blacklist_lifted_is_final()",
    "ALTER TABLE transactions.blacklist DROP CONSTRAINT ck_blacklist_lifted",
    # Without the columns a lifted entry would bar its bidder again: end it where it was lifted.
    "UPDATE transactions.blacklist SET until = lifted_at WHERE lifted_at IS NOT NULL "
    "AND (until IS NULL OR until > lifted_at)",
    "ALTER TABLE transactions.blacklist DROP COLUMN lift_document_ref, DROP COLUMN lift_reason, "
    "DROP COLUMN lifted_by, DROP COLUMN lifted_at",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
