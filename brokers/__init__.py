"""ecore.brokers: the simulated margin-accounting broker and the Interactive Brokers adapter."""
