"""Public endpoints that market data is downloaded from (no keys).

Kept apart from :mod:`.download` so that the command line can show them as defaults without
importing pandas.
"""

FRED_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
YAHOO_URL = "https://query1.finance.yahoo.com/v8/finance/chart"
