"""One backtest: the runner (data -> price book -> feeds -> margin broker -> strategy ->
results), the strategy's instruments, what it records, stress scenarios and the data it needs."""
