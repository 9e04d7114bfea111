"""Perception for glasses_stack: turns audio and camera signals into events."""
