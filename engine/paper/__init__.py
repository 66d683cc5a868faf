"""Paper trading against Interactive Brokers: the config file, opening the session, the run
itself, what it did (its summary) and the account's status.  The IB adapter is ``ecore.brokers.ib``."""
