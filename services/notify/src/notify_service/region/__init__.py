"""The region's notification texts: the packaged `templates.json` beside this file, with the keys
a region names in KINERJA_REGION_CONFIG_DIR/notify_templates.json replacing the packaged ones.
Loaded once at start; a template that does not fit the code is refused there, naming its key."""

from __future__ import annotations

import json
from pathlib import Path

from notify_service.domain.messages import FIELDS, WORDS
from notify_service.domain.templates import TemplateError, Templates, parse_templates

PACKAGED = Path(__file__).parent / "templates.json"
OVERRIDE = "notify_templates.json"

__all__ = ["TemplateError", "load_templates"]


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{path}: not JSON ({exc})") from None


def load_templates(config_dir: str | None) -> Templates:
    templates = parse_templates(_read(PACKAGED), FIELDS, WORDS, source=str(PACKAGED))
    override = Path(config_dir) / OVERRIDE if config_dir else None
    if override is not None and override.exists():
        templates = parse_templates(_read(override), FIELDS, WORDS, source=str(override), base=templates)
    return templates
