"""The cash journal: every movement of money in the simulated account is one row.

Two accounts are kept, so that each day's rows sum to the change in NAV:

* ``cash`` — the broker cash balance (collateral included): fills of shares, commissions,
  variation margin, interest, fund expenses, deposits and withdrawals;
* ``shares`` — the market value of share positions: the counterpart of a share purchase or sale
  (so a purchase moves money between the two accounts and leaves NAV unchanged) and the daily
  marking of shares to their close.

``balance`` is the running balance of the row's account.  Event rows (margin call issued or met,
forced liquidation, delivery guard, rejected order) carry an amount of zero and say what
happened in ``note``.  Amounts are exact floats (not rounded): a day's rows sum to the change
in NAV to far better than a cent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

COLUMNS = ["date", "kind", "instrument", "amount", "balance", "account", "note"]

# Kinds of rows.
DEPOSIT = "deposit"
WITHDRAWAL = "withdrawal"
SHARE_BUY = "share_buy"
SHARE_SELL = "share_sell"
SHARE_MARK = "share_mark"
COMMISSION = "commission"
VARIATION_MARGIN = "variation_margin"
INTEREST = "interest"
EXPENSE = "expense"
MARGIN_CALL = "margin_call"
MARGIN_CALL_MET = "margin_call_met"
FORCED_LIQUIDATION = "forced_liquidation"
DELIVERY_GUARD = "delivery_guard"
REJECTION = "rejection"

CASH = "cash"
SHARES = "shares"


@dataclass(slots=True)
class JournalRow:
    date: dt.date
    kind: str
    instrument: str
    amount: float
    balance: float
    account: str
    note: str


class Journal:
    """Append-only ledger; the only place where the broker's cash and share value change."""

    def __init__(self, opening_cash: float = 0.0):
        self.opening_cash = float(opening_cash)
        self.cash = float(opening_cash)
        self.shares_value = 0.0
        self.rows: list[JournalRow] = []

    @property
    def nav(self) -> float:
        return self.cash + self.shares_value

    def post(self, day: dt.date, kind: str, instrument: str, amount: float, account: str = CASH,
             note: str = "") -> JournalRow:
        amount = float(amount)
        if account == CASH:
            self.cash += amount
            balance = self.cash
        elif account == SHARES:
            self.shares_value += amount
            balance = self.shares_value
        else:
            raise ValueError(f"unknown journal account {account!r}")
        row = JournalRow(day, kind, instrument, amount, balance, account, note)
        self.rows.append(row)
        return row

    def event(self, day: dt.date, kind: str, instrument: str, note: str) -> JournalRow:
        """A row that records an event and moves no money."""
        return self.post(day, kind, instrument, 0.0, CASH, note)

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return pd.DataFrame(columns=COLUMNS)
        f = pd.DataFrame([(r.date, r.kind, r.instrument, r.amount, r.balance, r.account, r.note) for r in self.rows],
                         columns=COLUMNS)
        f["date"] = pd.to_datetime(f["date"])
        return f
