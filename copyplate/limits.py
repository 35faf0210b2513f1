"""Limits on untrusted input, checked before the work they bound, in one place."""

from __future__ import annotations

# 8000 x 8000: a larger image (a campaign's, or one a manifest names) is refused before
# it is decoded.
MAX_IMAGE_PIXELS = 64_000_000
MAX_IMAGE_BYTES = 200 * 1024 * 1024
# Raster formats an image input may be in; anything else (EPS, which Pillow hands to
# Ghostscript, PDF, ICO, formats nobody exports assets in) is refused before decoding.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "BMP", "GIF")
# An image smaller than this on a side holds no legible copy (and trips OpenCV/Tesseract).
MIN_IMAGE_SIDE = 8
# A font file a manifest names; real fonts (Noto CJK collections included) are below this.
MAX_FONT_BYTES = 64 * 1024 * 1024
# Regions in one manifest or campaign. Verifying costs about 50 ms a region (OCR, shapes),
# and a real layout has a handful; 100 keeps one manifest under about 5 s of work.
MAX_REGIONS = 100
# A certificate chain or key file (--sign-cert, --sign-key): real chains are a few KB.
MAX_PEM_BYTES = 1024 * 1024
# How long `--ray-address HOST:PORT` may take to accept a connection before the run is
# refused (Ray itself would wait far longer on an address where nothing listens).
RAY_CONNECT_TIMEOUT_S = 10.0
