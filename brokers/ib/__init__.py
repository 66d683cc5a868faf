"""Interactive Brokers paper trading: contracts, journal, safety, session, broker and feed.

* ``client``: picks ``ib_async`` (preferred) or ``ib_insync``;
* ``contracts``: our instrument names → qualified IB contracts, cross-checked with our table;
* ``journal``: SQLite order journal (intents before sending, executions by execId);
* ``safety``: order/day limits and the kill switch;
* ``session``: connection, account check (paper ``DU`` accounts only), reconciliation, events;
* ``broker``: ``IBBroker``, the backtrader broker; ``feed``: ``IBDailyFeed``, live daily bars.
"""
