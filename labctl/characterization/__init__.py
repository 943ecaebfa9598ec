"""Characterization runs of the array: the procedures a lab runs before training on it."""
