"""Signals of the registrations app, for the apps above it (which this app must never import).

`service_request_closed` is sent inside the transaction that completes, cancels or rejects a
request, after its row is saved: a receiver's writes commit or roll back with the close itself
(schedules closes the visit whose last open request this was). Arguments: `service_request`,
`actor`, `now`.
"""

from django.dispatch import Signal

service_request_closed = Signal()
