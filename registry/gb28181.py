"""GB/T 28181 20-digit device codes and GB/T 2260 district codes.

A device code is `DDDDDDDD II TTT N SSSSSS`:
digits 1–8 the district (centre) code, 9–10 the industry, 11–13 the device type,
14 the network, 15–20 a serial number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# GB/T 2260 province-level prefixes (first two digits).
PROVINCES: frozenset[str] = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82",
    }
)  # fmt: skip

# Device types 111–199 (front-end and peripheral devices) and 200–299 (platform).
DEVICE_TYPES: dict[str, str] = {
    "111": "DVR",
    "112": "video server",
    "113": "encoder",
    "114": "decoder",
    "115": "video switching matrix",
    "116": "audio switching matrix",
    "117": "alarm controller",
    "118": "NVR",
    "130": "hybrid recorder",
    "131": "camera",
    "132": "IP camera",
    "133": "display",
    "134": "alarm input",
    "135": "alarm output",
    "136": "audio input",
    "137": "audio output",
    "138": "mobile transmitter",
    "139": "other peripheral",
    "200": "central signalling server",
    "201": "web application server",
    "202": "media distribution server",
    "203": "proxy server",
    "204": "security server",
    "205": "alarm server",
    "206": "database server",
    "207": "GIS server",
    "208": "management server",
    "209": "gateway",
    "210": "media storage server",
    "211": "signalling security gateway",
    "215": "business group",
    "216": "virtual organisation",
}
CAMERA_TYPES: frozenset[str] = frozenset({"131", "132"})

NETWORKS: dict[str, str] = {
    "0": "public security video network",
    "1": "public security video network",
    "2": "public security video network",
    "3": "public security video network",
    "4": "public security video network",
    "5": "public security information network",
    "6": "government network",
    "7": "internet",
    "8": "other",
    "9": "other",
}

_DIGITS_20 = re.compile(r"^\d{20}$")


class InvalidDeviceCode(ValueError):
    """A 20-digit code that is not a valid GB/T 28181 device code; the message says why."""


@dataclass(frozen=True, slots=True)
class DeviceCode:
    code: str
    district: str  # digits 1–8
    industry: str  # digits 9–10
    device_type: str  # digits 11–13
    network: str  # digit 14
    serial: str  # digits 15–20

    @property
    def device_type_name(self) -> str:
        return DEVICE_TYPES[self.device_type]

    @property
    def is_camera(self) -> bool:
        return self.device_type in CAMERA_TYPES

    def district_candidates(self) -> tuple[str, ...]:
        """District codes this device may belong to, most specific first.

        Digits 1–8 are the province, city, county and a two-digit grassroots unit.
        A registry seldom keeps that last level, so the county, city and province
        codes (GB/T 2260, six digits, zero-padded) follow as fallbacks.
        """
        d = self.district
        candidates = [d, d[:6], d[:4] + "00", d[:2] + "0000"]
        return tuple(dict.fromkeys(c for c in candidates if c and not c.endswith("000000")))


def looks_like_device_code(value: str) -> bool:
    return bool(_DIGITS_20.match(value))


def parse_device_code(code: str) -> DeviceCode:
    """Decode a GB/T 28181 device code or raise `InvalidDeviceCode` with the reason."""
    if not _DIGITS_20.match(code):
        raise InvalidDeviceCode(f"device code {code!r} must be exactly 20 digits (got {len(code)})")
    province = code[:2]
    if province not in PROVINCES:
        raise InvalidDeviceCode(
            f"device code {code}: digits 1-2 {province!r} are no GB/T 2260 province"
        )
    if code[2:4] == "00" and code[4:6] != "00":
        raise InvalidDeviceCode(
            f"device code {code}: county digits set without a city (digits 3-4 '00')"
        )
    device_type = code[10:13]
    if device_type not in DEVICE_TYPES:
        raise InvalidDeviceCode(
            f"device code {code}: digits 11-13 {device_type!r} are no known device type "
            "(131/132 camera, 118 NVR, 111 DVR, …)"
        )
    return DeviceCode(
        code=code,
        district=code[:8],
        industry=code[8:10],
        device_type=device_type,
        network=code[13],
        serial=code[14:],
    )


def validate_district_code(code: str) -> str | None:
    """Reason a district code is malformed, or None when it is acceptable.

    GB/T 2260 codes are six digits (province, city, county); township codes add
    three digits (GB/T 10114, nine in all) and village/grid codes three more
    (twelve). Deeper levels are allowed in steps of two or three digits.
    """
    if not code.isdigit():
        return f"district code {code!r} must be digits only"
    if len(code) < 6:
        return f"district code {code!r} must have at least 6 digits (GB/T 2260)"
    if code[:2] not in PROVINCES:
        return f"district code {code}: digits 1-2 {code[:2]!r} are no GB/T 2260 province"
    if len(code) > 24:
        return f"district code {code!r} is longer than 24 digits"
    return None
