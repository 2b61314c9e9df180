"""The texts of the notifications as region data: `string.Template` texts (`$name` or `${name}`,
`$$` for a dollar sign), one title and one body per template key, and the words the texts insert
(e.g. the decision). Pure: parsing and checking only; `notify_service.region` reads the files.

A template set is checked whole against what the code supplies (`fields`: template key → the
placeholders the code fills in; `words`: the word keys): every key present, no unknown key, and
each template's title and body together naming exactly the placeholders supplied for it, no fewer
(a text that drops the reason or the deadline is refused) and no other (it would never be filled).
The error names the template key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template


class TemplateError(ValueError):
    """A template set that does not fit the code; the message names the template key."""


@dataclass(frozen=True)
class Text:
    title: Template
    body: Template


@dataclass(frozen=True)
class Templates:
    texts: Mapping[str, Text]
    words: Mapping[str, str]

    def render(self, key: str, **values: object) -> tuple[str, str]:
        """(title, body) of template `key` with `values` filled in (all of them are supplied)."""
        text = self.texts[key]
        strings = {k: str(v) for k, v in values.items()}
        return text.title.substitute(strings), text.body.substitute(strings)

    def word(self, key: str) -> str:
        return self.words[key]


def _identifiers(template: Template, where: str) -> set[str]:
    if not template.is_valid():
        raise TemplateError(f"{where}: not a valid template (a lone '$'? write '$$' for a dollar sign)")
    return set(template.get_identifiers())


def parse_templates(raw: Mapping, fields: Mapping[str, frozenset[str]], words: frozenset[str], *,
                    source: str = "templates", base: "Templates | None" = None) -> Templates:
    """Check `raw` ({"templates": {key: {"title", "body"}}, "words": {key: text}}) against what the code
    supplies. With `base`, `raw` may name only some keys: those replace the base's (a region's override)."""
    if not isinstance(raw, Mapping):
        raise TemplateError(f"{source}: expected an object with 'templates' and 'words'")
    unknown_top = set(raw) - {"templates", "words", "_comment"}
    if unknown_top:
        raise TemplateError(f"{source}: unknown section(s) {sorted(unknown_top)}")
    texts: dict[str, Text] = dict(base.texts) if base else {}
    raw_texts = raw.get("templates", {})
    if not isinstance(raw_texts, Mapping):
        raise TemplateError(f"{source}: 'templates' must be an object")
    for key, entry in raw_texts.items():
        where = f"{source}: templates[{key!r}]"
        if key not in fields:
            raise TemplateError(f"{where}: unknown template key (known: {', '.join(sorted(fields))})")
        if not isinstance(entry, Mapping) or set(entry) - {"title", "body"} or \
                not all(isinstance(entry.get(p), str) and entry.get(p).strip() for p in ("title", "body")):
            raise TemplateError(f"{where}: needs a non-empty 'title' and 'body' (text), nothing else")
        title, body = Template(entry["title"]), Template(entry["body"])
        named = _identifiers(title, f"{where}.title") | _identifiers(body, f"{where}.body")
        if missing := fields[key] - named:
            raise TemplateError(f"{where}: does not use {', '.join('$' + m for m in sorted(missing))}")
        if extra := named - fields[key]:
            raise TemplateError(f"{where}: names {', '.join('$' + e for e in sorted(extra))}, which the code "
                                f"does not supply (it supplies {', '.join('$' + f for f in sorted(fields[key]))})")
        texts[key] = Text(title, body)
    if missing_keys := set(fields) - set(texts):
        raise TemplateError(f"{source}: templates[{sorted(missing_keys)[0]!r}] is missing")

    all_words: dict[str, str] = dict(base.words) if base else {}
    raw_words = raw.get("words", {})
    if not isinstance(raw_words, Mapping):
        raise TemplateError(f"{source}: 'words' must be an object")
    for key, text in raw_words.items():
        if key not in words:
            raise TemplateError(f"{source}: words[{key!r}]: unknown word key (known: {', '.join(sorted(words))})")
        if not isinstance(text, str) or not text.strip():
            raise TemplateError(f"{source}: words[{key!r}]: needs a non-empty text")
        all_words[key] = text
    if missing_words := words - set(all_words):
        raise TemplateError(f"{source}: words[{sorted(missing_words)[0]!r}] is missing")
    return Templates(texts, all_words)
