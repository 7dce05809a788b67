"""HTTP routes: health, prompts CRUD, and the graph."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from src import __version__
from src.config import Settings
from src.db import ping
from src.graph import GraphError, run_graph
from src.models import Prompt
from src.schemas import GraphIn, GraphOut, Health, PromptIn, PromptOut, PromptUpdate

router = APIRouter()


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_graph(request: Request) -> Any:
    return request.app.state.graph


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
GraphDep = Annotated[Any, Depends(get_graph)]


@router.get("/health", response_model=Health)
def health(request: Request, response: Response) -> Health:
    # Cheap on purpose: the HEALTHCHECK and the startup benchmark poll it.
    db_ok = ping(request.app.state.engine)
    if not db_ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(
        status="ok" if db_ok else "degraded",
        version=__version__,
        database="ok" if db_ok else "down",
        graph="compiled" if request.app.state.graph is not None else "missing",
    )


def _get_prompt(session: Session, prompt_id: int) -> Prompt:
    prompt = session.get(Prompt, prompt_id)
    if prompt is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"prompt {prompt_id} not found")
    return prompt


@router.post("/prompts", response_model=PromptOut, status_code=status.HTTP_201_CREATED)
def create_prompt(body: PromptIn, session: SessionDep) -> Prompt:
    prompt = Prompt(**body.model_dump())
    session.add(prompt)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, f"prompt {body.name!r} exists") from exc
    session.refresh(prompt)
    return prompt


@router.get("/prompts", response_model=list[PromptOut])
def list_prompts(session: SessionDep, limit: int = 50, offset: int = 0) -> list[Prompt]:
    limit = max(1, min(limit, 200))
    query = select(Prompt).order_by(Prompt.id).limit(limit).offset(max(0, offset))
    return list(session.scalars(query))


@router.get("/prompts/{prompt_id}", response_model=PromptOut)
def read_prompt(prompt_id: int, session: SessionDep) -> Prompt:
    return _get_prompt(session, prompt_id)


@router.patch("/prompts/{prompt_id}", response_model=PromptOut)
def update_prompt(prompt_id: int, body: PromptUpdate, session: SessionDep) -> Prompt:
    prompt = _get_prompt(session, prompt_id)
    for field, value in body.model_dump(exclude_none=True).items():
        setattr(prompt, field, value)
    session.commit()
    session.refresh(prompt)
    return prompt


@router.delete("/prompts/{prompt_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_prompt(prompt_id: int, session: SessionDep) -> Response:
    session.delete(_get_prompt(session, prompt_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _run(graph: Any, template: str, variables: dict[str, str], settings: Settings) -> GraphOut:
    try:
        state = run_graph(graph, template, variables, settings.graph_max_words)
    except GraphError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
    return GraphOut(
        text=state["text"],
        word_count=state["word_count"],
        truncated=state["truncated"],
        keywords=state["keywords"],
        steps=state["steps"],
    )


@router.post("/graph/run", response_model=GraphOut)
def graph_run(body: GraphIn, graph: GraphDep, settings: SettingsDep) -> GraphOut:
    return _run(graph, body.template, body.variables, settings)


@router.post("/prompts/{prompt_id}/run", response_model=GraphOut)
def run_prompt(
    prompt_id: int,
    variables: dict[str, str],
    session: SessionDep,
    graph: GraphDep,
    settings: SettingsDep,
) -> GraphOut:
    return _run(graph, _get_prompt(session, prompt_id).template, variables, settings)
