"""A compact worked reply of every role, for a small shop (the domain of `tests/specs/tiny.yaml`).

Each is shown in its role's prompt, shortened where a real reply is longer (one or two entries
where the task asks for many), and validates against the role's reply model (a unit test keeps
it so), so a model sees the exact shape and the idioms that pass the checks.
"""

from __future__ import annotations

from typing import Any

ORDER_ID = {"type": "string", "ref": "orders.order_id", "description": "The order, like O00001."}
CUSTOMER_ID = {"type": "string", "ref": "customers.customer_id", "description": "The customer, like C00001."}
CANCEL_ERRORS = {"not_your_order": "Order {order_id} belongs to another customer; check the order id.",
                 "not_cancellable": "Order {order_id} is {order.status}; only pending orders can be cancelled."}

EXAMPLES: dict[str, dict[str, Any]] = {
    "domain": {
        "name": "tiny_shop", "title": "Tiny shop",
        "description": "A small online shop: customers place, track and cancel orders and hold store credit.",
        "keywords": ["orders", "store credit", "customer profile"],
        "policy": "- Only pending orders can be cancelled; a cancelled order is refunded as store credit.\n"
                  "- Act only on the orders of the customer you are talking to.",
        "now": "2026-03-01T09:00:00",
    },
    "tools": {"tools": {
        "list_orders": {
            "description": "List a customer's orders, optionally only those with a given status.",
            "params": {"customer_id": CUSTOMER_ID,
                       "status": {"type": "string", "required": False, "enum": ["pending", "shipped", "cancelled"],
                                  "description": "Only orders with this status."}},
            "returns": {"table": "orders", "many": True}, "postconditions": ["Nothing changes."],
        },
        "cancel_order": {
            "description": "Cancel a pending order and refund its amount as store credit.",
            "params": {"order_id": ORDER_ID, "customer_id": CUSTOMER_ID},
            "returns": {"table": "orders"},
            "preconditions": ["The order is pending (get_order).", "It is the customer's own order."],
            "postconditions": ["The order is cancelled; the customer's balance grows by its amount."],
            "errors": CANCEL_ERRORS,
        },
    }},
    "database": {
        "tables": {
            "customers": {"description": "People who buy things.", "primary_key": "customer_id", "id_prefix": "C",
                          "columns": {"customer_id": {"type": "text", "policy": "exempt"},
                                      "name": {"type": "text", "policy": "semantic"},
                                      "balance": {"type": "real", "check": "balance >= 0"}}},
            "orders": {"description": "Orders placed by customers.", "primary_key": "order_id", "id_prefix": "O",
                       "status_column": "status", "initial_states": ["pending"],
                       "transitions": {"pending": ["shipped", "cancelled"]},
                       "columns": {"order_id": {"type": "text", "policy": "exempt"},
                                   "customer_id": {"type": "text", "references": "customers.customer_id"},
                                   "amount": {"type": "real"},
                                   "status": {"type": "text", "enum": ["pending", "shipped", "cancelled"]},
                                   "created_at": {"type": "datetime", "policy": "exempt"}}},
        },
        "actor": "customers",
        "tool_tables": {"list_orders": {"table": "orders"},
                        "cancel_order": {"table": "orders", "reads": ["customers"], "writes": ["orders", "customers"]}},
    },
    "seed": {"tables": {
        "customers": {"seed": {"rows": 40}, "columns": {"name": {"faker": "name"}, "balance": {"real": [0, 200]}}},
        "orders": {"seed": {"per": "customers", "count": [1, 3]}, "columns": {
            "amount": {"real": [5, 90]},
            "status": {"choice": ["pending", "shipped", "cancelled"], "weights": [0.5, 0.3, 0.2]},
            "created_at": {"expr": "(datetime.fromisoformat('2026-03-01T09:00:00') "
                                   "- timedelta(hours=rng.randint(2, 1400))).isoformat()"},
        }},
    }},
    "behaviour": {"tools": {
        "list_orders": {"kind": "list", "order_by": ["created_at"]},
        "cancel_order": {
            "kind": "custom", "produces": {"orders": ["cancelled"]},
            "requires": [{"entity": "order", "column": "customer_id", "op": "eq", "value": "$customer_id",
                          "error": "not_your_order"},
                         {"entity": "order", "column": "status", "op": "in", "value": ["pending"],
                          "error": "not_cancellable"}],
            "body": 'await db.update("orders", "order_id", order_id, {"status": "cancelled"})\n'
                    'await db.update("customers", "customer_id", customer_id, '
                    '{"balance": customer["balance"] + order["amount"]})\n'
                    'return Order(**(await db.fetch_one("SELECT * FROM orders WHERE order_id = ?", (order_id,))))',
        },
    }},
    "tests": {"tests": {"cancel_order": [
        {"name": "refunds_pending_order",
         "setup": ["UPDATE orders SET status = 'pending', amount = 10.0, customer_id = 'C00001' WHERE order_id = 'O00001'",
                   "UPDATE customers SET balance = 5.0 WHERE customer_id = 'C00001'"],
         "args": {"order_id": "O00001", "customer_id": "C00001"},
         "expect": {"changes": {"orders": {"update": 1}, "customers": {"update": 1}},
                    "rows": [{"table": "customers", "where": {"customer_id": "C00001"}, "values": {"balance": 15.0}}],
                    "result": {"status": "cancelled"}}},
        {"name": "refuses_shipped_order",
         "setup": ["UPDATE orders SET status = 'shipped', customer_id = 'C00001' WHERE order_id = 'O00001'"],
         "args": {"order_id": "O00001", "customer_id": "C00001"}, "expect": {"error": "not_cancellable"}},
    ]}},
    "debug": {"fixes": [
        {"tool": "cancel_order", "target": "tests",
         "diagnosis": "The test expects a refund on O00001 but never makes it pending; the seed left it shipped.",
         "tests": [{"name": "refunds_pending_order",
                    "setup": ["UPDATE orders SET status = 'pending', customer_id = 'C00001' WHERE order_id = 'O00001'"],
                    "args": {"order_id": "O00001", "customer_id": "C00001"},
                    "expect": {"changes": {"orders": {"update": 1}, "customers": {"update": 1}}}}]},
    ]},
    "edges": {
        "confirmed": ["list_orders -> cancel_order [data_flow]"],
        "rejected": [{"edge": "cancel_order -> list_orders [data_flow]",
                      "reason": "list_orders takes the customer id the conversation already has, not cancel_order's output"}],
    },
}
