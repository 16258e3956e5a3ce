"""A tiny landing zone for the reference pipeline (examples/ecommerce), with
results worked out by hand, shared by the Actions and Airflow tests.

Arrival days and what `mart.revenue_daily` must hold after each:

2026-01-05  o1: USD 100.00, no discount, paid (p1 captured)
            o2: EUR 50.00 - 5.00 at 1.10 USD -> gross 55.00, net 49.50 USD, paid
            -> 2026-01-05: orders 2, gross_usd 155.00, net_usd 149.50, paid_net_usd 149.50
2026-01-06  o3: USD 200.00, unpaid; p1 refunded (o1 is no longer paid)
            -> 2026-01-05: paid_net_usd 49.50 (a late change reaching an old partition)
            -> 2026-01-06: orders 1, gross_usd 200.00, net_usd 200.00, paid_net_usd 0.00
BAD_DAY     o4 in JPY, for which no rate ever arrives: net_amount_usd is NULL, so
2026-01-07  the gate `not_null` on dw.fact_orders fails and nothing from it is published.

Customers' addresses are PII: the clear text must never reach a table or a log.
"""

from __future__ import annotations

import json
from pathlib import Path

PII_KEY = "shop-test-key-do-not-print"
ADDRESSES = ("Ann@Example.com", "bob@example.com")
GOOD_DAYS = ("2026-01-05", "2026-01-06")
BAD_DAY = "2026-01-07"
GATE_MODEL = "dw.fact_orders"

PAYMENTS_HEADER = "payment_id,order_id,event_time,status,amount,currency,version\n"
FX_HEADER = "rate_date,currency,usd_rate\n"


def _order(order_id: str, time: str, customer: str, email: str, currency: str, gross: str,
           discount: str | None, tax: str) -> str:
    return json.dumps({
        "event_id": f"e-{order_id}", "order_id": order_id, "customer_id": customer,
        "customer_email": email, "event_type": "order_created", "event_time": time,
        "version": 1, "status": "placed", "currency": currency, "gross_amount": gross,
        "discount_amount": discount, "tax_amount": tax, "country": "us",
    })


FILES: dict[str, dict[str, str]] = {
    "2026-01-05": {
        "customers/customers_2026-01-05.csv": (
            "customer_id,email,country,segment,updated_at\n"
            f"c1,{ADDRESSES[0]},us,consumer,2026-01-05T08:00:00Z\n"
            f"c2,{ADDRESSES[1]},de,smb,2026-01-05T08:00:00Z\n"
        ),
        "orders_events/orders_2026-01-05.jsonl": "\n".join([
            _order("o1", "2026-01-05T10:00:00Z", "c1", ADDRESSES[0], "USD", "100.00", None, "8.00"),
            _order("o2", "2026-01-05T11:00:00+01:00", "c2", ADDRESSES[1], "EUR", "50.00", "5.00", "4.00"),
        ]) + "\n",
        "payments_events/payments_2026-01-05.csv": (
            PAYMENTS_HEADER
            + "p1,o1,2026-01-05T10:05:00Z,captured,108.00,USD,1\n"
            + "p2,o2,2026-01-05T10:10:00Z,captured,49.00,EUR,1\n"
        ),
        "fx_rates/fx_rates_2026-01-05.csv": FX_HEADER + "2026-01-05,USD,1.000000\n2026-01-05,EUR,1.100000\n",
    },
    "2026-01-06": {
        "orders_events/orders_2026-01-06.jsonl": _order(
            "o3", "2026-01-06T09:00:00Z", "c1", ADDRESSES[0], "USD", "200.00", None, "16.00") + "\n",
        "payments_events/payments_2026-01-06.csv": (
            PAYMENTS_HEADER + "p1,o1,2026-01-06T08:00:00Z,refunded,108.00,USD,2\n"
        ),
        "fx_rates/fx_rates_2026-01-06.csv": FX_HEADER + "2026-01-06,USD,1.000000\n2026-01-06,EUR,1.100000\n",
    },
    BAD_DAY: {
        "orders_events/orders_2026-01-07.jsonl": _order(
            "o4", "2026-01-07T09:00:00Z", "c1", ADDRESSES[0], "JPY", "1000.00", None, "0.00") + "\n",
        "fx_rates/fx_rates_2026-01-07.csv": FX_HEADER + "2026-01-07,USD,1.000000\n2026-01-07,EUR,1.100000\n",
    },
}

# (order_date, orders, gross_usd, net_usd, paid_net_usd) after each good day.
REVENUE_AFTER = {
    "2026-01-05": [("2026-01-05", 2, "155.00", "149.50", "149.50")],
    "2026-01-06": [
        ("2026-01-05", 2, "155.00", "149.50", "49.50"),
        ("2026-01-06", 1, "200.00", "200.00", "0.00"),
    ],
}

REVENUE_SQL = (
    "SELECT CAST(order_date AS VARCHAR), orders, CAST(gross_usd AS VARCHAR), "
    "CAST(net_usd AS VARCHAR), CAST(paid_net_usd AS VARCHAR) "
    "FROM mart.revenue_daily ORDER BY order_date"
)


def arrive(landing: Path, day: str) -> None:
    """Delivers one arrival day's files: <landing>/<source>/<day>/<file>."""
    for rel, text in FILES[day].items():
        source, name = rel.split("/")
        path = Path(landing) / source / day / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def revenue(db: Path) -> list[tuple]:
    """mart.revenue_daily as text, read with DuckDB's Python client."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return [
            (d, int(n), g, net, paid) for d, n, g, net, paid in con.execute(REVENUE_SQL).fetchall()
        ]
