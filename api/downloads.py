"""Large downloads (exports): written by the service into a temporary file, then streamed out of it.

The file is complete before the response starts, so an error while exporting is still a proper 4xx/5xx, and headers
can say what the export found (truncated or not); memory holds one chunk, not the file.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import IO

from fastapi.responses import StreamingResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 1 << 16


@contextlib.contextmanager
def spool() -> Iterator[IO[bytes]]:
    """A temporary file to export into; it is removed when the response has been sent, or at once on an error."""
    out = tempfile.TemporaryFile()
    try:
        yield out
    except BaseException:
        out.close()
        raise


def send(out: IO[bytes], media_type: str, filename: str | None = None,
         headers: dict[str, str] | None = None) -> StreamingResponse:
    size = out.tell()
    out.seek(0)

    def chunks() -> Iterator[bytes]:
        with out:
            while chunk := out.read(CHUNK):
                yield chunk

    extra = {"Content-Length": str(size), **(headers or {})}
    if filename:
        extra["Content-Disposition"] = f'attachment; filename="{filename}"'
    return StreamingResponse(chunks(), media_type=media_type, headers=extra)
