"""Holds: units of stock held for a reservation while its shopper pays.

They live with the stock they hold, as Saleor's warehouse app keeps its
allocations and reservations: the Reservation and ReservationLine models
(apps/stock/models.py), the stores that take and give back holds (`store`,
`postgresql`, `portable`, and the PL/pgSQL of `sql/`), the rule of expiry
(`rules`) and the hold services every writer of stock rows uses (`services`).
What a shopper may do with a hold, and when, is the reservations app's.
"""
