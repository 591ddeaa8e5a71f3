-- Database roles per purpose, so that no function connects as the RDS
-- master user: hasivu_app (lambda/routes' DBApp) reads every table and
-- inserts and updates the tables the functions write, hasivu_reader
-- (DBReader) only reads. Neither deletes, truncates or changes the
-- schema: the master user owns every object, runs these migrations and is
-- what Secrets Manager rotates. Which function connects as which role is
-- routes.DBUserOf; the API stack lets each function's IAM role connect as
-- its own one alone.
--
-- Roles belong to the cluster, privileges to this schema. The roles are
-- created only where missing, and a concurrent migration of another
-- schema (parallel tests) creating them first is not an error. They have
-- no password: in AWS they log in through RDS Proxy with IAM tokens
-- (rds_iam, a role only RDS has, makes PostgreSQL take a token instead),
-- locally as pg_hba.conf allows.
--
-- Tables that later migrations create are readable by both roles (the
-- default privileges below, for tables the master user creates); a
-- migration that adds a table the functions write grants hasivu_app its
-- INSERT or UPDATE there.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['hasivu_app', 'hasivu_reader'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I LOGIN', r);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created by the migration of another schema
        END;
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN
            BEGIN
                EXECUTE format('GRANT rds_iam TO %I', r);
            EXCEPTION WHEN unique_violation THEN
                NULL; -- granted at the same moment by another schema's migration
            END;
        END IF;
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), r);
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), r);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO %I', current_schema(), r);
    END LOOP;
    -- Before PostgreSQL 15 every role may create objects in public.
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
END
$$;
-- +goose StatementEnd

-- What the functions write, and nothing else: orders and their items
-- (orders-create), payment orders, payments and refunds (the payment
-- functions, which also settle orders and lock them FOR UPDATE, which
-- takes UPDATE), meal verifications (rfid-verify-card), the order-list
-- and cache versions every write raises, and a user's own name and phone
-- (profile's PATCH /me).
GRANT INSERT, UPDATE ON orders, order_list_versions, cache_versions, payment_orders, payments TO hasivu_app;
GRANT UPDATE (first_name, last_name, phone, updated_at) ON users TO hasivu_app;
GRANT INSERT ON order_items, refunds, meal_verifications TO hasivu_app;

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['hasivu_app', 'hasivu_reader'] LOOP
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE SELECT ON TABLES FROM %I', current_schema(), r);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', current_schema(), r);
        EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM %I', current_schema(), r);
    END LOOP;
END
$$;
-- +goose StatementEnd
