"""What a run produced and how it is shown: the result tables, metrics and return statistics,
report.html and its charts, the terminal summary, and output folders written whole or not at all."""
