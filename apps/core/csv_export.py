"""Lists that also answer as CSV (`?format=csv` or `Accept: text/csv`): the
renderer that lets DRF choose CSV, and the streamed lines, so that a long list
is written as it is read rather than built in memory."""

import csv
from collections.abc import Iterable, Iterator

from rest_framework.renderers import BaseRenderer, JSONRenderer


class CSVRenderer(BaseRenderer):
    """Chosen by `?format=csv` or `Accept: text/csv`; the view streams the rows
    itself, so this renders only what is not a list (nothing, in practice)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Iterable[str], rows: Iterable[dict]) -> Iterator[str]:
    """A header row, then one line per row (csv's quoting), produced as read."""
    writer = csv.writer(_Echo())
    columns = list(columns)
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow([row[name] for name in columns])
