-- Schema of the Tiny shop database.

-- People who buy things.
CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    balance REAL NOT NULL CHECK (balance >= 0)
) STRICT;

-- Orders placed by customers.
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    item TEXT NOT NULL,
    amount REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'shipped', 'delivered', 'cancelled')),
    created_at TEXT NOT NULL,
    cancel_note TEXT,
    FOREIGN KEY (customer_id) REFERENCES customers (customer_id)
) STRICT;
CREATE INDEX orders_by_customer_id ON orders (customer_id);

-- The clock (key 'now') and other settings of this database.
CREATE TABLE _env (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

-- Last id handed out per table, so generated ids replay exactly.
CREATE TABLE _id_sequence (tbl TEXT PRIMARY KEY, last INTEGER NOT NULL) STRICT;
