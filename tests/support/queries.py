"""Counting the SQL statements of pages (Indico's count_queries, applied page by page)."""

from __future__ import annotations


def queries_per_page(client, count_queries, pages: dict[str, str], check=None) -> dict[str, int]:
    """The statements each page runs, after one warm-up request (the login record's
    periodic touch, caches); every page must answer 200. `check(page, response)` may look
    at each counted answer."""
    counts = {}
    for page, url in pages.items():
        client.get(url)
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, (page, url)
        counts[page] = len(statements)
        if check is not None:
            check(page, response)
    return counts
