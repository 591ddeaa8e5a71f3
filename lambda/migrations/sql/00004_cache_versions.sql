-- Versions of cached answers (package freshness) beyond order lists, which
-- keep their own table: a user's profile (raised by PATCH /me) and a
-- school's summaries (raised by an order placed, a payment settling or
-- refunding an order, a meal collected). Each row is raised in the
-- transaction of the write that changes what the scope's cached answers
-- show; Redis holds a short-lived copy of it, and this row is the
-- authority a reader falls back to when the copy is missing. Expand only:
-- a new table, which the release before this one does not know of.

-- +goose Up
CREATE TABLE cache_versions (
    -- scope says what the version is the version of (package postgres:
    -- ProfileVersions, SchoolVersions); id is the user or school.
    scope   text NOT NULL CHECK (scope IN ('profile', 'school')),
    id      uuid NOT NULL,
    version bigint NOT NULL CHECK (version > 0),
    PRIMARY KEY (scope, id)
);

-- +goose Down
DROP TABLE cache_versions;
