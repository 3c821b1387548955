"""Pydantic models of the CareBridge telemedicine server: table rows, results and inputs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Patient(BaseModel):
    """A row of patients: People who receive care through the practice."""

    patient_id: str = Field(description="Patient id, like P00001.")
    sex: Literal["female", "male", "other"] = Field(description="Sex recorded at registration.")
    first_name: str = Field(description="Given name.")
    last_name: str = Field(description="Family name.")
    date_of_birth: str = Field(
        description="Date of birth (YYYY-MM-DD). Patients under 18 on the visit date are minors."
    )
    email: str = Field(description="Email address; unique across patients.")
    phone: str = Field(description="Mobile phone number.")
    state: Literal["AZ", "CA", "FL", "GA", "IL", "MA", "NC", "NY", "OH", "PA", "TX", "WA"] = Field(
        description="US state the patient lives in (two letters); video and phone visits need a provider licensed there."
    )
    preferred_pharmacy: str | None = Field(None, description="Pharmacy prescriptions are sent to.")
    created_at: str = Field(description="When the patient registered.")


class InsurancePolicy(BaseModel):
    """A row of insurance_policies: Health insurance policies of patients; at most one is active per patient."""

    policy_id: str = Field(description="Policy id, like INS00001.")
    patient_id: str = Field(description="The insured patient.")
    payer: Literal[
        "Aetna", "Blue Cross Blue Shield", "Cigna", "UnitedHealthcare", "Humana", "Kaiser Permanente"
    ] = Field(description="Insurance company.")
    plan_name: str = Field(description="Name of the plan.")
    member_id: str = Field(description="Member id printed on the insurance card.")
    copay: float = Field(description="What the patient pays per visit, in dollars.")
    telehealth_covered: bool = Field(
        description="Whether video and phone visits are covered (if not, the patient pays the full visit fee)."
    )
    valid_from: str = Field(description="First day of coverage.")
    valid_until: str = Field(description="Last day of coverage.")
    status: Literal["active", "expired"] = Field(
        description="active until the policy ends or is expired by the patient."
    )


class Provider(BaseModel):
    """A row of providers: Clinicians who see patients."""

    provider_id: str = Field(description="Provider id, like D00001.")
    name: str = Field(description="Display name.")
    specialty: Literal[
        "primary_care", "pediatrics", "dermatology", "cardiology", "psychiatry", "endocrinology"
    ] = Field(description="Medical specialty; bookings must ask for this specialty.")
    credentials: str = Field(description="Degree.")
    npi: str = Field(description="National Provider Identifier (10 digits).")
    email: str = Field(description="Work email.")
    visit_fee: float = Field(description="Full price of one visit in dollars (what uninsured patients pay).")
    accepting_new_patients: bool = Field(description="Whether patients who never saw this provider can book.")
    years_experience: int = Field(description="Years in practice.")


class ProviderLicense(BaseModel):
    """A row of provider_licenses: State medical licenses, one per provider and state; a provider may only see patients by video or phone in states where they hold a valid license."""

    provider_id: str = Field(description="License holder.")
    state: Literal["AZ", "CA", "FL", "GA", "IL", "MA", "NC", "NY", "OH", "PA", "TX", "WA"] = Field(
        description="Licensing state."
    )
    license_number: str = Field(description="State license number.")
    expires_on: str = Field(description="Last day the license is valid.")


class TimeSlot(BaseModel):
    """A row of time_slots: Bookable 30-minute slots of providers. A slot is free when it is open, in the future and no active appointment holds it."""

    slot_id: str = Field(description="Slot id, like S00001.")
    provider_id: str = Field(description="Whose slot.")
    start_at: str = Field(description="Start time (local clinic time).")
    end_at: str = Field(description="End time (30 minutes after start).")
    status: Literal["open", "blocked"] = Field(
        description="open: the provider offers it; blocked: the provider took it off the schedule. Whether it is booked is shown by its appointments."
    )


class Appointment(BaseModel):
    """A row of appointments: Visits booked by patients into provider time slots."""

    appointment_id: str = Field(description="Appointment id, like A00001.")
    slot_id: str = Field(description="The booked slot.")
    provider_id: str = Field(description="Treating provider.")
    start_at: str = Field(description="Start time (the slot's start).")
    visit_type: Literal["video", "phone", "in_person"] = Field(description="How the visit happens.")
    specialty: Literal[
        "primary_care", "pediatrics", "dermatology", "cardiology", "psychiatry", "endocrinology"
    ] = Field(description="Specialty the visit is for (the provider's).")
    patient_id: str = Field(description="Who the visit is for.")
    reason: str = Field(description="Reason for the visit, in the patient's words.")
    status: Literal["scheduled", "checked_in", "completed", "cancelled", "no_show"] = Field(
        description="scheduled -> checked_in -> completed; scheduled -> cancelled or no_show."
    )
    reschedule_count: int = Field(description="How often the visit was moved (at most 2).")
    booked_at: str = Field(description="When it was booked.")
    checked_in_at: str | None = Field(None, description="When the patient checked in.")
    completed_at: str | None = Field(None, description="When the provider completed the visit.")
    cancelled_at: str | None = Field(None, description="When it was cancelled.")
    cancel_reason: str | None = Field(None, description="Why it was cancelled.")


class VisitNote(BaseModel):
    """A row of visit_notes: Clinical notes the treating provider writes for a visit; one per appointment, editable until signed."""

    note_id: str = Field(description="Note id, like N00001.")
    appointment_id: str = Field(description="The visit.")
    patient_id: str = Field(description="The patient.")
    provider_id: str = Field(description="Author (the treating provider).")
    diagnosis_code: str = Field(description="ICD-10 code of the main diagnosis.")
    subjective: str = Field(description="What the patient reports.")
    assessment: str = Field(description="The provider's assessment.")
    plan: str = Field(description="Treatment plan.")
    status: Literal["draft", "signed"] = Field(
        description="draft notes can be amended; signed notes are final."
    )
    created_at: str = Field(description="When the note was written.")
    signed_at: str | None = Field(None, description="When it was signed.")


class Medication(BaseModel):
    """A row of medications: The formulary; controlled substances (DEA schedule II-V) have extra rules."""

    medication_id: str = Field(description="Medication id, like M00001.")
    name: str = Field(description="Drug, strength and form.")
    drug_class: str = Field(description="Therapeutic class.")
    form: str = Field(description="Dosage form.")
    dea_schedule: Literal["II", "III", "IV", "V"] | None = Field(
        None, description="DEA schedule of a controlled substance; empty for non-controlled drugs."
    )
    controlled: bool = Field(
        description="Controlled substance: prescribed only at in-person visits and never refilled through telemedicine."
    )


class Prescription(BaseModel):
    """A row of prescriptions: Medications prescribed by a treating provider after a completed visit."""

    prescription_id: str = Field(description="Prescription id, like RX00001.")
    appointment_id: str = Field(description="The completed visit it was written at.")
    patient_id: str = Field(description="The patient.")
    provider_id: str = Field(description="The prescriber.")
    medication_id: str = Field(description="The drug.")
    medication_name: str = Field(description="Name of the drug (copied from the formulary).")
    controlled: bool = Field(description="Whether the drug is a controlled substance.")
    directions: str = Field(description="Dosing instructions (sig).")
    quantity: int = Field(description="Units dispensed per fill.")
    days_supply: int = Field(description="Days one fill lasts; a refill is due after 75% of it.")
    status: Literal["active", "discontinued"] = Field(description="active or discontinued by the prescriber.")
    prescribed_at: str = Field(description="When it was written.")
    expires_on: str = Field(
        description="Last day it can be filled (365 days after writing; 180 for controlled drugs)."
    )
    refills_authorized: int = Field(description="Refills allowed when prescribed.")
    last_filled_at: str = Field(description="When it was last filled (the first fill is at prescribing).")
    refills_remaining: int = Field(description="Refills left.")
    discontinued_at: str | None = Field(None, description="When it was discontinued.")
    discontinue_reason: str | None = Field(None, description="Why it was discontinued.")


class LabOrder(BaseModel):
    """A row of lab_orders: Lab tests ordered by the treating provider, from order to specimen collection to result."""

    lab_order_id: str = Field(description="Lab order id, like LAB00001.")
    appointment_id: str = Field(description="The visit it was ordered at.")
    patient_id: str = Field(description="The patient.")
    provider_id: str = Field(description="The ordering provider.")
    test_code: Literal["CBC", "CMP", "LIPID", "A1C", "TSH", "UA", "VITD", "STREP", "COVID"] = Field(
        description="Lab test code."
    )
    test_name: str = Field(description="Lab test name.")
    priority: Literal["routine", "urgent"] = Field(description="Processing priority.")
    status: Literal["ordered", "collected", "resulted", "cancelled"] = Field(
        description="ordered -> collected -> resulted; ordered -> cancelled."
    )
    ordered_at: str = Field(description="When it was ordered.")
    collected_at: str | None = Field(None, description="When the specimen was collected.")
    resulted_at: str | None = Field(None, description="When the result came back.")
    result_flag: Literal["normal", "abnormal", "critical"] | None = Field(
        None, description="Interpretation of the result."
    )
    result_value: str | None = Field(None, description="The reported result.")


class Invoice(BaseModel):
    """A row of invoices: Bills for completed visits; the patient owes the copay when an active policy covers the visit, otherwise the full visit fee."""

    invoice_id: str = Field(description="Invoice number, like INV-2026-000001.")
    appointment_id: str = Field(description="The completed visit billed (one invoice per visit).")
    patient_id: str = Field(description="Who pays.")
    policy_id: str | None = Field(None, description="The policy that was valid on the visit date, if any.")
    billing_basis: Literal["copay", "self_pay", "telehealth_not_covered"] = Field(
        description="copay: the policy covers the visit; self_pay: no valid active policy; telehealth_not_covered: the policy does not cover video/phone visits."
    )
    visit_fee: float = Field(description="Full price of the visit.")
    patient_amount: float = Field(description="What the patient owes in total.")
    insurance_amount: float = Field(description="What the insurer is billed.")
    status: Literal["open", "paid", "void"] = Field(
        description="open (balance due), paid (balance 0) or void (cancelled bill)."
    )
    amount_paid: float = Field(description="Sum of payments not refunded.")
    balance: float = Field(description="What the patient still owes.")
    issued_at: str = Field(description="When it was issued.")
    due_date: str = Field(description="Payment due date (30 days after issue).")
    voided_at: str | None = Field(None, description="When it was voided.")
    void_reason: str | None = Field(None, description="Why it was voided.")


class Payment(BaseModel):
    """A row of payments: Patient payments toward invoices, and their refunds."""

    payment_id: str = Field(description="Payment id, like PAY00001.")
    invoice_id: str = Field(description="The invoice paid.")
    patient_id: str = Field(description="Who paid.")
    amount: float = Field(description="Amount in dollars.")
    method: Literal["credit_card", "debit_card", "hsa_card", "bank_transfer"] = Field(
        description="How it was paid."
    )
    status: Literal["completed", "refunded"] = Field(description="completed or refunded.")
    paid_at: str = Field(description="When it was paid.")
    refunded_at: str | None = Field(None, description="When it was refunded.")
    refund_reason: str | None = Field(None, description="Why it was refunded.")


class Message(BaseModel):
    """A row of messages: Secure messages between a patient and a provider they have a care relationship with."""

    message_id: str = Field(description="Message id, like MSG00001.")
    appointment_id: str | None = Field(None, description="The visit the message is about, if any.")
    patient_id: str = Field(description="The patient in the conversation.")
    provider_id: str = Field(description="The provider in the conversation.")
    sender: Literal["patient", "provider"] = Field(
        description="Who wrote it (the other side is the recipient)."
    )
    subject: str = Field(description="Subject line.")
    content: str = Field(description="Message text.")
    status: Literal["unread", "read"] = Field(description="Whether the recipient read it.")
    sent_at: str = Field(description="When it was sent.")
    read_at: str | None = Field(None, description="When the recipient read it.")


class AppointmentDetails(Appointment):
    """A appointment with its visit notes, prescriptions, lab orders, invoices."""

    visit_notes: list[VisitNote] = Field(description="The visit notes of this appointment.")
    prescriptions: list[Prescription] = Field(description="The prescriptions of this appointment.")
    lab_orders: list[LabOrder] = Field(description="The lab orders of this appointment.")
    invoices: list[Invoice] = Field(description="The invoices of this appointment.")


class AppointmentList(BaseModel):
    """A page of appointments, in a stable order."""

    items: list[Appointment] = Field(description="The matching appointments.")
    count: int = Field(description="How many items this page holds.")


class EstimateVisitCostResult(BaseModel):
    """What estimate_visit_cost reports."""

    visit_fee: float = Field(description="The provider's full visit fee.")
    patient_amount: float = Field(description="What the patient would owe.")
    insurance_amount: float = Field(description="What the insurer would be billed.")
    billing_basis: Literal["copay", "self_pay", "telehealth_not_covered"] = Field(
        description="Why the patient owes that amount."
    )
    policy_id: str | None = Field(description="The policy valid on the visit date, if any.")


class InsurancePolicyList(BaseModel):
    """A page of insurance policies, in a stable order."""

    items: list[InsurancePolicy] = Field(description="The matching insurance policies.")
    count: int = Field(description="How many items this page holds.")


class InvoiceDetails(Invoice):
    """A invoice with its payments."""

    payments: list[Payment] = Field(description="The payments of this invoice.")


class InvoiceList(BaseModel):
    """A page of invoices, in a stable order."""

    items: list[Invoice] = Field(description="The matching invoices.")
    count: int = Field(description="How many items this page holds.")


class LabOrderList(BaseModel):
    """A page of lab orders, in a stable order."""

    items: list[LabOrder] = Field(description="The matching lab orders.")
    count: int = Field(description="How many items this page holds.")


class MedicationList(BaseModel):
    """A page of medications, in a stable order."""

    items: list[Medication] = Field(description="The matching medications.")
    count: int = Field(description="How many items this page holds.")


class MessageList(BaseModel):
    """A page of messages, in a stable order."""

    items: list[Message] = Field(description="The matching messages.")
    count: int = Field(description="How many items this page holds.")


class PatientDetails(Patient):
    """A patient with its insurance policies."""

    insurance_policies: list[InsurancePolicy] = Field(description="The insurance policies of this patient.")


class PatientList(BaseModel):
    """A page of patients, in a stable order."""

    items: list[Patient] = Field(description="The matching patients.")
    count: int = Field(description="How many items this page holds.")


class PrescriptionList(BaseModel):
    """A page of prescriptions, in a stable order."""

    items: list[Prescription] = Field(description="The matching prescriptions.")
    count: int = Field(description="How many items this page holds.")


class ProviderDetails(Provider):
    """A provider with its provider licenses."""

    provider_licenses: list[ProviderLicense] = Field(description="The provider licenses of this provider.")


class ProviderList(BaseModel):
    """A page of providers, in a stable order."""

    items: list[Provider] = Field(description="The matching providers.")
    count: int = Field(description="How many items this page holds.")


class TimeSlotList(BaseModel):
    """A page of time slots, in a stable order."""

    items: list[TimeSlot] = Field(description="The matching time slots.")
    count: int = Field(description="How many items this page holds.")
