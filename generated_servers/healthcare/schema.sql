-- Schema of the CareBridge telemedicine database.

-- People who receive care through the practice.
CREATE TABLE patients (
    patient_id TEXT PRIMARY KEY,
    sex TEXT NOT NULL CHECK (sex IN ('female', 'male', 'other')),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    phone TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('AZ', 'CA', 'FL', 'GA', 'IL', 'MA', 'NC', 'NY', 'OH', 'PA', 'TX', 'WA')),
    preferred_pharmacy TEXT,
    created_at TEXT NOT NULL
) STRICT;

-- Health insurance policies of patients; at most one is active per patient.
CREATE TABLE insurance_policies (
    policy_id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    payer TEXT NOT NULL CHECK (payer IN ('Aetna', 'Blue Cross Blue Shield', 'Cigna', 'UnitedHealthcare', 'Humana', 'Kaiser Permanente')),
    plan_name TEXT NOT NULL,
    member_id TEXT NOT NULL,
    copay REAL NOT NULL CHECK (copay >= 0),
    telehealth_covered INTEGER NOT NULL CHECK (telehealth_covered IN (0, 1)),
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'expired')),
    UNIQUE (payer, member_id),
    FOREIGN KEY (patient_id) REFERENCES patients (patient_id)
) STRICT;
CREATE INDEX insurance_policies_by_patient_id ON insurance_policies (patient_id);

-- Clinicians who see patients.
CREATE TABLE providers (
    provider_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    specialty TEXT NOT NULL CHECK (specialty IN ('primary_care', 'pediatrics', 'dermatology', 'cardiology', 'psychiatry', 'endocrinology')),
    credentials TEXT NOT NULL,
    npi TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    visit_fee REAL NOT NULL CHECK (visit_fee > 0),
    accepting_new_patients INTEGER NOT NULL CHECK (accepting_new_patients IN (0, 1)),
    years_experience INTEGER NOT NULL
) STRICT;

-- State medical licenses, one per provider and state; a provider may only see patients by video or phone in states where they hold a valid license.
CREATE TABLE provider_licenses (
    provider_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('AZ', 'CA', 'FL', 'GA', 'IL', 'MA', 'NC', 'NY', 'OH', 'PA', 'TX', 'WA')),
    license_number TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    PRIMARY KEY (provider_id, state),
    FOREIGN KEY (provider_id) REFERENCES providers (provider_id)
) STRICT;

-- Bookable 30-minute slots of providers. A slot is free when it is open, in the future and no active appointment holds it.
CREATE TABLE time_slots (
    slot_id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL,
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'blocked')),
    UNIQUE (provider_id, start_at),
    FOREIGN KEY (provider_id) REFERENCES providers (provider_id)
) STRICT;

-- Visits booked by patients into provider time slots.
CREATE TABLE appointments (
    appointment_id TEXT PRIMARY KEY,
    slot_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    start_at TEXT NOT NULL,
    visit_type TEXT NOT NULL CHECK (visit_type IN ('video', 'phone', 'in_person')),
    specialty TEXT NOT NULL CHECK (specialty IN ('primary_care', 'pediatrics', 'dermatology', 'cardiology', 'psychiatry', 'endocrinology')),
    patient_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'checked_in', 'completed', 'cancelled', 'no_show')),
    reschedule_count INTEGER NOT NULL CHECK (reschedule_count >= 0),
    booked_at TEXT NOT NULL,
    checked_in_at TEXT,
    completed_at TEXT,
    cancelled_at TEXT,
    cancel_reason TEXT,
    FOREIGN KEY (slot_id) REFERENCES time_slots (slot_id),
    FOREIGN KEY (provider_id) REFERENCES providers (provider_id),
    FOREIGN KEY (patient_id) REFERENCES patients (patient_id)
) STRICT;
CREATE INDEX appointments_by_slot_id ON appointments (slot_id);
CREATE INDEX appointments_by_provider_id ON appointments (provider_id);
CREATE INDEX appointments_by_patient_id ON appointments (patient_id);

-- Clinical notes the treating provider writes for a visit; one per appointment, editable until signed.
CREATE TABLE visit_notes (
    note_id TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL UNIQUE,
    patient_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    diagnosis_code TEXT NOT NULL,
    subjective TEXT NOT NULL,
    assessment TEXT NOT NULL,
    plan TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'signed')),
    created_at TEXT NOT NULL,
    signed_at TEXT,
    FOREIGN KEY (appointment_id) REFERENCES appointments (appointment_id),
    FOREIGN KEY (patient_id) REFERENCES patients (patient_id),
    FOREIGN KEY (provider_id) REFERENCES providers (provider_id)
) STRICT;
CREATE INDEX visit_notes_by_patient_id ON visit_notes (patient_id);
CREATE INDEX visit_notes_by_provider_id ON visit_notes (provider_id);

-- The formulary; controlled substances (DEA schedule II-V) have extra rules.
CREATE TABLE medications (
    medication_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    drug_class TEXT NOT NULL,
    form TEXT NOT NULL,
    dea_schedule TEXT CHECK (dea_schedule IN ('II', 'III', 'IV', 'V')),
    controlled INTEGER NOT NULL CHECK (controlled IN (0, 1))
) STRICT;

-- Medications prescribed by a treating provider after a completed visit.
CREATE TABLE prescriptions (
    prescription_id TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    medication_id TEXT NOT NULL,
    medication_name TEXT NOT NULL,
    controlled INTEGER NOT NULL CHECK (controlled IN (0, 1)),
    directions TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    days_supply INTEGER NOT NULL CHECK (days_supply > 0),
    status TEXT NOT NULL CHECK (status IN ('active', 'discontinued')),
    prescribed_at TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    refills_authorized INTEGER NOT NULL CHECK (refills_authorized >= 0),
    last_filled_at TEXT NOT NULL,
    refills_remaining INTEGER NOT NULL CHECK (refills_remaining >= 0),
    discontinued_at TEXT,
    discontinue_reason TEXT,
    FOREIGN KEY (appointment_id) REFERENCES appointments (appointment_id),
    FOREIGN KEY (patient_id) REFERENCES patients (patient_id),
    FOREIGN KEY (provider_id) REFERENCES providers (provider_id),
    FOREIGN KEY (medication_id) REFERENCES medications (medication_id)
) STRICT;
CREATE INDEX prescriptions_by_appointment_id ON prescriptions (appointment_id);
CREATE INDEX prescriptions_by_patient_id ON prescriptions (patient_id);
CREATE INDEX prescriptions_by_provider_id ON prescriptions (provider_id);
CREATE INDEX prescriptions_by_medication_id ON prescriptions (medication_id);

-- Lab tests ordered by the treating provider, from order to specimen collection to result.
CREATE TABLE lab_orders (
    lab_order_id TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    test_code TEXT NOT NULL CHECK (test_code IN ('CBC', 'CMP', 'LIPID', 'A1C', 'TSH', 'UA', 'VITD', 'STREP', 'COVID')),
    test_name TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('routine', 'urgent')),
    status TEXT NOT NULL CHECK (status IN ('ordered', 'collected', 'resulted', 'cancelled')),
    ordered_at TEXT NOT NULL,
    collected_at TEXT,
    resulted_at TEXT,
    result_flag TEXT CHECK (result_flag IN ('normal', 'abnormal', 'critical')),
    result_value TEXT,
    FOREIGN KEY (appointment_id) REFERENCES appointments (appointment_id),
    FOREIGN KEY (patient_id) REFERENCES patients (patient_id),
    FOREIGN KEY (provider_id) REFERENCES providers (provider_id)
) STRICT;
CREATE INDEX lab_orders_by_appointment_id ON lab_orders (appointment_id);
CREATE INDEX lab_orders_by_patient_id ON lab_orders (patient_id);
CREATE INDEX lab_orders_by_provider_id ON lab_orders (provider_id);

-- Bills for completed visits; the patient owes the copay when an active policy covers the visit, otherwise the full visit fee.
CREATE TABLE invoices (
    invoice_id TEXT PRIMARY KEY,
    appointment_id TEXT NOT NULL UNIQUE,
    patient_id TEXT NOT NULL,
    policy_id TEXT,
    billing_basis TEXT NOT NULL CHECK (billing_basis IN ('copay', 'self_pay', 'telehealth_not_covered')),
    visit_fee REAL NOT NULL CHECK (visit_fee >= 0),
    patient_amount REAL NOT NULL CHECK (patient_amount >= 0),
    insurance_amount REAL NOT NULL CHECK (insurance_amount >= 0),
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'void')),
    amount_paid REAL NOT NULL CHECK (amount_paid >= 0),
    balance REAL NOT NULL CHECK (balance >= 0),
    issued_at TEXT NOT NULL,
    due_date TEXT NOT NULL,
    voided_at TEXT,
    void_reason TEXT,
    FOREIGN KEY (appointment_id) REFERENCES appointments (appointment_id),
    FOREIGN KEY (patient_id) REFERENCES patients (patient_id),
    FOREIGN KEY (policy_id) REFERENCES insurance_policies (policy_id)
) STRICT;
CREATE INDEX invoices_by_patient_id ON invoices (patient_id);
CREATE INDEX invoices_by_policy_id ON invoices (policy_id);

-- Patient payments toward invoices, and their refunds.
CREATE TABLE payments (
    payment_id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    amount REAL NOT NULL CHECK (amount > 0),
    method TEXT NOT NULL CHECK (method IN ('credit_card', 'debit_card', 'hsa_card', 'bank_transfer')),
    status TEXT NOT NULL CHECK (status IN ('completed', 'refunded')),
    paid_at TEXT NOT NULL,
    refunded_at TEXT,
    refund_reason TEXT,
    FOREIGN KEY (invoice_id) REFERENCES invoices (invoice_id),
    FOREIGN KEY (patient_id) REFERENCES patients (patient_id)
) STRICT;
CREATE INDEX payments_by_invoice_id ON payments (invoice_id);
CREATE INDEX payments_by_patient_id ON payments (patient_id);

-- Secure messages between a patient and a provider they have a care relationship with.
CREATE TABLE messages (
    message_id TEXT PRIMARY KEY,
    appointment_id TEXT,
    patient_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    sender TEXT NOT NULL CHECK (sender IN ('patient', 'provider')),
    subject TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('unread', 'read')),
    sent_at TEXT NOT NULL,
    read_at TEXT,
    FOREIGN KEY (appointment_id) REFERENCES appointments (appointment_id),
    FOREIGN KEY (patient_id) REFERENCES patients (patient_id),
    FOREIGN KEY (provider_id) REFERENCES providers (provider_id)
) STRICT;
CREATE INDEX messages_by_appointment_id ON messages (appointment_id);
CREATE INDEX messages_by_patient_id ON messages (patient_id);
CREATE INDEX messages_by_provider_id ON messages (provider_id);

-- The clock (key 'now') and other settings of this database.
CREATE TABLE _env (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

-- Last id handed out per table, so generated ids replay exactly.
CREATE TABLE _id_sequence (tbl TEXT PRIMARY KEY, last INTEGER NOT NULL) STRICT;
