-- The role of sign-in (lambda/routes' DBAuth): it reads every table, like
-- hasivu_reader, and may update a user's password hash (and updated_at),
-- which sign-in does when a stored hash is below the current bcrypt cost
-- (auth.BcryptCost) and it has just checked the password. Nothing else:
-- sign-in is public, and hasivu_app's writes (orders, payments) are not
-- its business. Created like the roles of 00006_roles.sql: only where
-- missing, member of rds_iam where RDS has it, no password.
--
-- Numbered 00009: 00007 and 00008 belong to other work of issue 18.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    BEGIN
        CREATE ROLE hasivu_auth LOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- created by the migration of another schema
    END;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
        BEGIN
            GRANT rds_iam TO hasivu_auth;
        EXCEPTION WHEN unique_violation THEN
            NULL; -- granted at the same moment by another schema's migration
        END;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO hasivu_auth', current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO hasivu_auth', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO hasivu_auth', current_schema());
END
$$;
-- +goose StatementEnd

GRANT UPDATE (password_hash, updated_at) ON users TO hasivu_auth;

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE SELECT ON TABLES FROM hasivu_auth', current_schema());
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM hasivu_auth', current_schema());
    EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM hasivu_auth', current_schema());
END
$$;
-- +goose StatementEnd
