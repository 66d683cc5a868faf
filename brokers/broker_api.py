"""backtrader's broker API on :class:`~.simulated.MarginBroker`: honoured, or refused at the call.

Honoured (as ``BackBroker`` does them): ``setcash``/``set_cash``, ``setcommission``,
``addcommissioninfo``, ``getcommissioninfo``, ``set_coc``, ``set_coo`` (``Cerebro(cheat_on_open=
True)``), ``set_slippage_perc``, ``set_slippage_fixed``, ``set_checksubmit``, ``set_fundmode``,
``set_fundstartval``, ``get_fundmode``, ``get_fundvalue``, ``get_fundshares``, ``set_shortcash(True)``.

Refused with :class:`UnsupportedBrokerCall` naming the method and why: ``set_int2pnl(True)``,
``set_shortcash(False)``, ``set_filler`` (volume fillers), ``set_eosbar(True)``,
``add_order_history``, ``set_fund_history``, ``get_value(lever=True)``.  ``set_int2pnl(False)``,
``set_filler(None)`` and ``set_eosbar(False)`` are what the broker does anyway and pass.
"""

from __future__ import annotations

import datetime as dt

from backtrader.comminfo import CommInfoBase

from .commission import CommissionError, check
from .execution import Slippage
from .fund_mode import FundShares
from .orders import FuturesCommInfo, data_kind, root_of_data, share_comminfo
from ..data.contracts import root_of_name, spec


class UnsupportedBrokerCall(NotImplementedError):
    """A backtrader broker method MarginBroker cannot honour; the message names it."""


def _refuse(method: str, why: str):
    raise UnsupportedBrokerCall(f"MarginBroker.{method}: {why}")


class BrokerAPI:
    """Mixin of :class:`~.simulated.MarginBroker` (needs ``_account``, ``_execution``, ``_fund``,
    ``_running`` and ``p``)."""

    # ------------------------------------------------------------------ cash ----------------------
    def set_cash(self, cash):
        """Starting cash in dollars (before the run; ``add_cash`` during it)."""
        if self._running:
            _refuse("set_cash", "called during the run: use add_cash (a journaled deposit)")
        cash = float(cash)
        self.startingcash = self.p.cash = cash
        self._reset()

    setcash = set_cash

    # ------------------------------------------------------------------ commissions ---------------
    def setcommission(self, commission=0.0, margin=None, mult=1.0, commtype=None, percabs=True, stocklike=False,
                      interest=0.0, interest_long=False, leverage=1.0, automargin=False, name=None):
        """backtrader's ``setcommission``: commissions charged as its ``CommInfoBase`` computes them
        (see :mod:`.commission`; ``margin``/``mult`` must agree with ecore's futures data)."""
        comm = CommInfoBase(commission=commission, margin=margin, mult=mult, commtype=commtype, stocklike=stocklike,
                            percabs=percabs, interest=interest, interest_long=interest_long, leverage=leverage,
                            automargin=automargin)
        self._set_comminfo("setcommission", comm, name)

    def addcommissioninfo(self, comminfo, name=None):
        """backtrader's ``addcommissioninfo`` (a ``CommInfoBase`` for ``name``, or for all)."""
        self._set_comminfo("addcommissioninfo", comminfo, name)

    def _set_comminfo(self, call: str, comminfo, name):
        try:
            check(call, comminfo, name, self._margin_of)
            if name is None:  # the default applies to every feed: check each one the run has
                datas = getattr(getattr(self, "cerebro", None), "datas", []) or []
                roots = {root_of_name(getattr(d, "_name", None)) for d in datas}
                for root in roots - {None}:
                    check(call, comminfo, root, self._margin_of)
                if None in roots:
                    check(call, comminfo, None, self._margin_of, shares=True)
        except CommissionError as exc:
            raise UnsupportedBrokerCall(str(exc)) from None
        self.comminfo[name] = comminfo
        self._execution.commissions.set(name, comminfo)

    def _check_schemes(self):
        """At the start of a run, the schemes set before the feeds were added meet them."""
        for name, comminfo in list(self._execution.commissions.schemes.items()):
            self._set_comminfo("setcommission" if type(comminfo) is CommInfoBase else "addcommissioninfo",
                               comminfo, name)

    def _margin_of(self, root: str):
        """(initial margin in dollars, ISO day) of one ``root`` contract on the run's current day
        (before the run: today's date); NaN when the model cannot say."""
        day = self._today or dt.date.today()
        try:
            return self._account.model.initial(root, day), day.isoformat()
        except Exception:  # noqa: BLE001 - no schedule row or history: compare with nothing
            return float("nan"), day.isoformat()

    def getcommissioninfo(self, data):
        """The scheme backtrader's sizers use: the one set for the data (shares), else ecore's."""
        if data_kind(data) == "share":
            ci = self._execution.commissions.scheme(getattr(data, "_name", None))
            return ci if ci is not None else share_comminfo()
        return FuturesCommInfo(mult=spec(root_of_data(data)).multiplier)

    # ------------------------------------------------------------------ execution -----------------
    def set_coc(self, coc):
        """Cheat-on-close: market orders fill at the close of the bar they were created on (shares)."""
        self.p.coc = self._execution.coc = bool(coc)

    def set_coo(self, coo):
        """Cheat-on-open: market orders from ``next_open`` fill at that bar's open (shares)."""
        self.p.coo = self._execution.coo = bool(coo)

    def set_slippage_perc(self, perc, slip_open=True, slip_limit=True, slip_match=True, slip_out=False):
        """Slippage as a fraction of the price (0.01 = 1%), backtrader's rules; replaces the
        CostModel's slippage."""
        self._execution.slippage = Slippage(float(perc), 0.0, slip_open, slip_limit, slip_match, slip_out)

    def set_slippage_fixed(self, fixed, slip_open=True, slip_limit=True, slip_match=True, slip_out=False):
        """Slippage in price units (points, dollars a share), backtrader's rules."""
        self._execution.slippage = Slippage(0.0, float(fixed), slip_open, slip_limit, slip_match, slip_out)

    def set_checksubmit(self, checksubmit):
        """Reserve cash and margin when orders are submitted (:mod:`.submission_check`)."""
        self.p.checksubmit = bool(checksubmit)

    # ------------------------------------------------------------------ fund mode -----------------
    def set_fundmode(self, fundmode, fundstartval=None):
        """Fund mode: analyzers read the value of a fund share (:mod:`.fund_mode`)."""
        self.p.fundmode = bool(fundmode)
        if fundstartval is not None:
            self.set_fundstartval(fundstartval)

    def get_fundmode(self):
        return self.p.fundmode

    fundmode = property(get_fundmode, set_fundmode)

    def set_fundstartval(self, fundstartval):
        """Value of one fund share at the start (default 100)."""
        if self._running:
            _refuse("set_fundstartval", "called during the run")
        self._fund = FundShares(self.startingcash, fundstartval)
        self.p.fundstartval = float(fundstartval)

    def get_fundshares(self):
        return self._fund.shares

    fundshares = property(get_fundshares)

    def get_fundvalue(self):
        return self._fund.value

    fundvalue = property(get_fundvalue)

    # ------------------------------------------------------------------ refused -------------------
    def set_shortcash(self, shortcash):
        if not shortcash:
            _refuse("set_shortcash(False)", "a short sale's proceeds are cash held as collateral and the short "
                    "is valued at market (backtrader's shortcash=True); the other convention is not modelled")

    def set_int2pnl(self, int2pnl):
        if int2pnl:
            _refuse("set_int2pnl(True)", "credit interest is not modelled; short sales pay a borrow fee, "
                    "journaled apart from trade P&L")

    def set_filler(self, filler):
        if filler is not None:
            _refuse("set_filler", "volume fillers (partial fills) are not modelled: orders fill whole")

    def set_eosbar(self, eosbar):
        if eosbar:
            _refuse("set_eosbar(True)", "Close orders fill at the close of the next bar")

    seteosbar = set_eosbar

    def add_order_history(self, orders, notify=True):
        _refuse("add_order_history", "replaying an order history is not supported")

    def set_fund_history(self, fund):
        _refuse("set_fund_history", "a fund history replaces the broker's accounting and is not supported")

    def get_leverage(self):
        return 1.0
