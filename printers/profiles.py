"""Printer profiles: what python-escpos knows of a model, as this package needs it."""

from __future__ import annotations


def profile_width(profile: str) -> int:
    """Dots across the paper for a python-escpos profile: 384 (58 mm) or 576 (80 mm)."""
    from escpos.capabilities import get_profile

    try:
        data = get_profile(profile).profile_data
    except Exception:  # noqa: BLE001 - an unknown profile name: assume the common 80 mm
        return 576
    pixels = data.get("media", {}).get("width", {}).get("pixels")
    return 384 if isinstance(pixels, int) and pixels <= 384 else 576


def known_profile(profile: str) -> bool:
    """Whether python-escpos knows a printer model by this profile name."""
    from escpos.capabilities import get_profile

    try:
        get_profile(profile)
    except Exception:  # noqa: BLE001 - the library raises its own error for an unknown name
        return False
    return True
