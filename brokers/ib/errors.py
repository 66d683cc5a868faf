"""What IB's error messages mean, and the failures ``ecore paper`` stops on.

IB sends errors, warnings and notices through one message carrying a code and an id (a request
id, an order id, or -1).  The client libraries disagree on which codes are warnings (ib_insync
marks a read-only rejection 321 ``Cancelled``, ib_async keeps it as a ``ValidationError`` that
never ends; both mark an order ``Cancelled`` on the informational 10349 although it goes on
and fills), so ecore classes codes itself, by what they mean, and never by their text (IB
localises it):

* ``WARNING_CODES``: information about a request or an order that goes on;
* ``CONNECTIVITY_CODES``: IB's link to its servers lost (1100) or restored (1101 data lost,
  1102 data maintained): a restore makes the session ask for executions and open orders again;
* everything else on the id of an order IB has not acknowledged is that order's rejection,
  and on a request id that request's failure (e.g. 162 no market-data permission).
"""

from __future__ import annotations

# 165 HMDS query message, 202 order cancelled (a confirmation), 399 order message (e.g. "will
# not be placed at the exchange until ..."), 404 order held while shares are located, 10167
# delayed market data displayed, 10349 TIF set by a TWS preset; 2100-2199 data-farm status.
WARNING_CODES = frozenset({165, 202, 399, 404, 10167, 10349})
CONNECTIVITY_CODES = frozenset({1100, 1101, 1102})
CLIENT_ID_IN_USE = 326
READ_ONLY = 321

# What a user should check for the request errors they will meet.
HINTS = {
    162: "check the account's market-data permissions (paper accounts share the live user's "
         "subscriptions)",
    10197: "another session (the live user) is using the market data: log it out or run both "
           "on one machine",
    200: "IB does not know this contract",
    321: "untick Read-Only API in TWS/Gateway (Configure > API > Settings)",
    354: "the account has no market-data subscription for this contract",
}


def is_warning(code: int) -> bool:
    """True for IB codes that are information only: logged, never a rejection."""
    return code in WARNING_CODES or 2100 <= code < 2200


def describe(code: int, text: str) -> str:
    """IB's code and text, with what to check when we know it."""
    hint = HINTS.get(code)
    return f"IB error {code}: {text}" + (f" ({hint})" if hint else "")


class PaperAccountRequired(RuntimeError):
    """The connected account is not an IB paper account (paper accounts start with ``DU``)."""


class GatewayUnreachable(ConnectionError):
    """No TWS / IB Gateway answered at the address (not listening, or no API handshake)."""


class ClientIdInUse(ConnectionError):
    """IB refused the connection: another program uses this client id (error 326)."""


class IncompletePicture(RuntimeError):
    """Some of what ecore must know before trading (positions, open and completed orders,
    executions, account values) was not answered in time; nothing was sent."""


class RequestFailed(RuntimeError):
    """A request answered with an error, or not at all; the message names IB's code and text."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class DataFailure(RuntimeError):
    """Daily bars missing, short, stale or refused by IB: the strategy would not see the day."""


class UnsupportedAccount(RuntimeError):
    """Account values ecore cannot use (a base currency without an exchange rate to USD)."""
