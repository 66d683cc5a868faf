"""Orders the broker refused, counted by reason: the terminal line, and a section of report.html.

A run's ``events`` hold one ``rejection`` row per refused order; the recorder puts the refusal's
category (``ecore.brokers.refusals``: margin, cash, short sale, order type...) in a ``reason``
column.  Nothing refused is left to a file alone: ``ecore backtest`` prints
:func:`rejection_line` ("12 orders rejected: margin 10, short sale 2"), the summary table has a
Rejections row, report.html a section, and a sweep's results a ``rejections`` column.
"""

from __future__ import annotations

import collections
import html

from .results import BacktestResult

UNSPECIFIED = "other"


def rejection_counts(result: BacktestResult) -> dict[str, int]:
    """``{reason: orders}`` of the run's refused orders, largest first (then by name)."""
    rows = result.events_of("rejection")
    if rows.empty:
        return {}
    if "reason" in rows.columns:
        reasons = rows["reason"].fillna(UNSPECIFIED).astype(str).replace("", UNSPECIFIED)
    else:
        reasons = [UNSPECIFIED] * len(rows)
    counts = collections.Counter(reasons)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def rejection_line(result: BacktestResult) -> str | None:
    """``"12 orders rejected: margin 10, short sale 2"`` for ``result``, or None when none was."""
    counts = rejection_counts(result)
    if not counts:
        return None
    n = sum(counts.values())
    parts = ", ".join(f"{reason} {k}" for reason, k in counts.items())
    return f"{result.name}: {n} order{'s' if n != 1 else ''} rejected: {parts}"


def rejections_html(result: BacktestResult, limit: int = 200) -> str:
    """A section of report.html: the refused orders by reason, then each one (the first ``limit``)."""
    e = html.escape
    counts = rejection_counts(result)
    parts = ['<section id="rejections"><h2>Refused orders</h2>']
    if not counts:
        parts += ['<p class="note">The broker refused no order.</p>', "</section>"]
        return "\n".join(parts)
    n = sum(counts.values())
    parts.append(f'<p class="note">{n} order{"s" if n != 1 else ""} refused by the broker, by reason.</p>')
    parts.append("<table><thead><tr><th>reason</th><th>orders</th></tr></thead><tbody>")
    parts += [f"<tr><td>{e(r)}</td><td>{k}</td></tr>" for r, k in counts.items()]
    parts.append("</tbody></table>")
    rows = result.events_of("rejection")
    parts.append("<table><thead><tr><th>date</th><th>reason</th><th>order</th></tr></thead><tbody>")
    for _, row in rows.head(limit).iterrows():
        reason = row.get("reason", UNSPECIFIED) if "reason" in rows.columns else UNSPECIFIED
        reason = reason if isinstance(reason, str) and reason else UNSPECIFIED
        parts.append(f"<tr><td>{row['date']:%Y-%m-%d}</td><td>{e(reason)}</td><td>{e(str(row['detail']))}</td></tr>")
    parts.append("</tbody></table>")
    if len(rows) > limit:
        parts.append(f'<p class="note">... and {len(rows) - limit} more in the events of this run.</p>')
    parts.append("</section>")
    return "\n".join(parts)
