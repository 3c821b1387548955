-- Schema of the Airline customer service database.

-- Airports the airline serves, by IATA code.
CREATE TABLE airports (
    airport_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    city TEXT NOT NULL,
    country TEXT NOT NULL
) STRICT;

-- Scheduled nonstop routes; a flight number flies one route every day at the same time.
CREATE TABLE routes (
    flight_number TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    destination TEXT NOT NULL CHECK (destination <> origin),
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0),
    departure_time TEXT NOT NULL,
    aircraft TEXT NOT NULL,
    base_fare REAL NOT NULL CHECK (base_fare > 0),
    UNIQUE (origin, destination),
    FOREIGN KEY (origin) REFERENCES airports (airport_code),
    FOREIGN KEY (destination) REFERENCES airports (airport_code)
) STRICT;
CREATE INDEX routes_by_destination ON routes (destination);

-- One dated departure of a route, with its status, free seats and current fares per cabin.
CREATE TABLE flights (
    flight_id TEXT PRIMARY KEY,
    flight_number TEXT NOT NULL,
    origin TEXT NOT NULL,
    destination TEXT NOT NULL,
    flight_date TEXT NOT NULL,
    departure_at TEXT NOT NULL,
    arrival_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'delayed', 'departed', 'landed', 'cancelled')),
    seats_basic_economy INTEGER NOT NULL CHECK (seats_basic_economy >= 0),
    seats_economy INTEGER NOT NULL CHECK (seats_economy >= 0),
    seats_business INTEGER NOT NULL CHECK (seats_business >= 0),
    price_economy REAL NOT NULL CHECK (price_economy > 0),
    price_basic_economy REAL NOT NULL CHECK (price_basic_economy > 0),
    price_business REAL NOT NULL CHECK (price_business > 0),
    UNIQUE (flight_number, flight_date),
    FOREIGN KEY (flight_number) REFERENCES routes (flight_number),
    FOREIGN KEY (origin) REFERENCES airports (airport_code),
    FOREIGN KEY (destination) REFERENCES airports (airport_code)
) STRICT;
CREATE INDEX flights_by_origin ON flights (origin);
CREATE INDEX flights_by_destination ON flights (destination);

-- Registered travellers (the airline's customers).
CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    phone TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    address TEXT NOT NULL,
    membership TEXT NOT NULL CHECK (membership IN ('regular', 'silver', 'gold')),
    member_since TEXT NOT NULL
) STRICT;

-- Saved payment methods of users; gift cards and travel certificates carry a balance.
CREATE TABLE payment_methods (
    payment_method_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('credit_card', 'gift_card', 'certificate')),
    card_brand TEXT CHECK (card_brand IN ('visa', 'mastercard', 'amex')),
    last_four TEXT CHECK (last_four IS NULL OR length(last_four) = 4),
    status TEXT NOT NULL CHECK (status IN ('active', 'used', 'removed')),
    balance REAL CHECK (balance IS NULL OR balance >= 0),
    expires_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (user_id) REFERENCES users (user_id)
) STRICT;
CREATE INDEX payment_methods_by_user_id ON payment_methods (user_id);

-- Bookings of one user for one or more passengers on a one-way or round trip, all in one cabin.
CREATE TABLE reservations (
    reservation_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    outbound_flight_id TEXT NOT NULL,
    return_flight_id TEXT,
    trip_type TEXT NOT NULL CHECK (trip_type IN ('one_way', 'round_trip')),
    origin TEXT NOT NULL,
    destination TEXT NOT NULL,
    cabin TEXT NOT NULL CHECK (cabin IN ('basic_economy', 'economy', 'business')),
    outbound_fare REAL NOT NULL CHECK (outbound_fare >= 0),
    return_fare REAL,
    insurance INTEGER NOT NULL CHECK (insurance IN (0, 1)),
    checked_bags INTEGER NOT NULL CHECK (checked_bags >= 0),
    created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('booked', 'checked_in', 'cancelled')),
    cancel_reason TEXT CHECK (cancel_reason IN ('change_of_plan', 'airline_cancelled_flight', 'other')),
    cancelled_at TEXT,
    compensation_issued INTEGER NOT NULL CHECK (compensation_issued IN (0, 1)),
    FOREIGN KEY (user_id) REFERENCES users (user_id),
    FOREIGN KEY (outbound_flight_id) REFERENCES flights (flight_id),
    FOREIGN KEY (return_flight_id) REFERENCES flights (flight_id),
    FOREIGN KEY (origin) REFERENCES airports (airport_code),
    FOREIGN KEY (destination) REFERENCES airports (airport_code)
) STRICT;
CREATE INDEX reservations_by_user_id ON reservations (user_id);
CREATE INDEX reservations_by_outbound_flight_id ON reservations (outbound_flight_id);
CREATE INDEX reservations_by_return_flight_id ON reservations (return_flight_id);
CREATE INDEX reservations_by_origin ON reservations (origin);
CREATE INDEX reservations_by_destination ON reservations (destination);

-- Travellers on a reservation.
CREATE TABLE passengers (
    passenger_id TEXT PRIMARY KEY,
    reservation_id TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    FOREIGN KEY (reservation_id) REFERENCES reservations (reservation_id)
) STRICT;
CREATE INDEX passengers_by_reservation_id ON passengers (reservation_id);

-- Ledger of charges and refunds on payment methods, per reservation.
CREATE TABLE payments (
    payment_id TEXT PRIMARY KEY,
    reservation_id TEXT,
    payment_method_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
    purpose TEXT NOT NULL CHECK (purpose IN ('booking', 'baggage', 'insurance', 'flight_change', 'cabin_change', 'cancellation', 'gift_card_purchase')),
    amount REAL NOT NULL CHECK (amount > 0),
    created_at TEXT NOT NULL,
    FOREIGN KEY (reservation_id) REFERENCES reservations (reservation_id),
    FOREIGN KEY (payment_method_id) REFERENCES payment_methods (payment_method_id)
) STRICT;
CREATE INDEX payments_by_reservation_id ON payments (reservation_id);
CREATE INDEX payments_by_payment_method_id ON payments (payment_method_id);

-- Travel companions a user saved for quick booking.
CREATE TABLE saved_passengers (
    saved_passenger_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    relationship TEXT NOT NULL CHECK (relationship IN ('spouse', 'partner', 'child', 'parent', 'sibling', 'friend', 'colleague')),
    FOREIGN KEY (user_id) REFERENCES users (user_id)
) STRICT;
CREATE INDEX saved_passengers_by_user_id ON saved_passengers (user_id);

-- Customer support cases opened for a user, optionally about one reservation.
CREATE TABLE support_tickets (
    ticket_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    reservation_id TEXT,
    category TEXT NOT NULL CHECK (category IN ('baggage', 'refund', 'schedule_change', 'booking', 'complaint', 'other')),
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high')),
    status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
    resolution TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    FOREIGN KEY (user_id) REFERENCES users (user_id),
    FOREIGN KEY (reservation_id) REFERENCES reservations (reservation_id)
) STRICT;
CREATE INDEX support_tickets_by_user_id ON support_tickets (user_id);
CREATE INDEX support_tickets_by_reservation_id ON support_tickets (reservation_id);

-- The clock (key 'now') and other settings of this database.
CREATE TABLE _env (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

-- Last id handed out per table, so generated ids replay exactly.
CREATE TABLE _id_sequence (tbl TEXT PRIMARY KEY, last INTEGER NOT NULL) STRICT;
