"""A tax office (税務署): income per year from filings; answers linkage requests for it."""
