"""Reading every page of a list: OData ``__next`` links (Exact) and ``$skip``/``$top`` (SnelStart).

Both pagers take a *fetch* function (``ApiClient.get_json`` fits) and yield one page at a
time, so a caller can stop early and memory stays flat. Both refuse to loop forever: a next
link seen before, a page identical to the one before it, or more than ``max_pages`` pages
raise a :class:`~finlink.BackendError` that says what went wrong.

- Exact answers ``{"d": {"results": [...], "__next": "<url>"}}`` and leaves ``__next`` out on
  the last page; the link is followed verbatim, it carries the ``$skiptoken``
  (exact-online.md §4.1, §4.2). Some answers are ``{"d": [...]}`` and a single entity is
  ``{"d": {...}}`` (§4.1); both are accepted.
- SnelStart has no next link and no count: ask with ``$skip``/``$top`` (at most 500) and stop
  after the first page that is not full (snelstart.md §2.2, §5 quirk 13).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from finlink._errors import BackendError

__all__ = [
    "PageFetcher",
    "iter_odata",
    "iter_odata_pages",
    "iter_skip_top",
    "iter_skip_top_pages",
    "odata_page",
]

#: Fetch one page: ``(url, query parameters or None) -> decoded JSON``.
PageFetcher = Callable[[str, Mapping[str, str] | None], Any]

#: Pages a pager reads before it gives up (Exact's 60-row pages: 60,000 rows).
DEFAULT_MAX_PAGES = 1000


def _path(url: str) -> str:
    # Errors name the path only: query strings may carry a SnelStart subscription key.
    return urlsplit(url).path or url


def odata_page(body: object) -> tuple[list[Any], str | None]:
    """Split an OData v2 answer into its rows and its ``__next`` link.

    Accepts ``{"d": {"results": [...], "__next": url}}``, ``{"d": [...]}`` and a single
    entity ``{"d": {...}}`` (a list of one).

    Raises:
        BackendError: When the body has none of these shapes.
    """
    data = body.get("d") if isinstance(body, dict) else None
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict):
        results = data.get("results")
        if isinstance(results, list):
            next_link = data.get("__next")
            return results, next_link if isinstance(next_link, str) and next_link else None
        return [data], None
    raise BackendError("the answer is not an OData page: no 'd' object or list")


def iter_odata_pages(
    fetch: PageFetcher,
    url: str,
    params: Mapping[str, str] | None = None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[list[Any]]:
    """Yield the rows of every page, following ``__next`` until there is none.

    Args:
        fetch: Gets one page as decoded JSON.
        url: The first page's URL.
        params: Query parameters for the first page only (a next link carries its own).
        max_pages: Raise rather than read more pages than this.

    Raises:
        BackendError: On a body that is not an OData page, a next link seen before, a page
            identical to the previous one, or more than ``max_pages`` pages. Whatever
            ``fetch`` raises passes through.
    """
    seen = {url}
    previous: list[Any] | None = None
    next_url: str | None = url
    next_params = params
    pages = 0
    while next_url is not None:
        if pages >= max_pages:
            raise BackendError(f"paging {_path(url)}: more than {max_pages} pages, stopped")
        rows, link = odata_page(fetch(next_url, next_params))
        pages += 1
        if rows and rows == previous:
            raise BackendError(
                f"paging {_path(url)}: page {pages} repeats page {pages - 1}; "
                "the server ignores the skip token"
            )
        yield rows
        if link is not None and link in seen:
            raise BackendError(f"paging {_path(url)}: page {pages} links back to an earlier page")
        if link is not None:
            seen.add(link)
        previous, next_url, next_params = rows, link, None


def iter_odata(
    fetch: PageFetcher,
    url: str,
    params: Mapping[str, str] | None = None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[Any]:
    """Yield every row of every page; see :func:`iter_odata_pages` for what it raises."""
    for page in iter_odata_pages(fetch, url, params, max_pages=max_pages):
        yield from page


def _skip_top_rows(body: object) -> list[Any]:
    if isinstance(body, list):
        return body
    # An OData v3/v4 envelope, in case an endpoint wraps its list.
    value = body.get("value") if isinstance(body, dict) else None
    if isinstance(value, list):
        return value
    raise BackendError("the answer is not a list page")


def iter_skip_top_pages(
    fetch: PageFetcher,
    url: str,
    params: Mapping[str, str] | None = None,
    *,
    page_size: int = 500,
    max_pages: int = DEFAULT_MAX_PAGES,
    skip_param: str = "$skip",
    top_param: str = "$top",
) -> Iterator[list[Any]]:
    """Yield pages asked for with ``$skip``/``$top`` until one comes back short.

    Args:
        fetch: Gets one page as decoded JSON (a list, or ``{"value": [...]}``).
        url: The list's URL.
        params: Other query parameters (``$filter``, ``$select``), sent with every page.
        page_size: Rows per page, the ``$top``: SnelStart allows 500 on most lists, 25 on
            ``/artikelen`` (snelstart.md §2.2).
        max_pages: Raise rather than read more pages than this.
        skip_param: The name of the skip parameter.
        top_param: The name of the top parameter.

    Raises:
        ValueError: On a ``page_size`` below 1.
        BackendError: On a body that is not a list, a full page identical to the previous one
            (the server ignores ``$skip``), or more than ``max_pages`` pages.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    previous: list[Any] | None = None
    skip = 0
    for number in range(1, max_pages + 1):
        query = {**(params or {}), skip_param: str(skip), top_param: str(page_size)}
        rows = _skip_top_rows(fetch(url, query))
        if rows and rows == previous:
            raise BackendError(
                f"paging {_path(url)}: page {number} repeats page {number - 1}; "
                f"the server ignores {skip_param}"
            )
        yield rows
        if len(rows) < page_size:
            return
        previous, skip = rows, skip + len(rows)
    raise BackendError(f"paging {_path(url)}: more than {max_pages} pages, stopped")


def iter_skip_top(
    fetch: PageFetcher,
    url: str,
    params: Mapping[str, str] | None = None,
    *,
    page_size: int = 500,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[Any]:
    """Yield every row of every page; see :func:`iter_skip_top_pages` for what it raises."""
    for page in iter_skip_top_pages(fetch, url, params, page_size=page_size, max_pages=max_pages):
        yield from page
