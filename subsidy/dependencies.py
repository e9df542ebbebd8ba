"""What the routes are given (FastAPI `Depends`): the app's settings and its assistant, both made
once by `create_app`. A test replaces them with `app.dependency_overrides[get_assistant] = …`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.turn import Assistant
from foundation.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_assistant(request: Request) -> Assistant:
    assistant: Assistant = request.app.state.assistant
    return assistant


SettingsDep = Annotated[Settings, Depends(get_settings)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
