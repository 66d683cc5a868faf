"""backtrader's commission schemes (``setcommission``, ``addcommissioninfo``) on the margin broker.

A ``CommInfoBase`` set for a data name (or for all, ``name=None``) decides the commission of that
data's fills exactly as backtrader's ``BackBroker`` computes it: ``COMM_PERC`` charges
``abs(size) x commission x price`` (``percabs=False``: ``commission`` in percent), ``COMM_FIXED``
``abs(size) x commission`` (per share, or per contract for futures); a subclass's own
``_getcommission`` is honoured.  Without one, ecore's :class:`~.costs.CostModel` charges.

Money other than the commission stays ecore's: futures margin comes from the dated schedule and
the multiplier from the contract table, so a CommInfo whose ``mult`` or ``margin`` contradicts
them for a futures data is refused when set, naming both values (:func:`check_futures`).  Credit
interest (``interest``) and ``leverage`` other than 1 are not modelled for shares: refused too
(ecore charges a short's borrow fee under :mod:`.short_sales`; leverage is margin).
"""

from __future__ import annotations

from backtrader.comminfo import CommInfoBase

from ..data.contracts import root_of_name, spec


class CommissionError(ValueError):
    """A commission scheme the margin broker cannot honour; the message names the call and values."""


def check(call: str, comminfo: CommInfoBase, name: str | None, margin_of=None, shares: bool = False) -> None:
    """Refuse a scheme the broker cannot honour for ``name`` (see the module docstring).

    ``margin_of(root) -> (dollars, day)`` gives ecore's initial margin of a futures root;
    ``shares``: the default scheme (``name`` None) will apply to share feeds."""
    p = comminfo.p
    if not isinstance(comminfo, CommInfoBase):
        raise CommissionError(f"{call}: expected a backtrader CommInfoBase, got {type(comminfo).__name__}")
    if getattr(p, "interest", 0.0):
        raise CommissionError(f"{call}(interest={p.interest!r}): credit interest is not modelled by "
                              "MarginBroker; short sales pay the borrow fee of its short-sale rules")
    if getattr(p, "leverage", 1.0) != 1.0:
        raise CommissionError(f"{call}(leverage={p.leverage!r}): MarginBroker finances positions with "
                              "margin (futures) or cash; leverage is not modelled")
    root = root_of_name(name)
    if root is None:
        if name is not None or shares:
            check_shares(call, comminfo, name)
        return
    check_futures(call, comminfo, root, margin_of)


def check_shares(call: str, comminfo: CommInfoBase, name: str | None) -> None:
    """A share scheme must be stock-like with a multiplier of 1: ecore's futures are its own
    contracts (ZN, ZB...), not a share feed traded on margin."""
    p = comminfo.p
    if not comminfo.stocklike:
        raise CommissionError(f"{call}(margin={p.margin!r}, mult={p.mult!r}) for {name or 'the shares'}: a "
                              "futures-like scheme on shares is not modelled; trade a futures root (ZN, ZB...) "
                              "or pass stocklike=True")
    if p.mult not in (None, 1.0):
        raise CommissionError(f"{call}(mult={p.mult!r}) for {name or 'the shares'}: a share's multiplier is 1")


def check_futures(call: str, comminfo: CommInfoBase, root: str, margin_of=None) -> None:
    """A futures scheme must agree with the contract table (``mult``) and the margin schedule."""
    p = comminfo.p
    mult = spec(root).multiplier
    if p.mult not in (None, 1.0) and abs(float(p.mult) - mult) > 1e-9:
        raise CommissionError(f"{call}(mult={p.mult:g}) for {root} contradicts the contract "
                              f"specification: {root} multiplier is {mult:g}")
    margin = p.margin
    if margin not in (None, 0, 1.0) and not p.automargin:
        if margin_of is None:
            raise CommissionError(f"{call}(margin={margin:g}) for {root}: ecore takes futures margin "
                                  "from its dated margin schedule, not a fixed figure")
        ours, day = margin_of(root)
        if ours != ours:  # NaN: the schedule and the history cannot say on that day
            raise CommissionError(f"{call}(margin={margin:g}) for {root}: ecore's margin schedule has no "
                                  f"figure for {root} on {day} to compare with; leave margin out")
        if abs(float(margin) - ours) > 0.005:
            raise CommissionError(f"{call}(margin={margin:g}) for {root} contradicts ecore's margin "
                                  f"schedule: {root} initial margin is ${ours:,.2f} on {day}")


class Commissions:
    """The schemes set on one broker: ``{data name or None: CommInfoBase}``."""

    def __init__(self):
        self.schemes: dict = {}

    def set(self, name, comminfo) -> None:
        self.schemes[name] = comminfo

    def scheme(self, name):
        """The scheme for a data name, the default one (``None``), or None when none was set."""
        if name in self.schemes:
            return self.schemes[name]
        return self.schemes.get(None)

    def commission(self, data, size: float, price: float) -> float | None:
        """Dollars of commission for a fill, or None to let ecore's CostModel charge."""
        ci = self.scheme(getattr(data, "_name", None))
        if ci is None:
            return None
        return float(ci.getcommission(size, price))
