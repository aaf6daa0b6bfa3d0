"""The police (a prefecture's 公安委員会): driver's licence records, マイナ免許証."""
