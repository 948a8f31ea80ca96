"""Demo CMDB (filled in by the portfolio demo, which builds services and their CIs together)."""
