"""The rule modules, listed explicitly (a test checks this list against the files on disk)."""

from __future__ import annotations

import importlib
from types import ModuleType

RULE_MODULES: tuple[str, ...] = (
    # DP1xx build cache and speed
    "dp101_apt_without_cache_mount",
    "dp102_apt_cache_mount_ineffective",
    "dp103_pip_without_cache_mount",
    "dp104_install_after_source_copy",
    "dp105_syntax_without_digest",
    "dp106_split_dependency_resolution",
    # DP2xx image size and layers
    "dp201_recursive_chown_after_copy",
    "dp202_delete_in_later_layer",
    "dp203_build_tools_in_final_stage",
    "dp204_debug_stage_is_default",
    # DP3xx runtime, security, health
    "dp301_final_user_root",
    "dp302_no_healthcheck",
    "dp303_healthcheck_program_missing",
    "dp304_healthcheck_port_mismatch",
    "dp305_secret_in_env",
    "dp306_path_empty_entry",
    "dp307_server_without_exec",
    "dp308_exec_form_invalid_json",
    "dp309_healthcheck_invalid_options",
    # DP4xx build context
    "dp401_dockerignore_inline_comment",
    "dp402_copy_excluded_source",
    "dp403_copy_all_without_dockerignore",
    "dp404_secrets_in_context",
    # DP5xx Python runtime
    "dp501_no_bytecode_compile",
    "dp502_server_invalid_option",
    "dp503_unknown_pip_env",
    # DP9xx meta
    "dp900_build_rejects",
    "dp902_empty_continuation_line",
)

_loaded: list[ModuleType] | None = None


def rule_modules() -> list[ModuleType]:
    """Import the rule modules once, in id order."""
    global _loaded
    if _loaded is None:
        mods = [importlib.import_module(f"rules.{name}") for name in RULE_MODULES]
        _loaded = sorted(mods, key=lambda m: m.RULE.id)
    return _loaded
