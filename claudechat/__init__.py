"""claudechat: a terminal chat client for Claude models.

Kept free of imports so that `claudechat --version` starts in a few milliseconds.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
