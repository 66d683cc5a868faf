"""Interactive Brokers paper trading: contracts, journal, safety, session, broker, feeds, and a
simulated gateway to rehearse against.

* ``client``: picks ``ib_async`` (preferred) or ``ib_insync``;
* ``errors``: what IB's error codes mean, and the failures ``ecore paper`` stops on;
* ``account``: an account's values in dollars, whatever its base currency;
* ``contracts``: our instrument names → qualified IB contracts, cross-checked with our table;
* ``journal``: SQLite order journal (intents before sending, executions by execId);
* ``safety``: order/day limits and the kill switch;
* ``session``: ``IBSession``, one connection with the journal, made of the four parts below;
* ``connection``: settings (paper ports and ``DU`` accounts only), connecting, reconnecting;
* ``picture``: the complete picture before any order; positions, working orders, account values;
* ``reconcile``: the journal aligned with IB's picture after each (re)connection;
* ``orders``: submitting, reducing and cancelling orders, what-if margin, the events IB reports;
* ``broker``: ``IBBroker``, the backtrader broker; ``feed``: ``IBDailyFeed``, live daily bars;
  ``root_feed``: ``IBRootFeed``, one live feed per futures root;
* ``simulator``: ``FakeGateway``, a TWS / IB Gateway on 127.0.0.1 speaking the real socket
  protocol, with IB's faults on demand.
"""
