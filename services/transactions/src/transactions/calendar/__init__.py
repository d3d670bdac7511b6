"""The trading calendar: chinese-calendar plus the holiday notices a trading administrator enters."""
