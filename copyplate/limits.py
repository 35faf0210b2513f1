"""Limits on untrusted input, checked before the work they bound, in one place."""

from __future__ import annotations

# 8000 x 8000: a larger image (a campaign's, or one a manifest names) is refused before
# it is decoded.
MAX_IMAGE_PIXELS = 64_000_000
MAX_IMAGE_BYTES = 200 * 1024 * 1024
