"""A platform's error codes as DeliveryErrors, for every platform alike.

Each platform lists the codes no retry can change, by what they are about (a room, a person, a
message that is gone, a size, the call itself); everything else is temporary. Only the code and
a short detail travel on: never an SDK's own text, which carries API URLs and request bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from bot.chat import DeliveryError

PermanentCodes = dict[str, set]


def subject_of(code: object, permanent: PermanentCodes, *, about: str = "room") -> str | None:
    """What a permanent error is about ('room', 'user', 'message', 'size', 'call'); None: it is temporary.

    A direct message goes to a person's id, so "room not found" there means the person (`about="user"`).
    """
    for subject, codes in permanent.items():
        if code in codes:
            return "user" if about == "user" and subject == "room" else subject
    return None


def classify(code: object, permanent: PermanentCodes, *, label: str, about: str = "room",
             retry_after: float | None = None, detail: str = "") -> DeliveryError:
    """The DeliveryError for `code`: permanent with its subject when listed, else temporary."""
    subject = subject_of(code, permanent, about=about)
    if subject is not None:
        return DeliveryError(label, permanent=True, subject=subject, detail=detail)
    return DeliveryError(label, permanent=False, retry_after=retry_after, detail=detail)


def translating(error: type[Exception], convert: Callable[[Exception, str], DeliveryError]
                ) -> Callable[[str], AbstractContextManager[None]]:
    """A context manager factory: `error` raised inside becomes `convert(exc, about)`."""
    @contextmanager
    def translated(about: str = "room") -> Iterator[None]:
        try:
            yield
        except error as exc:
            raise convert(exc, about) from exc
    return translated
