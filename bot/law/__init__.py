"""The legal notification clocks: the regimes (pure engine), their reasons in words, and clocks kept as deadlines. Imports incident/ and below."""
