"""How the simulated gateway answers an order (a script of steps per order), the notices it
sends on connecting, and the request message ids that faults (``unanswered``, ``request_errors``,
``drop_on``) attach to."""

from __future__ import annotations

import dataclasses

# ---------------------------------------------------------------------------------------------
# Order script steps


@dataclasses.dataclass(frozen=True)
class Accept:
    """Acknowledge the order: openOrder + orderStatus ``Submitted`` (or ``PreSubmitted``)."""

    status: str = "Submitted"


@dataclasses.dataclass(frozen=True)
class Rest:
    """The order rests until its session opens: PreSubmitted and warning 399."""

    text: str = ("Order Message:\nBUY IVV\nWarning: Your order will not be placed at the exchange "
                 "until 2025-03-14 09:30:00 US/Eastern")


@dataclasses.dataclass(frozen=True)
class Fill:
    """Execute ``quantity`` (default: all that remains) at ``price`` (default: gateway price);
    the commission report follows after ``commission_delay`` seconds (never if ``None``)."""

    quantity: float | None = None
    price: float | None = None
    commission_delay: float | None = 0.0


@dataclasses.dataclass(frozen=True)
class Reject:
    """Reject the order with an IB error, then status ``Cancelled``; ``error_first`` plays the
    sequence reported for 201 instead: the error, then openOrder and orderStatus ``Inactive``
    (ib_insync#554).  ``inactive_first`` sends openOrder and orderStatus ``Inactive`` first and
    the error ``text_delay`` seconds later (the order ib_insync#313 logs); ``no_text`` sends
    ``Inactive`` alone, never a reason (nautilus_trader#3603: an ``Inactive`` without
    ``whyHeld`` is a rejection)."""

    code: int = 201
    text: str = "Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE [1000.00 USD] MUST EXCEED THE INITIAL MARGIN [5000.00 USD]"
    error_first: bool = False
    inactive_first: bool = False
    text_delay: float = 0.0
    no_text: bool = False


@dataclasses.dataclass(frozen=True)
class Hold:
    """IB holds a short sale while it locates shares: status ``Inactive`` with ``whyHeld``
    "locate" (not a rejection: the order goes on once the shares are found)."""

    why: str = "locate"


@dataclasses.dataclass(frozen=True)
class ReadOnly:
    """The API is in Read-Only mode: error 321 with the order id, and nothing else."""

    text: str = ("Error validating request.-'bN' : cause - The API interface is currently in "
                 "Read-Only mode.")


@dataclasses.dataclass(frozen=True)
class Silent:
    """IB swallows the order: no status, no error, ever (paper server under load)."""


@dataclasses.dataclass(frozen=True)
class Info:
    """An informational error on a live order (10349: TIF set by preset); the order goes on."""

    code: int = 10349
    text: str = "Order TIF was set to DAY based on order preset."


@dataclasses.dataclass(frozen=True)
class Warn:
    """Send a warning about the order (e.g. 399 "order will not be placed until...")."""

    code: int = 399
    text: str = "Order Message:\nBUY 1 ZN MAR'25\nWarning: your order will not be placed at the exchange until 2025-03-14 08:00:00 US/Central"


@dataclasses.dataclass(frozen=True)
class Cancel:
    """IB cancels the working order (e.g. a DAY order at the close): status Cancelled, then 202."""

    text: str = "Order Canceled - reason:"


@dataclasses.dataclass(frozen=True)
class Drop:
    """Close the client's socket, as when TWS restarts or the network fails."""


DEFAULT_SCRIPT = (Accept(), Fill())

CONNECT_WARNINGS = (
    (2104, "Market data farm connection is OK:usfarm"),
    (2106, "HMDS data farm connection is OK:ushmds"),
    (2158, "Sec-def data farm connection is OK:secdefnj"),
)

CONNECTIVITY_TEXT = {
    1100: "Connectivity between IBKR and Trader Workstation has been lost.",
    1101: "Connectivity between IBKR and Trader Workstation has been restored - data lost.",
    1102: "Connectivity between IBKR and Trader Workstation has been restored - data maintained. "
          "All data farms are connected: usfuture; usfarm; ushmds; secdefnj.",
}

# Request message ids, for ``unanswered``, ``request_errors`` and ``drop_on``.
REQ_POSITIONS, REQ_OPEN_ORDERS, REQ_ALL_OPEN_ORDERS, REQ_COMPLETED_ORDERS = 61, 5, 16, 99
REQ_ACCOUNT, REQ_ACCOUNT_MULTI, REQ_EXECUTIONS, REQ_CONTRACT_DETAILS = 6, 76, 7, 9
REQ_HISTORY, REQ_PLACE_ORDER = 20, 3

# IB's texts for the faults of a history request (error 162) and of TWS's precautions (451)
PACING_TEXT = "Historical Market Data Service error message:Historical data request pacing violation"
NO_PERMISSION_TEXT = ("Historical Market Data Service error message:No market data permissions "
                      "for CBOT FUT")
SIZE_LIMIT_TEXT = ('The following order "ID:{id}" size exceeds the Size Limit of 10. Restriction '
                   "is specified in Precautionary Settings of Global Configuration/Presets.")
