"""The co-processor link: one serial port to the glasses' MCU (docs/coprocessor-link.md)."""
