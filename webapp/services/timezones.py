"""Each study's time zone: times are entered and shown in it, with the zone named.

Times are stored as aware UTC (``webapp.models.utcnow``); this module converts at
the edges. Zones are IANA names (``Asia/Shanghai``), checked against the system's
tz database (Debian's tzdata) through :mod:`zoneinfo`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _

DEFAULT_ZONE = "UTC"
# Offered first in the settings page's list.
COMMON_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
                "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC")


class TimeZoneError(ValueError):
    """An unknown time zone name; the message is shown."""


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def check_zone(name: str) -> str:
    """The zone name if the tz database knows it; TimeZoneError otherwise."""
    name = (name or "").strip()
    if not name or len(name) > 64 or "\\" in name or ".." in name:
        raise TimeZoneError(_("Unknown time zone “%(zone)s”.", zone=name[:64]))
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeZoneError(_("Unknown time zone “%(zone)s”.", zone=name[:64])) from None
    return name


def zone_choices() -> list[str]:
    others = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return list(COMMON_ZONES) + [z for z in others if z not in COMMON_ZONES]


def to_local(value: datetime | None, name: str | None) -> datetime | None:
    """An aware UTC datetime in the zone (aware)."""
    if value is None:
        return None
    return value.astimezone(zone(name))


def to_utc(naive_local: datetime | None, name: str | None) -> datetime | None:
    """A wall-clock time typed in the zone (naive) as aware UTC. A time in a
    daylight-saving gap or fold takes the first occurrence (``fold=0``)."""
    if naive_local is None:
        return None
    if naive_local.tzinfo is not None:
        return naive_local.astimezone(timezone.utc)
    return naive_local.replace(tzinfo=zone(name)).astimezone(timezone.utc)


def offset_label(value: datetime, name: str | None) -> str:
    """"UTC+08:00" for the zone at that instant."""
    local = value.astimezone(zone(name))
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_in(value: datetime | None, name: str | None, *, with_zone: bool = True) -> str:
    """"2026-12-01 18:00 (Asia/Shanghai, UTC+08:00)"."""
    if value is None:
        return "–"
    local = value.astimezone(zone(name))
    text = local.strftime("%Y-%m-%d %H:%M")
    if not with_zone:
        return text
    zone_name = name or DEFAULT_ZONE
    if zone_name == "UTC":
        return f"{text} UTC"
    return f"{text} ({zone_name}, {offset_label(value, zone_name)})"


def zone_label(name: str | None, at: datetime | None = None) -> str:
    """"Asia/Shanghai (UTC+08:00)" — the zone and its offset now (or at ``at``)."""
    name = name or DEFAULT_ZONE
    if name == "UTC":
        return "UTC"
    return f"{name} ({offset_label(at or datetime.now(timezone.utc), name)})"
