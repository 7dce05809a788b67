"""A small langgraph pipeline: render a prompt template, bound its length, extract keywords.

It calls no model: the service's startup and tests must not touch the network. What it does
exercise is what a real LLM pipeline imports and builds at startup (langgraph's StateGraph and
compiler, langchain-core's prompt templates), which is the startup cost a benchmark should see.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from typing import Any, TypedDict

from langchain_core.prompts import PromptTemplate

# langgraph's checkpoint serializer warns at import about a future default of langchain-core's;
# we use no checkpointer, and the warning would otherwise print once per worker at startup.
warnings.filterwarnings("ignore", "The default value of `allowed_objects`", Warning)
from langgraph.graph import END, START, StateGraph  # noqa: E402

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
# Words too common to say anything about a prompt.
_STOPWORDS = frozenset(
    {
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "you",
        "your",
    }
)


class GraphError(ValueError):
    """The input cannot be rendered (e.g. a template variable has no value)."""


class PipelineState(TypedDict, total=False):
    template: str
    variables: dict[str, str]
    max_words: int
    text: str
    word_count: int
    truncated: bool
    keywords: list[str]
    steps: list[str]


def _render(state: PipelineState) -> PipelineState:
    prompt = PromptTemplate.from_template(state["template"])
    missing = sorted(set(prompt.input_variables) - set(state.get("variables", {})))
    if missing:
        raise GraphError(f"missing template variables: {', '.join(missing)}")
    used = {k: v for k, v in state.get("variables", {}).items() if k in prompt.input_variables}
    return {"text": prompt.format(**used), "steps": [*state.get("steps", []), "render"]}


def _bound(state: PipelineState) -> PipelineState:
    words = state["text"].split()
    limit = state.get("max_words", 200)
    truncated = len(words) > limit
    text = " ".join(words[:limit]) if truncated else state["text"]
    return {
        "text": text,
        "word_count": min(len(words), limit),
        "truncated": truncated,
        "steps": [*state["steps"], "bound"],
    }


def _keywords(state: PipelineState) -> PipelineState:
    counts = Counter(
        word.lower() for word in _WORD.findall(state["text"]) if word.lower() not in _STOPWORDS
    )
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {"keywords": [word for word, _ in ranked[:5]], "steps": [*state["steps"], "keywords"]}


def build_graph() -> Any:
    """Build and compile the pipeline; done once in the app's lifespan."""
    graph = StateGraph(PipelineState)
    # Node names must differ from state keys (langgraph rejects "keywords" as both).
    graph.add_node("render_prompt", _render)
    graph.add_node("bound_length", _bound)
    graph.add_node("extract_keywords", _keywords)
    graph.add_edge(START, "render_prompt")
    graph.add_edge("render_prompt", "bound_length")
    graph.add_edge("bound_length", "extract_keywords")
    graph.add_edge("extract_keywords", END)
    return graph.compile()


def run_graph(
    compiled: Any, template: str, variables: dict[str, str], max_words: int
) -> PipelineState:
    try:
        result: PipelineState = compiled.invoke(
            {"template": template, "variables": variables, "max_words": max_words, "steps": []}
        )
    except (KeyError, ValueError) as exc:
        # PromptTemplate rejects malformed f-strings with ValueError; ours is a GraphError too.
        raise GraphError(str(exc)) from exc
    return result
