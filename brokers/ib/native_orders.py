"""Orders that go to IB as themselves: stops, trailing stops, Close, brackets and OCO members.

A stop-loss or a take-profit is not a step towards a target position: it waits for a price.  So
these orders are not netted (``broker.py``'s intents); each backtrader order becomes one IB
order of its own type (``order_types.py``), journaled as an intent of its own before it is
sent.  What makes a re-run or a reconnection safe is the journal: an order is *adopted* rather
than sent when an order of ours with the same instrument, side, quantity, type, prices and
time in force is still working at IB (a GTC stop placed yesterday is found working today and
not sent again), and a bracket child or OCA sibling of an adopted order is matched among that
order's children and siblings only.  Each journal entry is adopted once per process, so two
equal orders of one decision are two IB orders.

``NativeOrders`` is a mixin of ``IBBroker``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from zoneinfo import ZoneInfo

import backtrader as bt

from .errors import RequestFailed
from .journal import LIVE, OrderIntent, parse_ref, purpose_of
from .order_types import OrderTerms, UnsupportedOrder, ib_terms, oca_name
from .safety import LimitBreach

log = logging.getLogger(__name__)

__all__ = ["NativeOrders", "is_native"]


def is_native(order) -> bool:
    """True for an order IB must see as itself: any type but Market and Limit, a bracket's
    parent or child (``parent``, ``transmit=False``) and an OCO member."""
    return order.exectype not in (None, bt.Order.Market, bt.Order.Limit) or \
        order.parent is not None or not order.transmit or order.oco is not None


def _signature(intent: OrderIntent) -> tuple:
    terms = OrderTerms.from_text(intent.terms)
    return (intent.instrument, intent.action, round(intent.quantity, 9), intent.order_type,
            intent.limit_price, terms.tif, terms.aux_price, terms.trailing_percent,
            terms.limit_offset, terms.transmit)


class NativeOrders:
    """Sending (or adopting) orders of IB's own types; needs ``IBBroker``'s state."""

    def _submit_native(self, order, info: dict, valid, instrument: str, day):
        try:
            purpose = purpose_of(info.get("intent") or info.get("kind") or "order")
        except ValueError as exc:
            return self._reject(order, str(exc))
        if info.get("spread"):
            return self._reject(order, "a calendar spread is sent as a market or limit order "
                                "only")
        offered = None
        if order.exectype == bt.Order.Close and not self.dry_run:
            try:
                offered = set(self.session.contracts.order_types(self.session.ib, instrument))
            except Exception as exc:  # noqa: BLE001 - the contract could not be qualified
                self.failed.append(order)
                return self._reject(order, f"not sent: {exc}")
        try:
            kind, limit, terms = ib_terms(order, valid, offered, instrument)
        except UnsupportedOrder as exc:
            self.refused.append(str(exc))
            return self._reject(order, str(exc))
        links = {}
        if order.parent is not None:
            parent_refs = self._own_refs(order.parent)
            if not parent_refs:
                # backtrader's rule: the children die with their parent
                return self._cancel_order(order, f"{instrument}: the bracket's parent was not "
                                          "sent to IB; its child is not sent either")
            links["parent_ref"] = parent_refs[0]
        if order.oco is not None:
            # the partner's own order, or (a netted limit that found its order working from
            # an earlier run) the newest working order of ours it stands for
            partner = self._own_refs(order.oco) or sorted(order.oco.info.get("refs", ()))
            groups = [OrderTerms.from_text(i.terms).oca_group
                      for i in (self._intent_of(r) for r in partner) if i is not None]
            group = ([g for g in groups if g] or [""])[-1]
            if not group:
                return self._reject(order, f"{instrument}: its OCO partner (oco=) is not an "
                                    "order working at IB; not sent")
            links.update(oca_group=group, oca_type=1)
        terms = dataclasses.replace(terms, transmit=bool(order.transmit), native=True, **links)
        action = "BUY" if order.size > 0 else "SELL"
        quantity = abs(float(order.size))
        adopted = self._adopt(order, instrument, action, quantity, kind, limit, terms)
        if adopted:
            return adopted
        ref = self._next_ref(day, instrument, purpose)
        if not terms.oca_group and not terms.parent_ref and kind != "MKT":
            terms = dataclasses.replace(terms, oca_group=oca_name(ref), oca_type=1)
        price = limit if limit is not None else terms.aux_price if kind in ("STP", "STP LMT") \
            else self._reference_price(order.data, instrument)
        intent = OrderIntent(ref, day, instrument, action, quantity, kind, limit,
                             notional=quantity * float(price) * self._multiplier(instrument),
                             purpose=purpose, target=None, terms=terms.text())
        order.addinfo(instrument=instrument, purpose=purpose, refs=set(), sent_refs=[])
        # decided now, as if it filled at its trigger or limit price; a bracket's children only
        # reduce what their parent opens (``pretrade``)
        if order.parent is None and self._margin_refused(order, intent, price, day, limit):
            return order
        if self.dry_run:
            self._dry_run(order, intent)
            if order.status == order.Accepted:  # a stop is not in motion: later orders net
                self._moving[instrument] -= intent.signed_quantity  # without it
            return order
        try:
            self.session.submit(intent)
        except LimitBreach as exc:
            self.refused.append(str(exc))
            return self._reject(order, str(exc))
        except (ConnectionError, RequestFailed) as exc:
            self.failed.append(order)
            return self._reject(order, f"not sent: {exc}")
        self.sent_refs.append(ref)
        return self._track(order, ref)

    @staticmethod
    def _own_refs(order) -> list[str]:
        """The orderRefs sent (or, in a dry run, computed) for backtrader ``order``."""
        return list(order.info.get("sent_refs") or []) or \
            ([order.info["dry_ref"]] if order.info.get("dry_ref") else [])

    def _intent_of(self, ref: str):
        """The intent of orderRef ``ref``: the journal's, or a dry run's computed one."""
        entry = self.session.journal.entry(ref)
        if entry is not None:
            return entry.intent
        return next((d.intent for d in self.dry_run_orders if d.intent.order_ref == ref), None)

    def _next_ref(self, day, instrument: str, purpose: str) -> str:
        """The intent's next orderRef; a dry run (which stores nothing) skips the refs it has
        already computed."""
        ref = self.session.journal.next_ref(day, instrument, purpose)
        computed = {d.intent.order_ref for d in self.dry_run_orders}
        n = parse_ref(ref)[3]
        while ref in computed:
            n += 1
            ref = OrderIntent.ref_for(day, instrument, purpose, n)
        return ref

    def _tif(self, ref: str) -> str:
        """The time in force an order of ours was sent with ("GTD 20250320 ..."), "" if none."""
        entry = self.session.journal.entry(ref)
        if entry is None or not entry.intent.terms:
            return ""
        terms = OrderTerms.from_text(entry.intent.terms)
        return f"{terms.tif} {terms.good_till}".strip()

    def _validity_ended(self, order, ref: str) -> bool:
        """True when IB's cancellation of ``ref`` is its validity running out (backtrader's
        Expired): a DAY order, or a GTD one past its ``goodTillDate``, that neither the strategy
        nor the kill switch asked to cancel."""
        if order.info.get("cancel_asked") or self.kill_reason:
            return False
        tif = self._tif(ref).split()
        if not tif or tif[0] not in ("DAY", "GTD"):
            return False
        if tif[0] == "DAY":
            return True
        until = dt.datetime.strptime(" ".join(tif[1:3]), "%Y%m%d %H:%M:%S")
        now = dt.datetime.now(ZoneInfo("America/New_York")).replace(tzinfo=None)
        return until <= now

    def _expire(self, order, reason: str):
        order.addinfo(reason=reason)
        # IB ended it (backtrader's own ``expire`` compares with the bar, which has not moved)
        order.status = order.Expired
        order.executed.dt = order.data.datetime[0]
        self.notifs.append(order.clone())
        return order

    def _track(self, order, ref: str):
        order.addinfo(native=True)
        return self._accepted(order, ref)

    def _adopt(self, order, instrument, action, quantity, kind, limit, terms):
        """The journal's live order equal to this one (not yet adopted in this process), taken
        as this order instead of sending another; None when there is none."""
        if self.dry_run:
            return None
        claimed = self._claimed
        wanted = (instrument, action, round(quantity, 9), kind, limit, terms.tif,
                  terms.aux_price, terms.trailing_percent, terms.limit_offset, terms.transmit)
        for entry in self.session.journal.entries(LIVE, instrument=instrument):
            ref = entry.intent.order_ref
            have = OrderTerms.from_text(entry.intent.terms)
            if ref in claimed or ref in self.sent_refs or _signature(entry.intent) != wanted:
                continue
            if (terms.parent_ref or have.parent_ref) and terms.parent_ref != have.parent_ref:
                continue
            if terms.oca_group and have.oca_group != terms.oca_group:
                continue
            claimed.add(ref)
            log.info("%s: %s %g %s already working at IB as %s; not sent again", instrument,
                     action, quantity, kind, ref)
            order.addinfo(instrument=instrument, purpose=entry.intent.purpose, refs=set(),
                          sent_refs=[], adopted=ref)
            return self._track(order, ref)
        return None

