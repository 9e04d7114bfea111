"""Vision cores (no rclpy): codes and payments, OCR and prices, product recognition, frame scheduling.

The nodes in glasses_perception/nodes/ and the ``glasses scan`` CLI are thin
wrappers around these modules.
"""
