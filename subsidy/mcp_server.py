"""The MCP server: the tools of `assistant.tools` for AI agents (Claude Desktop, Cursor, Dify, Cherry Studio).

Built on the official `mcp` SDK's low-level server, so each tool's input and output schema is the
JSON Schema of its pydantic model, as defined once in assistant/tools.py. Two transports:

- stdio: `subsidy mcp` (a desktop agent starts it as a subprocess);
- Streamable HTTP at `/mcp` on `subsidy serve`, stateless (any worker answers any request), behind
  the same API key (`X-API-Key` or `Authorization: Bearer`), rate limit and body limit as /api/*.

A bad argument is a tool result with `isError: true` whose text names the field
(`achievements[0].level: unknown value …`), as the CLI and the API would say it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send

from assistant.tools import Tool, call_tool
from foundation.errors import UserInputError

log = logging.getLogger("subsidy.mcp")

NAME = "subsidy-assistant"
INSTRUCTIONS = (
    "标准化补助助手：按各地政策条文计算标准化成果（制修订标准、技术委员会秘书处、企业标准“领跑者”等）可得的资助金额，"
    "并给出依据条款原文。金额请用 estimate 计算，多城市对比用 compare，条文用 search 检索，对话式提问用 ask。\n"
    "Chinese standardization subsidies: `estimate` computes amounts under the cited article, `compare` "
    "prices achievements across cities, `city_menu` lists what a city pays, `search` "
    "finds policy text, `policies` lists documents with their status, `apply_info` says how to apply, "
    "`ask` is one chat turn with the assistant (pass its session_id to continue)."
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("subsidy-assistant")
    except PackageNotFoundError:
        return "0"


def build_server(catalogue: Mapping[str, Tool]) -> Server[Any]:
    """An MCP server offering these tools (`assistant.catalogue.catalogue(assistant)`)."""

    async def list_tools(
        _: ServerRequestContext[Any], __: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(
            tools=[
                types.Tool(
                    name=tool.name,
                    title=tool.title,
                    description=tool.description,
                    input_schema=tool.input_schema(),
                    output_schema=tool.output_schema(),
                )
                for tool in catalogue.values()
            ]
        )

    async def call(_: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        """Run the tool off the event loop; user mistakes come back as a tool error naming the field."""
        try:
            result = await anyio.to_thread.run_sync(call_tool, params.name, params.arguments or {}, catalogue)
        except UserInputError as err:
            return error_result(str(err))
        except Exception as err:  # a one-line error for the agent, the traceback for the log
            log.exception("MCP tool %s failed", params.name)
            return error_result(f"internal error ({type(err).__name__})")
        data = result.model_dump(mode="json")
        text = json.dumps(data, ensure_ascii=False)
        return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=data)

    return Server(
        NAME,
        version=_version(),
        title="标准化补助助手 / Standardization-subsidy assistant",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call,
    )


def error_result(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


# ---------------------------------------------------------------- stdio (`subsidy mcp`)
def run_stdio(catalogue: Mapping[str, Tool]) -> None:
    from mcp.server.stdio import stdio_server

    server = build_server(catalogue)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)


# ---------------------------------------------------------------- Streamable HTTP at /mcp
class MCPEndpoint:
    """The ASGI app mounted at /mcp: the service's key and rate limit, then the SDK's transport.

    Stateless: every POST is a complete exchange, so any worker of `subsidy serve --workers N`
    can answer it. `run()` must be entered in the service's lifespan.
    """

    def __init__(self, check: Callable[[Scope], Awaitable[None]], catalogue: Mapping[str, Tool]):
        self.check = check
        # No DNS-rebinding host check here: the service is reached through proxies under any name;
        # the API key (SUBSIDY_API_KEY) is what protects it.
        self.manager = StreamableHTTPSessionManager(
            app=build_server(catalogue), stateless=True, json_response=True
        )

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        async with self.manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.check(scope)
        await self.manager.handle_request(scope, receive, send)
