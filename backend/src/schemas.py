"""Request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PromptIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    template: str = Field(min_length=1)
    description: str = Field(default="", max_length=500)


class PromptUpdate(BaseModel):
    template: str | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=500)


class PromptOut(PromptIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    updated_at: datetime


class GraphIn(BaseModel):
    template: str = Field(min_length=1)
    variables: dict[str, str] = Field(default_factory=dict)


class GraphOut(BaseModel):
    text: str
    word_count: int
    truncated: bool
    keywords: list[str]
    steps: list[str]


class Health(BaseModel):
    status: str
    version: str
    database: str
    graph: str
