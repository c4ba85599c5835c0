"""Problems said from the catalogue: an error that says itself in any language (the configuration errors of the
command line, the playbook and regimes files, the platforms' settings), and pydantic's own complaints about a file
in the same words."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.text.i18n import catalogue, quoted_zh, text


class Worded(ValueError):
    """An error whose text is a catalogue entry: `said(lang)` in any language; `str()` is the English.

    A ValueError, so a pydantic validator may raise it and the file's loader finds it again in the error's context.
    Values may be other Worded errors (said in the same language), `Listing`s and `Lines`."""

    def __init__(self, key: str, /, **values: Any) -> None:
        self.key, self.values = key, values
        super().__init__(self.said("en"))

    def said(self, lang: str) -> str:
        """The problem in `lang`."""
        return text(lang, self.key, **{name: said(value, lang) for name, value in self.values.items()})


class Shown(str):
    """A value as a file or the environment gave it: its repr in English (`'soon'`, `3`), a string in 「」 in Chinese."""

    raw: Any

    def __new__(cls, value: Any, limit: int = 0) -> Shown:
        text = repr(value)
        made = super().__new__(cls, text if not limit or len(text) <= limit else text[:limit - 1] + "…")
        made.raw = value if not limit or not isinstance(value, str) or len(value) <= limit else value[:limit - 3] + "…"
        return made


def shown(value: Any) -> Shown:
    """`value` to be shown quoted the way the reader's language quotes (see `Shown`)."""
    return Shown(value)


class Listing(list):  # type: ignore[type-arg]
    """Names said one after the other: `a, b` in English, `a、b` in Chinese."""


class Lines(list):  # type: ignore[type-arg]
    """Problems said one per line."""


def said(value: Any, lang: str) -> Any:
    """A value as it reads in `lang`: a Worded error in its words, a listing joined the language's way; an
    error that has no words of its own as its text; anything else as it is."""
    if isinstance(value, Worded):
        return value.said(lang)
    if isinstance(value, Shown):
        return quoted_zh(value.raw) if lang == "zh" and isinstance(value.raw, str) else str(value)
    if isinstance(value, Lines):
        return "\n".join(str(said(v, lang)) for v in value)
    if isinstance(value, Listing):
        return ("、" if lang == "zh" else ", ").join(str(said(v, lang)) for v in value)
    if isinstance(value, BaseException):
        return str(value)
    if isinstance(value, timedelta):  # a span as the language says it ('5m', '5分'), never Python's '0:05:00'
        from bot.text.times import format_duration

        return format_duration(value, lang)
    return value


def from_pydantic(error: Mapping[str, Any]) -> Worded:
    """One of pydantic's errors in the catalogue's words (`problem.pydantic.<type>`), a Worded error a validator
    raised as it is; a kind the catalogue does not know keeps pydantic's English after a word of our own."""
    context = dict(error.get("ctx") or {})
    if isinstance(context.get("error"), Worded):
        return context["error"]
    key = f"problem.pydantic.{error['type']}"
    if key not in catalogue("en"):
        return Worded("problem.pydantic.other", message=str(error["msg"]).removeprefix("Value error, "))
    shown = {k: v if isinstance(v, int | float) else str(v) for k, v in context.items()}
    return Worded(key, value=_shown(error.get("input")), **shown)


def _shown(value: Any) -> str:
    """A value as the file gave it, short enough for one line."""
    return Shown(value, limit=60)


def problems(error: Any) -> Lines:
    """Every problem of a pydantic ValidationError, one a line, each with its place (`phases.3.owner: …`)."""
    found = Lines()
    for each in error.errors():
        where = place(tuple(each["loc"]))
        problem = from_pydantic(each)
        found.append(Worded("problem.at_place", place=where, problem=problem) if where else problem)
    return found


def place(loc: tuple[Any, ...]) -> str:
    """Where in a file a problem is, as pydantic names it (`phases.3.owner`), without its validator steps."""
    return ".".join(str(p) for p in loc if p not in ("function-after", "function-before", "function-plain"))
