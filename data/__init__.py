"""ecore.data: the ground everything stands on. Instrument reference data (the contract table and
key dates, the calendar, prices in 32nds, the roll rule) and market data (loaders, the market
snapshot, Treasury securities and baskets, the yield curve and repo, synthetic futures prices,
the price book, backtrader feeds, the bundled data set and its download)."""
