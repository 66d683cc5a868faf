"""ecore.brokers: the simulated margin-accounting broker and the Interactive Brokers adapter.

``from ecore.brokers import MarginBroker, CostModel`` (or ``from ecore.brokers.simulated import
MarginBroker``).
"""

from .costs import CostModel
from .simulated import DeliveryWarning, MarginBroker, MarginCall

__all__ = ["MarginBroker", "MarginCall", "CostModel", "DeliveryWarning"]
