-- +goose NO TRANSACTION
-- Indexes for the routes of the plan's cache table that read what no index
-- served: a school's summary for a date range, a user's profile with their
-- students, a school's menu item catalogue. The tables are full in every stage by now, so each index
-- is built CONCURRENTLY, outside a transaction, without blocking writes;
-- IF NOT EXISTS lets a run that failed half-way run again.

-- +goose Up

-- analytics-daily: a school's orders for a date range, counted and summed
-- by day (WHERE school_id = $1 AND delivery_date BETWEEN $2 AND $3). The
-- included columns make it an index-only scan: a month of a big school is
-- tens of thousands of orders, which the heap would fetch one by one.
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_school_date_totals_idx
    ON orders (school_id, delivery_date) INCLUDE (status, payment_status, total_paise);
-- analytics-daily: the meals a school's students collected, by day.
CREATE INDEX CONCURRENTLY IF NOT EXISTS meal_verifications_school_date_idx
    ON meal_verifications (school_id, service_date);
-- profile-get: a parent's students (WHERE parent_id = $1) ...
CREATE INDEX CONCURRENTLY IF NOT EXISTS students_parent_idx ON students (parent_id);
-- ... or a student's own record (OR user_id = $1). Partial: most students
-- have no login of their own.
CREATE INDEX CONCURRENTLY IF NOT EXISTS students_user_idx ON students (user_id) WHERE user_id IS NOT NULL;
-- menus-items: a school's menu items (WHERE school_id = $1).
CREATE INDEX CONCURRENTLY IF NOT EXISTS menu_items_school_idx ON menu_items (school_id);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS menu_items_school_idx;
DROP INDEX CONCURRENTLY IF EXISTS students_user_idx;
DROP INDEX CONCURRENTLY IF EXISTS students_parent_idx;
DROP INDEX CONCURRENTLY IF EXISTS meal_verifications_school_date_idx;
DROP INDEX CONCURRENTLY IF EXISTS orders_school_date_totals_idx;
