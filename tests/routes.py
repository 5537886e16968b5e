"""Every URL pattern of the portal, from the URL resolver: the tests that must cover every page or
route (the access matrix, the production-mode stage) walk this list, so a new URL is in them
without a change there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class UrlEntry:
    name: str  # namespaced ("dashboard:citizen"); "<namespace>:None" for an unnamed pattern
    pattern: str  # the whole pattern, regex anchors removed ("dashboard/citizens/<int:pk>/")
    kwargs: tuple[str, ...]  # its parameters, sorted
    callback: Callable


def url_entries() -> list[UrlEntry]:
    """Every pattern, in resolver order (a name routed twice appears twice)."""

    def walk(patterns, prefix: str, namespace: str | None) -> Iterator[UrlEntry]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace
                ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
                continue
            assert isinstance(entry, URLPattern)
            name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
            kwargs = tuple(sorted(entry.pattern.regex.groupindex))
            pattern = (prefix + str(entry.pattern)).replace("^", "").replace("$", "")
            yield UrlEntry(name, pattern, kwargs, entry.callback)

    return list(walk(get_resolver().url_patterns, "", None))
