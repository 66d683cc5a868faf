"""A simulated TWS / IB Gateway that speaks the real TWS API socket protocol on 127.0.0.1.

It negotiates the newest server version the client offers up to 178 (``ib_async`` 2.1.0 offers
157..178 and gets 178, as from a real Gateway 10.30; ``ib_insync`` 0.9.86 offers 157..176 and
gets 176), and encodes each message with the field order the client decodes at that version:
``faProfile`` leaves openOrder (5), completedOrder (101) and placeOrder (3) at 177, and
execDetails (11) gains ``pendingPriceRevision`` at 178.

Messages: handshake, account updates (6, 7, 8, 54) and their multi form (73, 74), positions
(61, 62), contract details (10, 52), open orders (5, 3, 53), completed orders (101, 102),
executions (11, 55), commission reports (59), historical daily bars (17), errors (4); requests:
place order (3, including what-if orders), cancel (4), global cancel (58).

It behaves as real IB is reported to behave (IB's API docs and the two libraries' issue
trackers), warts included:

* any request can be left unanswered (``unanswered``), answered with an error (``request_errors``:
  162, 10197, 200, 321...), or made to drop the socket when it arrives (``drop_on``);
* a client id already connected gets error 326 and a closed socket;
* ``reqExecutions`` returns only this client's executions made since the gateway's midnight
  (``clock`` is settable), completed orders likewise only the day's;
* IB's native resting orders (:mod:`.resting`): stops, trailing stops, limits and MOC/LOC on a
  price path (``move_price``) and at the close (``close_session``: DAY and GTD orders end),
  bracket children ``PreSubmitted`` until their parent fills, OCA siblings cancelled, GTC/GTD
  orders surviving ``restart()``;
* each order runs a script of steps (``Accept``, ``Rest``, ``Fill``, ``Reject``, ``Hold``, ``ReadOnly``,
  ``Silent``, ``Info``, ``Warn``, ``Cancel``, ``Drop``) chosen by ``order_script(order)``;
* fills may carry a late commission (``Fill(commission_delay=s)``), corrections arrive as a new
  execution whose execId differs only after the last period (``correct``);
* positions of every kind (options, other futures roots, other currencies), account values in a
  non-USD base currency (``base_currency``) with ``BASE`` and ``ExchangeRate`` rows, what-if
  orders answered with the margin change (optionally preceded by IB's unset ``E308`` answer),
  connectivity notices 1100/1101/1102 (``notify``).

State (positions, executions, orders) lives in the gateway, not in the connection, so a client
that reconnects sees what happened while it was away, as with real TWS.
Modules: :mod:`.resting` (resting orders), :mod:`.steps` (order scripts and the request ids faults attach to), :mod:`.book` (the
contracts, orders and executions the gateway holds), :mod:`.wire` (the socket framing),
:mod:`.gateway` (:class:`FakeGateway`: state and request handling), :mod:`.messages` (the
encoders of IB's messages at the negotiated server version) and :mod:`.faults` (a first month's
faults: late rejection reasons, rejections at the open, other accounts' orders, refused, throttled
and late history, today's unfinished bar).
"""

from .book import ExecutionRecord, Instrument, PlacedOrder
from .gateway import FakeGateway
from .faults import MonthFaults
from .steps import (DEFAULT_SCRIPT, NO_PERMISSION_TEXT, PACING_TEXT, REQ_ACCOUNT,
                    REQ_ACCOUNT_MULTI, REQ_ALL_OPEN_ORDERS, REQ_COMPLETED_ORDERS,
                    REQ_CONTRACT_DETAILS, REQ_EXECUTIONS, REQ_HISTORY, REQ_OPEN_ORDERS,
                    REQ_PLACE_ORDER, REQ_POSITIONS, SIZE_LIMIT_TEXT, Accept, Cancel, Drop, Fill,
                    Hold, Info, ReadOnly, Reject, Rest, Silent, Warn)
from .wire import GATEWAY_TZ, SERVER_VERSION, UNSET

__all__ = ["MonthFaults", "NO_PERMISSION_TEXT", "PACING_TEXT", "SIZE_LIMIT_TEXT", "Accept",
           "Cancel", "DEFAULT_SCRIPT", "Drop", "ExecutionRecord", "FakeGateway", "Fill",
           "GATEWAY_TZ", "Hold", "Info", "Instrument", "PlacedOrder", "ReadOnly", "Reject", "Rest",
           "SERVER_VERSION", "Silent", "UNSET", "Warn", "REQ_ACCOUNT", "REQ_ACCOUNT_MULTI",
           "REQ_ALL_OPEN_ORDERS", "REQ_COMPLETED_ORDERS", "REQ_CONTRACT_DETAILS", "REQ_EXECUTIONS",
           "REQ_HISTORY", "REQ_OPEN_ORDERS", "REQ_PLACE_ORDER", "REQ_POSITIONS"]
