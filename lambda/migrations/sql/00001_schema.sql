-- The platform's schema. Money is integer paise (bigint), never floating
-- point. Ids are UUIDs so that ids in URLs cannot be enumerated. Each
-- table's secondary indexes are in 00002_indexes.sql with the query each
-- one serves; only keys and uniqueness rules live here.

-- +goose Up
CREATE TABLE schools (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code       text NOT NULL UNIQUE,
    name       text NOT NULL,
    city       text NOT NULL,
    is_active  boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Stored lower-cased so one plain unique index serves login lookups.
    email         text NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash text NOT NULL,
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    phone         text,
    role          text NOT NULL CHECK (role IN ('parent', 'student', 'school_admin', 'kitchen_staff', 'admin')),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'suspended')),
    -- school_id is the school a staff member or student belongs to; null
    -- for parents (whose children may attend different schools) and admins.
    school_id     uuid REFERENCES schools (id),
    -- parent_id links a student's own login to the parent's account.
    parent_id     uuid REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE students (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    school_id  uuid NOT NULL REFERENCES schools (id),
    parent_id  uuid NOT NULL REFERENCES users (id),
    user_id    uuid REFERENCES users (id),
    first_name text NOT NULL,
    last_name  text NOT NULL,
    grade      text NOT NULL,
    section    text NOT NULL,
    is_active  boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE menu_items (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    school_id     uuid NOT NULL REFERENCES schools (id),
    name          text NOT NULL,
    description   text NOT NULL DEFAULT '',
    category      text NOT NULL CHECK (category IN ('breakfast', 'lunch', 'snack', 'beverage')),
    price_paise   integer NOT NULL CHECK (price_paise > 0),
    is_vegetarian boolean NOT NULL DEFAULT true,
    allergens     text[] NOT NULL DEFAULT '{}',
    is_available  boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE daily_menus (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    school_id  uuid NOT NULL REFERENCES schools (id),
    menu_date  date NOT NULL,
    status     text NOT NULL DEFAULT 'published' CHECK (status IN ('draft', 'published')),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- One menu per school and day; also the index menus-daily reads by.
    UNIQUE (school_id, menu_date)
);

CREATE TABLE daily_menu_items (
    daily_menu_id uuid NOT NULL REFERENCES daily_menus (id) ON DELETE CASCADE,
    menu_item_id  uuid NOT NULL REFERENCES menu_items (id),
    sort_order    integer NOT NULL DEFAULT 0,
    -- The key leads with the menu: menus-daily and order validation read
    -- a menu's items by it.
    PRIMARY KEY (daily_menu_id, menu_item_id)
);

CREATE TABLE orders (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id),
    student_id      uuid NOT NULL REFERENCES students (id),
    school_id       uuid NOT NULL REFERENCES schools (id),
    delivery_date   date NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'confirmed', 'preparing', 'ready', 'delivered', 'cancelled')),
    payment_status  text NOT NULL DEFAULT 'unpaid' CHECK (payment_status IN ('unpaid', 'paid', 'refunded', 'failed')),
    total_paise     bigint NOT NULL CHECK (total_paise >= 0),
    currency        text NOT NULL DEFAULT 'INR',
    -- The client's Idempotency-Key and a hash of the request it came with:
    -- a retry returns the first order; the same key with another request
    -- is a conflict.
    idempotency_key text,
    request_hash    bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE order_items (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id         uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    menu_item_id     uuid NOT NULL REFERENCES menu_items (id),
    quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 10),
    unit_price_paise integer NOT NULL CHECK (unit_price_paise > 0)
);

CREATE TABLE subscriptions (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid NOT NULL REFERENCES users (id),
    student_id        uuid NOT NULL REFERENCES students (id),
    school_id         uuid NOT NULL REFERENCES schools (id),
    plan              text NOT NULL,
    status            text NOT NULL CHECK (status IN ('active', 'paused', 'cancelled', 'past_due')),
    amount_paise      bigint NOT NULL CHECK (amount_paise >= 0),
    billing_cycle     text NOT NULL CHECK (billing_cycle IN ('weekly', 'monthly', 'term')),
    next_billing_date date,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payment_orders (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id          uuid NOT NULL REFERENCES orders (id),
    user_id           uuid NOT NULL REFERENCES users (id),
    -- Razorpay's order id ("order_..."); unique, and the webhook finds
    -- the payment order by it.
    razorpay_order_id text NOT NULL UNIQUE,
    amount_paise      bigint NOT NULL CHECK (amount_paise > 0),
    currency          text NOT NULL DEFAULT 'INR',
    status            text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'paid', 'expired', 'failed')),
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payments (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payment_order_id    uuid REFERENCES payment_orders (id),
    order_id            uuid REFERENCES orders (id),
    subscription_id     uuid REFERENCES subscriptions (id),
    user_id             uuid NOT NULL REFERENCES users (id),
    -- Razorpay's payment id ("pay_..."); unique, which is what makes the
    -- webhook apply each payment exactly once.
    razorpay_payment_id text NOT NULL UNIQUE,
    amount_paise        bigint NOT NULL CHECK (amount_paise >= 0),
    currency            text NOT NULL DEFAULT 'INR',
    status              text NOT NULL CHECK (status IN ('captured', 'failed', 'refunded', 'amount_mismatch')),
    method              text NOT NULL DEFAULT '',
    paid_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rfid_cards (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    card_number text NOT NULL,
    student_id  uuid NOT NULL REFERENCES students (id),
    school_id   uuid NOT NULL REFERENCES schools (id),
    is_active   boolean NOT NULL DEFAULT true,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE meal_verifications (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- One verification per order: the second tap conflicts here and is
    -- reported as already served.
    order_id     uuid NOT NULL UNIQUE REFERENCES orders (id),
    card_id      uuid NOT NULL REFERENCES rfid_cards (id),
    student_id   uuid NOT NULL REFERENCES students (id),
    school_id    uuid NOT NULL REFERENCES schools (id),
    reader_id    text NOT NULL DEFAULT '',
    service_date date NOT NULL,
    verified_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE invoices (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    invoice_number  text NOT NULL,
    user_id         uuid NOT NULL REFERENCES users (id),
    school_id       uuid NOT NULL REFERENCES schools (id),
    subscription_id uuid REFERENCES subscriptions (id),
    amount_paise    bigint NOT NULL CHECK (amount_paise >= 0),
    status          text NOT NULL CHECK (status IN ('draft', 'issued', 'paid', 'overdue', 'void')),
    invoice_date    date NOT NULL,
    due_date        date NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE invoices, meal_verifications, rfid_cards, payments, payment_orders, subscriptions,
    order_items, orders, daily_menu_items, daily_menus, menu_items, students, users, schools;
