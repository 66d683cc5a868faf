"""ecore.data: loaders, synthetic futures prices, backtrader feeds and the bundled data set."""
