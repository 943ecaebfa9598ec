"""Figures re-made from archives (PNG, matplotlib Agg)."""
