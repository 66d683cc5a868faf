"""Futures prices of the fast path, packed: each contract's settlements over the days of its own
life, not a dense [contracts x days] matrix that is ~97% NaN (636 contracts x 6,525 days of
2000-2026: 95 MB dense for settle, last settle and duration; about 3 MB packed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ContractPrices:
    """Settlement (points), last settlement on or before the day (points) and modified duration
    (years) of contract ``c`` on day ``t``: stored for ``lo[c] <= t < hi[c]`` at
    ``flat[off[c] + t - lo[c]]``.  Outside that block there is no settlement and no duration; the
    last settlement is NaN before it and ``tail[c]`` after it."""

    lo: np.ndarray         # [C] first day index of the block (first day on or after the first book row)
    hi: np.ndarray         # [C] one past the last day index on or before the last book row
    off: np.ndarray        # [C] offset of the block in the flat arrays
    settle: np.ndarray     # [sum(hi - lo)] settlement on the day, NaN when the book has none
    settle_ff: np.ndarray  # [sum(hi - lo)] last settlement on or before the day (book rows between days count)
    duration: np.ndarray   # [sum(hi - lo)] modified duration on the day, NaN when none
    tail: np.ndarray       # [C] the contract's last settlement, for days after its block

    @classmethod
    def from_book(cls, frame: pd.DataFrame, codes: tuple[str, ...], days: np.ndarray) -> "ContractPrices":
        """Pack the rows of a price-book ``frame`` (columns date, contract, settle, duration) for
        the contracts ``codes`` (index ``c``) over ``days`` (sorted ``datetime64[D]``, index ``t``)."""
        C = len(codes)
        f = frame[frame["contract"].isin(codes)]
        cidx = pd.Categorical(f["contract"], categories=list(codes)).codes.astype(np.int64)
        dates = pd.DatetimeIndex(f["date"]).to_numpy().astype("datetime64[D]")
        settle = f["settle"].to_numpy(dtype=float)
        duration = f["duration"].to_numpy(dtype=float) if "duration" in f.columns else np.full(len(f), np.nan)
        order = np.lexsort((dates, cidx))
        cidx, dates, settle, duration = cidx[order], dates[order], settle[order], duration[order]
        # Last settlement on or before each row, within its contract (NaN settlements skipped).
        row = np.arange(len(settle))
        first_row = np.searchsorted(cidx, np.arange(C), side="left")
        end_row = np.searchsorted(cidx, np.arange(C), side="right")
        has = np.isfinite(settle)
        last_good = np.maximum.accumulate(np.where(has, row, -1))
        group_start = first_row[cidx] if len(cidx) else row
        ff = np.where(last_good >= group_start, settle[np.maximum(last_good, 0)], np.nan)

        lo = np.zeros(C, dtype=np.int64)
        hi = np.zeros(C, dtype=np.int64)
        nonempty = end_row > first_row
        lo[nonempty] = np.searchsorted(days, dates[first_row[nonempty]], side="left")
        hi[nonempty] = np.searchsorted(days, dates[end_row[nonempty] - 1], side="right")
        hi = np.maximum(hi, lo)
        size = hi - lo
        off = np.concatenate(([0], np.cumsum(size)[:-1])).astype(np.int64) if C else np.zeros(0, np.int64)
        tail = np.full(C, np.nan)
        tail[nonempty] = ff[end_row[nonempty] - 1]

        # Every (contract, day) of the blocks, and the book row on or before it.
        total = int(size.sum())
        owner = np.repeat(np.arange(C), size)
        t = np.arange(total) - off[owner] + lo[owner]
        key_rows = cidx.astype("int64") * (1 << 32) + (dates - np.datetime64(0, "D")).astype(np.int64)
        key_days = owner * (1 << 32) + (days[t] - np.datetime64(0, "D")).astype(np.int64)
        pos = np.searchsorted(key_rows, key_days, side="right") - 1
        exact = key_rows[pos] == key_days
        return cls(lo=lo, hi=hi, off=off,
                   settle=np.where(exact, settle[pos], np.nan),
                   settle_ff=ff[pos],
                   duration=np.where(exact, duration[pos], np.nan),
                   tail=tail)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.lo, self.hi, self.off, self.settle, self.settle_ff, self.duration,
                                      self.tail))

    def on_days(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Settlement and duration of contract ``codes[t, j]`` on day ``t`` ([T, J] each; NaN
        where there is none)."""
        t = np.broadcast_to(np.arange(codes.shape[0])[:, None], codes.shape)
        c = np.maximum(codes, 0)
        inside = (t >= self.lo[c]) & (t < self.hi[c])
        at = np.where(inside, self.off[c] + t - self.lo[c], 0)
        if self.settle.size == 0:
            return np.full(codes.shape, np.nan), np.full(codes.shape, np.nan)
        return np.where(inside, self.settle[at], np.nan), np.where(inside, self.duration[at], np.nan)

    def dense(self, n_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The three [C, n_days] matrices (settle, settle_ff, duration), for the numpy reference."""
        C = len(self.lo)
        settle = np.full((C, n_days), np.nan)
        settle_ff = np.full((C, n_days), np.nan)
        duration = np.full((C, n_days), np.nan)
        for c in range(C):
            lo, hi, off = self.lo[c], self.hi[c], self.off[c]
            settle[c, lo:hi] = self.settle[off:off + hi - lo]
            settle_ff[c, lo:hi] = self.settle_ff[off:off + hi - lo]
            duration[c, lo:hi] = self.duration[off:off + hi - lo]
            settle_ff[c, hi:] = self.tail[c]
        return settle, settle_ff, duration
