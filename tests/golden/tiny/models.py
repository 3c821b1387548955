"""Pydantic models of the Tiny shop server: table rows, results and inputs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Customer(BaseModel):
    """A row of customers: People who buy things."""

    customer_id: str = Field(description="Customer id.")
    name: str = Field(description="Full name.")
    email: str = Field(description="Email address.")
    balance: float = Field(description="Store credit in dollars.")


class Order(BaseModel):
    """A row of orders: Orders placed by customers."""

    order_id: str = Field(description="Order id.")
    customer_id: str = Field(description="Who ordered.")
    item: str = Field(description="What was ordered.")
    amount: float = Field(description="Price paid.")
    status: Literal["pending", "shipped", "delivered", "cancelled"] = Field(description="Order status.")
    created_at: str = Field(description="When it was placed.")
    cancel_note: str | None = Field(None, description="Why the customer cancelled (the agent's words).")


class OrderList(BaseModel):
    """A page of orders, in a stable order."""

    items: list[Order] = Field(description="The matching orders.")
    count: int = Field(description="How many items this page holds.")
