"""`BacktestResult`: everything one backtest produced, as plain tables, for metrics and reports.

Money is in dollars, dates are trading days (``pandas.Timestamp`` at midnight, no time zone).
The runner builds one of these per strategy; `ecore.engine.report.metrics`, `ecore.engine.report.html` and
`ecore.engine.report.outputs` only read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...data.contracts import Contract, ContractError

#: Columns every ``daily`` table has, one row per trading day. Money in dollars;
#: ``ladder_duration`` in years (dollar-weighted modified duration of the futures ladder),
#: NaN for a strategy without futures.
DAILY_COLUMNS = (
    "date",
    "nav",
    "cash",
    "shares_value",
    "futures_notional",
    "initial_margin",
    "maintenance_margin",
    "excess_liquidity",
    "ladder_duration",
)
#: Columns of ``trades``: one row per fill. ``size`` in shares or contracts (negative = sell),
#: ``price`` in dollars per share or futures points, ``value`` in dollars (signed; for futures the
#: notional traded), ``commission`` in dollars (positive = paid).
TRADE_COLUMNS = ("date", "instrument", "size", "price", "value", "commission", "kind")
#: Why a trade happened.
TRADE_KINDS = frozenset({"trade", "roll", "rebalance", "forced", "margin_call"})
#: Columns of ``journal``, the broker's cash journal: ``amount`` in dollars (positive = cash in),
#: ``balance`` the cash balance after the entry. Kinds include fill, commission, slippage,
#: variation_margin, interest, fee, margin_call, forced_liquidation, deposit.
JOURNAL_COLUMNS = ("date", "kind", "instrument", "amount", "balance")
#: Columns of ``events``: things a reader wants marked on a chart. Kinds counted by the metrics:
#: roll, rebalance, margin_call, forced_liquidation, rejection.
EVENT_COLUMNS = ("date", "kind", "detail")
#: Event kinds the metrics count.
COUNTED_EVENTS = ("roll", "rebalance", "margin_call", "forced_liquidation", "rejection")


class ResultError(ValueError):
    """A table handed to `BacktestResult` lacks a column or holds an unknown trade kind."""


def empty_frame(columns) -> pd.DataFrame:
    """An empty table with the given columns (``date`` typed as dates)."""
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _checked(frame: pd.DataFrame | None, columns, what: str, sort: bool) -> pd.DataFrame:
    if frame is None:
        return empty_frame(columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ResultError(f"{what} table lacks column(s): {', '.join(missing)}")
    out = frame.copy()
    out["date"] = pd.to_datetime(out["date"]).dt.normalize()
    if sort:
        out = out.sort_values("date", kind="stable")
    return out.reset_index(drop=True)


def is_futures_instrument(name: str) -> bool:
    """True when ``name`` is a futures contract code ("ZNH25", "ZN 202503"), False for a share."""
    try:
        Contract.parse(str(name))
    except ContractError:
        return False
    return True


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """One strategy's backtest: daily state, fills, cash journal, events, and how it was run.

    The constructor checks the required columns (raising `ResultError` naming what is missing),
    turns ``date`` columns into timestamps and sorts ``daily`` by date. ``trades``, ``journal``
    and ``events`` may be omitted (empty tables), as for a buy-and-hold benchmark.
    """

    name: str
    daily: pd.DataFrame
    trades: pd.DataFrame | None = None
    journal: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    params: dict = field(default_factory=dict)
    #: Text a reader needs to trust the numbers: data sources, synthetic vs real segments,
    #: costs, margin model. Keys are headings, values sentences.
    assumptions: dict = field(default_factory=dict)
    #: The event kinds the run recorded (None: all of them). A strategy that does not record its
    #: rebalances has none in ``events``; its rebalance count is unknown, not zero.
    recorded_events: frozenset | None = None
    #: Which series set the window: {"start": "AGG closes", "end": "yields (DGS3MO)"}; a key is
    #: missing when the user gave that day.
    window_sources: dict = field(default_factory=dict)

    def __post_init__(self):
        daily = _checked(self.daily, DAILY_COLUMNS, "daily", sort=True)
        if daily.empty:
            raise ResultError("daily table is empty")
        if daily["date"].duplicated().any():
            dup = daily.loc[daily["date"].duplicated(), "date"].iloc[0]
            raise ResultError(f"daily table has two rows for {dup.date()}")
        trades = _checked(self.trades, TRADE_COLUMNS, "trades", sort=True)
        unknown = sorted(set(trades["kind"].dropna()) - TRADE_KINDS)
        if unknown:
            raise ResultError(
                f"trades table has unknown kind(s) {', '.join(map(str, unknown))}; "
                f"known: {', '.join(sorted(TRADE_KINDS))}"
            )
        # The journal keeps its own order: its running balance is only meaningful in that order.
        journal = _checked(self.journal, JOURNAL_COLUMNS, "journal", sort=False)
        events = _checked(self.events, EVENT_COLUMNS, "events", sort=True)
        for name, value in (("daily", daily), ("trades", trades), ("journal", journal), ("events", events)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "assumptions", dict(self.assumptions))
        object.__setattr__(self, "window_sources", dict(self.window_sources))
        if self.recorded_events is not None:
            object.__setattr__(self, "recorded_events", frozenset(self.recorded_events))

    def __repr__(self) -> str:
        d = self.daily["date"]
        return (f"BacktestResult(name={self.name!r}, {len(d)} days {d.iloc[0].date()}..{d.iloc[-1].date()}, "
                f"{len(self.trades)} trades, {len(self.journal)} journal rows, {len(self.events)} events)")

    @property
    def nav(self) -> pd.Series:
        """Net asset value in dollars, indexed by date."""
        return self.daily.set_index("date")["nav"].astype(float)

    @property
    def returns(self) -> pd.Series:
        """Simple daily returns (decimal) from one close to the next; one fewer than days."""
        return self.nav.pct_change().iloc[1:]

    @property
    def has_futures(self) -> bool:
        """True when the strategy ever held futures (non-zero notional or a known ladder duration)."""
        d = self.daily
        return bool((d["futures_notional"].fillna(0).abs() > 0).any() or d["ladder_duration"].notna().any())

    @property
    def has_shares(self) -> bool:
        """True when the strategy ever held shares."""
        return bool((self.daily["shares_value"].fillna(0).abs() > 0).any())

    @property
    def has_ladder_duration(self) -> bool:
        """True when the strategy reported the duration of its futures (``ladder_duration``)."""
        return bool(self.daily["ladder_duration"].notna().any())

    def records(self, kind: str) -> bool:
        """Whether events of ``kind`` were recorded (so that none of them means zero)."""
        return self.recorded_events is None or kind in self.recorded_events

    def events_of(self, kind: str) -> pd.DataFrame:
        """The events of one kind ("roll", "margin_call", ...)."""
        return self.events[self.events["kind"] == kind]
