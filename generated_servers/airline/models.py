"""Pydantic models of the Airline customer service server: table rows, results and inputs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Airport(BaseModel):
    """A row of airports: Airports the airline serves, by IATA code."""

    airport_code: str = Field(description="Three-letter IATA code, like JFK.")
    name: str = Field(description="Airport name.")
    city: str = Field(description="City the airport serves.")
    country: str = Field(description="Country of the airport.")


class Route(BaseModel):
    """A row of routes: Scheduled nonstop routes; a flight number flies one route every day at the same time."""

    flight_number: str = Field(description="Flight number, like HA001.")
    origin: str = Field(description="Departure airport code.")
    destination: str = Field(description="Arrival airport code.")
    duration_minutes: int = Field(description="Scheduled block time in minutes.")
    departure_time: str = Field(description="Daily scheduled departure time, HH:MM on the server clock.")
    aircraft: str = Field(description="Aircraft type usually flying this route.")
    base_fare: float = Field(
        description="Reference economy fare of the route in dollars; each flight's prices vary around it."
    )


class Flight(BaseModel):
    """A row of flights: One dated departure of a route, with its status, free seats and current fares per cabin."""

    flight_id: str = Field(description="Flight id, like F00017 (one flight number on one date).")
    flight_number: str = Field(description="The route's flight number.")
    origin: str = Field(description="Departure airport code.")
    destination: str = Field(description="Arrival airport code.")
    flight_date: str = Field(description="Scheduled departure date.")
    departure_at: str = Field(description="Current departure time (scheduled, or the new time when delayed).")
    arrival_at: str = Field(description="Current arrival time.")
    status: Literal["scheduled", "delayed", "departed", "landed", "cancelled"] = Field(
        description="Operational status: scheduled, delayed, departed, landed, or cancelled by the airline."
    )
    seats_basic_economy: int = Field(description="Free seats left in basic economy.")
    seats_economy: int = Field(description="Free seats left in economy.")
    seats_business: int = Field(description="Free seats left in business.")
    price_economy: float = Field(description="Current economy fare per passenger in dollars.")
    price_basic_economy: float = Field(description="Current basic economy fare per passenger in dollars.")
    price_business: float = Field(description="Current business fare per passenger in dollars.")


class User(BaseModel):
    """A row of users: Registered travellers (the airline's customers)."""

    user_id: str = Field(description="User id, like U00001.")
    first_name: str = Field(description="First name.")
    last_name: str = Field(description="Last name.")
    email: str = Field(description="Email address (unique).")
    phone: str = Field(description="Phone number.")
    date_of_birth: str = Field(description="Date of birth.")
    address: str = Field(description="Postal address.")
    membership: Literal["regular", "silver", "gold"] = Field(
        description="Membership level; it sets the free checked-bag allowance and compensation eligibility."
    )
    member_since: str = Field(description="Date the account was opened.")


class PaymentMethod(BaseModel):
    """A row of payment_methods: Saved payment methods of users; gift cards and travel certificates carry a balance."""

    payment_method_id: str = Field(description="Payment method id, like PM00001.")
    user_id: str = Field(description="Owner of the payment method.")
    kind: Literal["credit_card", "gift_card", "certificate"] = Field(
        description="credit_card, gift_card (has a balance), or certificate (a single-use travel certificate with a balance)."
    )
    card_brand: Literal["visa", "mastercard", "amex"] | None = Field(
        None, description="Card network, for credit cards only."
    )
    last_four: str | None = Field(
        None, description="Last four digits of the card number, for credit cards only."
    )
    status: Literal["active", "used", "removed"] = Field(
        description="active, used (a certificate already spent), or removed by the user."
    )
    balance: float | None = Field(
        None,
        description="Remaining balance in dollars for gift cards and certificates; empty for credit cards.",
    )
    expires_on: str = Field(description="Expiry date; an expired method cannot be used.")
    created_at: str = Field(description="When it was saved.")


class Reservation(BaseModel):
    """A row of reservations: Bookings of one user for one or more passengers on a one-way or round trip, all in one cabin."""

    reservation_id: str = Field(description="Reservation id (a six-character record locator), like ZF4K7Q.")
    user_id: str = Field(description="User who made and owns the reservation.")
    outbound_flight_id: str = Field(description="Outbound flight.")
    return_flight_id: str | None = Field(
        None, description="Return flight of a round trip; empty for one-way trips."
    )
    trip_type: Literal["one_way", "round_trip"] = Field(description="one_way or round_trip.")
    origin: str = Field(description="Where the trip starts.")
    destination: str = Field(description="Where the outbound flight goes.")
    cabin: Literal["basic_economy", "economy", "business"] = Field(
        description="Cabin of every flight of the reservation."
    )
    outbound_fare: float = Field(description="Fare per passenger paid for the outbound flight.")
    return_fare: float | None = Field(
        None, description="Fare per passenger paid for the return flight; empty for one-way trips."
    )
    insurance: bool = Field(
        description="Whether travel insurance was bought (30 per passenger); it allows cancellation with a refund."
    )
    checked_bags: int = Field(description="Total checked bags of the reservation.")
    created_at: str = Field(description="When the reservation was booked.")
    status: Literal["booked", "checked_in", "cancelled"] = Field(
        description="booked, checked_in, or cancelled."
    )
    cancel_reason: Literal["change_of_plan", "airline_cancelled_flight", "other"] | None = Field(
        None, description="Why it was cancelled."
    )
    cancelled_at: str | None = Field(None, description="When it was cancelled.")
    compensation_issued: bool = Field(
        description="Whether a compensation certificate was already issued for this reservation."
    )


class Passenger(BaseModel):
    """A row of passengers: Travellers on a reservation."""

    passenger_id: str = Field(description="Passenger id, like P00001.")
    reservation_id: str = Field(description="Reservation the passenger travels on.")
    first_name: str = Field(description="First name as on the passport.")
    last_name: str = Field(description="Last name as on the passport.")
    date_of_birth: str = Field(description="Date of birth.")


class Payment(BaseModel):
    """A row of payments: Ledger of charges and refunds on payment methods, per reservation."""

    payment_id: str = Field(description="Payment id, like PY00001.")
    reservation_id: str | None = Field(
        None, description="Reservation it belongs to; empty for gift card purchases."
    )
    payment_method_id: str = Field(description="Payment method charged or refunded.")
    kind: Literal["charge", "refund"] = Field(description="charge or refund.")
    purpose: Literal[
        "booking",
        "baggage",
        "insurance",
        "flight_change",
        "cabin_change",
        "cancellation",
        "gift_card_purchase",
    ] = Field(description="What the money was for.")
    amount: float = Field(description="Amount in dollars (always positive; kind tells the direction).")
    created_at: str = Field(description="When it was recorded.")


class SavedPassenger(BaseModel):
    """A row of saved_passengers: Travel companions a user saved for quick booking."""

    saved_passenger_id: str = Field(description="Saved passenger id, like SP00001.")
    user_id: str = Field(description="User who saved this companion.")
    first_name: str = Field(description="First name.")
    last_name: str = Field(description="Last name.")
    date_of_birth: str = Field(description="Date of birth.")
    relationship: Literal["spouse", "partner", "child", "parent", "sibling", "friend", "colleague"] = Field(
        description="Relationship to the user."
    )


class SupportTicket(BaseModel):
    """A row of support_tickets: Customer support cases opened for a user, optionally about one reservation."""

    ticket_id: str = Field(description="Ticket id, like T00001.")
    user_id: str = Field(description="User the ticket is for.")
    reservation_id: str | None = Field(None, description="Reservation the ticket is about, if any.")
    category: Literal["baggage", "refund", "schedule_change", "booking", "complaint", "other"] = Field(
        description="Topic of the ticket."
    )
    subject: str = Field(description="One-line summary.")
    description: str = Field(description="What the user reported.")
    priority: Literal["low", "normal", "high"] = Field(description="Handling priority.")
    status: Literal["open", "in_progress", "resolved", "closed"] = Field(
        description="open, in_progress, resolved or closed."
    )
    resolution: str | None = Field(None, description="How it was resolved.")
    created_at: str = Field(description="When it was opened.")
    updated_at: str = Field(description="Last change.")


class AddCheckedBagsResult(BaseModel):
    """What add_checked_bags reports."""

    reservation_id: str = Field(description="The reservation.")
    checked_bags: int = Field(description="Total bags now checked.")
    free_bags: int = Field(description="Free bags of the reservation.")
    fee_charged: float = Field(description="What was charged for the added bags.")


class AirportList(BaseModel):
    """A page of airports, in a stable order."""

    items: list[Airport] = Field(description="The matching airports.")
    count: int = Field(description="How many items this page holds.")


class BookReservationResult(BaseModel):
    """What book_reservation reports."""

    reservation_id: str = Field(description="The new reservation.")
    status: str = Field(description="Always booked.")
    fare_total: float = Field(description="Fares of all flights times passengers.")
    insurance_cost: float = Field(description="Travel insurance paid.")
    free_bags: int = Field(description="Free checked bags of the reservation.")
    baggage_fee: float = Field(description="Fee for bags beyond the free allowance.")
    total_price: float = Field(description="Total charged.")
    charged: str = Field(
        description="How the total was split over payment methods, e.g. 'PM00002 300.00, PM00001 570.00'."
    )


class CancelReservationResult(BaseModel):
    """What cancel_reservation reports."""

    reservation_id: str = Field(description="The cancelled reservation.")
    status: str = Field(description="Always cancelled.")
    refund_total: float = Field(description="Total refunded to the original payment methods.")
    refunds: int = Field(description="Number of refund entries (one per payment method).")


class ChangeReservationFlightsResult(BaseModel):
    """What change_reservation_flights reports."""

    reservation_id: str = Field(description="The changed reservation.")
    outbound_flight_id: str = Field(description="Outbound flight now booked.")
    return_flight_id: str | None = Field(description="Return flight now booked, if any.")
    fare_difference: float = Field(
        description="Charged (positive) or refunded (negative) for all passengers."
    )


class CheckCancellationEligibilityResult(BaseModel):
    """What check_cancellation_eligibility reports."""

    reservation_id: str = Field(description="The reservation.")
    eligible: bool = Field(description="Whether cancel_reservation would succeed now.")
    reason: str = Field(description="Which rule applies.")
    booked_within_24h: bool = Field(description="Whether it was booked less than 24 hours ago.")
    refund_amount: float = Field(description="What would be refunded to the original payment methods.")


class FlightList(BaseModel):
    """A page of flights, in a stable order."""

    items: list[Flight] = Field(description="The matching flights.")
    count: int = Field(description="How many items this page holds.")


class GetBaggageAllowanceResult(BaseModel):
    """What get_baggage_allowance reports."""

    reservation_id: str = Field(description="The reservation.")
    membership: str = Field(description="The owner's membership level.")
    cabin: str = Field(description="The reservation's cabin.")
    passengers: int = Field(description="Number of passengers.")
    free_bags_per_passenger: int = Field(description="Free checked bags per passenger.")
    free_bags_total: int = Field(description="Free checked bags for the whole reservation.")
    checked_bags: int = Field(description="Bags currently checked.")
    paid_bags: int = Field(description="Checked bags beyond the free allowance (50 each).")
    max_bags: int = Field(description="Most bags the reservation may check (5 per passenger).")


class PassengerList(BaseModel):
    """A page of passengers, in a stable order."""

    items: list[Passenger] = Field(description="The matching passengers.")
    count: int = Field(description="How many items this page holds.")


class PaymentList(BaseModel):
    """A page of payments, in a stable order."""

    items: list[Payment] = Field(description="The matching payments.")
    count: int = Field(description="How many items this page holds.")


class PaymentMethodList(BaseModel):
    """A page of payment methods, in a stable order."""

    items: list[PaymentMethod] = Field(description="The matching payment methods.")
    count: int = Field(description="How many items this page holds.")


class QuoteBookingResult(BaseModel):
    """What quote_booking reports."""

    fare_total: float = Field(description="Fares of all flights times passengers.")
    insurance_cost: float = Field(description="Travel insurance (0 if not chosen).")
    free_bags: int = Field(description="Free checked bags for the whole reservation.")
    baggage_fee: float = Field(description="50 per bag beyond the free allowance.")
    total_price: float = Field(description="What the booking would cost.")
    seats_available: int = Field(description="Fewest free seats in the cabin over the flights.")
    enough_seats: bool = Field(description="Whether every flight has a seat for every passenger.")


class ReservationDetails(Reservation):
    """A reservation with its passengers, payments."""

    passengers: list[Passenger] = Field(description="The passengers of this reservation.")
    payments: list[Payment] = Field(description="The payments of this reservation.")


class ReservationList(BaseModel):
    """A page of reservations, in a stable order."""

    items: list[Reservation] = Field(description="The matching reservations.")
    count: int = Field(description="How many items this page holds.")


class RouteList(BaseModel):
    """A page of routes, in a stable order."""

    items: list[Route] = Field(description="The matching routes.")
    count: int = Field(description="How many items this page holds.")


class SavedPassengerList(BaseModel):
    """A page of saved passengers, in a stable order."""

    items: list[SavedPassenger] = Field(description="The matching saved passengers.")
    count: int = Field(description="How many items this page holds.")


class SupportTicketList(BaseModel):
    """A page of support tickets, in a stable order."""

    items: list[SupportTicket] = Field(description="The matching support tickets.")
    count: int = Field(description="How many items this page holds.")


class UserDetails(User):
    """A user with its payment methods, saved passengers."""

    payment_methods: list[PaymentMethod] = Field(description="The payment methods of this user.")
    saved_passengers: list[SavedPassenger] = Field(description="The saved passengers of this user.")


class UserList(BaseModel):
    """A page of users, in a stable order."""

    items: list[User] = Field(description="The matching users.")
    count: int = Field(description="How many items this page holds.")


class BookReservationPassenger(BaseModel):
    """One entry of passengers for book_reservation."""

    first_name: str = Field(description="First name.")
    last_name: str = Field(description="Last name.")
    date_of_birth: str = Field(description="Date of birth, YYYY-MM-DD.")
