"""Drivers: sensor cores and nodes, power, the co-processor link, the simulator and speech output.

They import only the foundation (test/test_layering.py).
"""
