"""ecore.brokers: money. The simulated margin-accounting broker (one module per rule, composed by
:class:`~.simulated.MarginBroker`), the margin model, costs, the cash journal, and the
Interactive Brokers adapter (:mod:`.ib`).

``from ecore.brokers import MarginBroker, CostModel`` (or ``from ecore.brokers.simulated import
MarginBroker``).
"""

from .costs import CostModel
from .delivery_guard import DeliveryWarning
from .margin_calls import MarginCall
from .simulated import MarginBroker

__all__ = ["MarginBroker", "MarginCall", "CostModel", "DeliveryWarning"]
