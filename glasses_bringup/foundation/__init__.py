"""Foundation: the ROS node base, the event and topic contract, health, audio format, payment payload.

It imports nothing else of the stack; every other layer may import it (test/test_layering.py).
"""
