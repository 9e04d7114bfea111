"""Voice perception cores (no rclpy): VAD, wake word, speech recognition, speech synthesis."""
