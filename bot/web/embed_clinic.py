"""Per-clinic settings of the widget and /embed: name, country, brand colour and a "book / call us" link.

Read once from the YAML file named by PAINBOT_CLINIC (see bot/data/clinic.example.yaml); PAINBOT_CLINIC_*
variables override single values. Anything unusable (a colour white text cannot be read on, a link that is
not http(s) or tel:) is dropped with the reason, so a typo never shows patients a broken chat."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot import yamlfile
from bot.config import DATA_DIR

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
MIN_CONTRAST = 4.5  # WCAG AA for the white text on the brand colour
ENV_FIELDS = ("name", "country", "color", "link_url")


class ClinicError(ValueError):
    """The clinic file is missing or not a mapping."""


@dataclass(frozen=True)
class Clinic:
    name: str = ""
    country: str = ""
    color: str = ""
    link_url: str = ""
    link_label: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def link_label_for(self, lang: str) -> str:
        if not self.link_url:
            return ""
        return self.link_label.get(lang) or next(iter(self.link_label.values()), "")

    def public(self, lang: str) -> dict:
        """What a page may know: no file paths, one language's link text."""
        return {
            "name": self.name,
            "country": self.country,
            "color": self.color,
            "link_url": self.link_url,
            "link_label": self.link_label_for(lang),
        }


def _luminance(color: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(color: str) -> float:
    return 1.05 / (_luminance(color) + 0.05)


def _usable_link(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.scheme in ("http", "https") and bool(parts.netloc)) or (
        parts.scheme == "tel" and bool(re.fullmatch(r"tel:\+?[0-9 ()-]{3,}", url))
    )


def clinic_from(raw: Mapping[str, object]) -> Clinic:
    problems = []
    name = str(raw.get("name") or "").strip()
    country = str(raw.get("country") or "").strip().upper()
    if country and not _COUNTRY.match(country):
        problems.append(f"country {country!r} is not a two-letter code")
        country = ""
    color = str(raw.get("color") or "").strip()
    if color and not (_COLOR.match(color) and contrast_with_white(color) >= MIN_CONTRAST):
        problems.append(f"color {color!r} is not #rrggbb with white text readable on it (>= {MIN_CONTRAST}:1)")
        color = ""
    link_url = str(raw.get("link_url") or "").strip()
    if link_url and not _usable_link(link_url):
        problems.append(f"link_url {link_url!r} is not an http(s) or tel: address")
        link_url = ""
    labels = raw.get("link_label") or {}
    if isinstance(labels, str):
        labels = {"": labels}
    if not isinstance(labels, Mapping):
        problems.append("link_label must be text or a mapping of language to text")
        labels = {}
    return Clinic(name, country, color, link_url, {str(k): str(v) for k, v in labels.items()}, tuple(problems))


def load_clinic(environ: Mapping[str, str] = os.environ) -> Clinic:
    """The clinic of this deployment: PAINBOT_CLINIC's file, then PAINBOT_CLINIC_* values on top."""
    raw: dict[str, object] = {}
    path = environ.get("PAINBOT_CLINIC", "").strip()
    if path:
        try:
            data = yamlfile.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as e:
            raise ClinicError(f"PAINBOT_CLINIC={path}: {e.strerror}") from e
        if not isinstance(data, dict):
            raise ClinicError(f"PAINBOT_CLINIC={path}: expected a mapping (see {DATA_DIR / 'clinic.example.yaml'})")
        raw.update(data)
    for key in ENV_FIELDS:
        value = environ.get(f"PAINBOT_CLINIC_{key.upper()}")
        if value:
            raw[key] = value
    if environ.get("PAINBOT_CLINIC_LINK_LABEL"):
        raw["link_label"] = environ["PAINBOT_CLINIC_LINK_LABEL"]
    return clinic_from(raw)
