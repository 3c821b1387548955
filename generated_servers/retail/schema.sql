-- Schema of the Online retail store database.

-- People with an account at the store.
CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    phone TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- Saved shipping addresses of customers (at most 5 each).
CREATE TABLE addresses (
    address_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    label TEXT NOT NULL CHECK (label IN ('home', 'work', 'other')),
    line1 TEXT NOT NULL,
    line2 TEXT,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    zip TEXT NOT NULL,
    FOREIGN KEY (customer_id) REFERENCES customers (customer_id)
) STRICT;
CREATE INDEX addresses_by_customer_id ON addresses (customer_id);

-- Saved payment methods of customers - credit cards, PayPal accounts and gift cards.
CREATE TABLE payment_methods (
    payment_method_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('credit_card', 'gift_card', 'paypal')),
    brand TEXT CHECK (brand IN ('visa', 'mastercard', 'amex', 'discover')),
    last_four TEXT,
    expiry TEXT,
    paypal_email TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'removed')),
    balance REAL NOT NULL DEFAULT 0.0 CHECK (balance >= 0),
    added_at TEXT NOT NULL,
    FOREIGN KEY (customer_id) REFERENCES customers (customer_id)
) STRICT;
CREATE INDEX payment_methods_by_customer_id ON payment_methods (customer_id);

-- The catalog; each product is sold in several variants.
CREATE TABLE products (
    product_id TEXT PRIMARY KEY,
    category TEXT NOT NULL CHECK (category IN ('apparel', 'footwear', 'electronics', 'home', 'kitchen', 'outdoor')),
    brand TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    list_price REAL NOT NULL CHECK (list_price > 0),
    availability TEXT NOT NULL CHECK (availability IN ('active', 'discontinued'))
) STRICT;

-- Purchasable variants of a product (size and color), each with its own price and stock.
CREATE TABLE product_variants (
    variant_id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    size TEXT NOT NULL,
    color TEXT NOT NULL,
    price REAL NOT NULL CHECK (price > 0),
    stock INTEGER NOT NULL CHECK (stock >= 0),
    UNIQUE (product_id, size, color),
    FOREIGN KEY (product_id) REFERENCES products (product_id)
) STRICT;

-- Orders placed by customers, with a copy of the shipping address.
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'processed', 'delivered', 'cancelled', 'return_requested', 'returned', 'exchange_requested', 'exchanged')),
    created_at TEXT NOT NULL,
    processed_at TEXT,
    delivered_at TEXT,
    address_id TEXT NOT NULL,
    ship_line1 TEXT NOT NULL,
    ship_line2 TEXT,
    ship_city TEXT NOT NULL,
    ship_state TEXT NOT NULL,
    ship_zip TEXT NOT NULL,
    payment_method_id TEXT NOT NULL,
    cancel_reason TEXT CHECK (cancel_reason IN ('no_longer_needed', 'ordered_by_mistake', 'found_better_price', 'delivery_too_slow', 'other')),
    FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    FOREIGN KEY (payment_method_id) REFERENCES payment_methods (payment_method_id)
) STRICT;
CREATE INDEX orders_by_customer_id ON orders (customer_id);
CREATE INDEX orders_by_payment_method_id ON orders (payment_method_id);

-- Lines of an order - one variant and a quantity each.
CREATE TABLE order_items (
    order_item_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    variant_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    unit_price REAL NOT NULL CHECK (unit_price > 0),
    exchange_variant_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('ordered', 'return_requested', 'returned', 'exchange_requested', 'exchanged')),
    UNIQUE (order_id, variant_id),
    FOREIGN KEY (order_id) REFERENCES orders (order_id),
    FOREIGN KEY (variant_id) REFERENCES product_variants (variant_id),
    FOREIGN KEY (product_id) REFERENCES products (product_id),
    FOREIGN KEY (exchange_variant_id) REFERENCES product_variants (variant_id)
) STRICT;
CREATE INDEX order_items_by_variant_id ON order_items (variant_id);
CREATE INDEX order_items_by_product_id ON order_items (product_id);
CREATE INDEX order_items_by_exchange_variant_id ON order_items (exchange_variant_id);

-- Money moved for orders and gift cards - charges and refunds, per payment method.
CREATE TABLE transactions (
    transaction_id TEXT PRIMARY KEY,
    order_id TEXT,
    payment_method_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
    amount REAL NOT NULL CHECK (amount > 0),
    memo TEXT NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (order_id) REFERENCES orders (order_id),
    FOREIGN KEY (payment_method_id) REFERENCES payment_methods (payment_method_id)
) STRICT;
CREATE INDEX transactions_by_order_id ON transactions (order_id);
CREATE INDEX transactions_by_payment_method_id ON transactions (payment_method_id);

-- Product reviews; one per customer and product, for products the customer received.
CREATE TABLE reviews (
    review_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT,
    UNIQUE (customer_id, product_id),
    FOREIGN KEY (order_id) REFERENCES orders (order_id),
    FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    FOREIGN KEY (product_id) REFERENCES products (product_id)
) STRICT;
CREATE INDEX reviews_by_order_id ON reviews (order_id);
CREATE INDEX reviews_by_product_id ON reviews (product_id);

-- Products customers saved for later (at most 25 per customer).
CREATE TABLE wishlist_items (
    wishlist_item_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    added_at TEXT NOT NULL,
    UNIQUE (customer_id, product_id),
    FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    FOREIGN KEY (product_id) REFERENCES products (product_id)
) STRICT;
CREATE INDEX wishlist_items_by_product_id ON wishlist_items (product_id);

-- Customer support cases, optionally about one order.
CREATE TABLE support_tickets (
    ticket_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    order_id TEXT,
    category TEXT NOT NULL CHECK (category IN ('order_issue', 'delivery', 'return_or_exchange', 'product_question', 'account', 'billing')),
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status TEXT NOT NULL CHECK (status IN ('open', 'escalated', 'resolved', 'closed')),
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT,
    FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    FOREIGN KEY (order_id) REFERENCES orders (order_id)
) STRICT;
CREATE INDEX support_tickets_by_customer_id ON support_tickets (customer_id);
CREATE INDEX support_tickets_by_order_id ON support_tickets (order_id);

-- The clock (key 'now') and other settings of this database.
CREATE TABLE _env (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

-- Last id handed out per table, so generated ids replay exactly.
CREATE TABLE _id_sequence (tbl TEXT PRIMARY KEY, last INTEGER NOT NULL) STRICT;
