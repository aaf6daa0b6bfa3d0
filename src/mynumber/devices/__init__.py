"""The resident's devices: apps of their own that hold the card and talk to the
organisations as clients. PINs and passwords go only to the card, through the device; no
organisation's server ever receives one (``docs/DESIGN.md``)."""
