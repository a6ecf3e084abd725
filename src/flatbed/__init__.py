"""flatbed: plan truck-deployable modular AI data centers for edge inference."""

__version__ = "0.1.0"
