-- Who verified each meal: the signed-in staff member (or platform admin)
-- whose reader tapped the card, for the audit trail (issue 18, item 8).
--
-- Expand only. The column is added nullable: during a canary the
-- previous release still inserts verifications without it, and a NOT
-- NULL column (or a CHECK, which PostgreSQL enforces on new rows even
-- when added NOT VALID) would fail those inserts and the meals they
-- record. This release always writes it (postgres.Cards.Verify, from the
-- caller's token; the service refuses a caller without a user id).
--
-- Contract, in a later release, once no release that omits the column can
-- be rolled back to:
--
--   -- +hasivu contract: every release since 00007 writes verified_by
--   ALTER TABLE meal_verifications ADD CONSTRAINT meal_verifications_verified_by_present
--       CHECK (verified_by IS NOT NULL) NOT VALID;
--
-- NOT VALID on purpose: rows from before this migration have no verifier
-- on record, and none can be made up; every row written since has one.
--
-- The foreign key on an all-null new column validates without reading a
-- row; it takes a brief lock on users. hasivu_app's table-wide INSERT
-- (00006) covers the new column, and a foreign key is checked with the
-- owner's rights, so no grant changes.

-- +goose Up
ALTER TABLE meal_verifications ADD COLUMN verified_by uuid REFERENCES users (id);
COMMENT ON COLUMN meal_verifications.verified_by IS
    'The user (kitchen staff, school admin or platform admin) who verified the meal; null only on rows from before migration 00007.';

-- +goose Down
ALTER TABLE meal_verifications DROP COLUMN verified_by;
