"""A health insurer (保険者): eligibility — insurer number, symbol and number, validity."""
