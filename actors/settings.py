"""Loading, validating, overriding and documenting the configuration.

Validation walks the config structs field by field so that every error is reported at
once with its key path, rather than only the first one msgspec would raise.
"""

from __future__ import annotations

import tomllib
import typing
from pathlib import Path
from typing import Any

import msgspec

from actors.config import Config, Section


class ConfigError(Exception):
    """The configuration is invalid; ``errors`` lists every problem with its key path."""

    def __init__(self, errors: list[str], source: str = "config") -> None:
        self.errors = errors
        self.source = source
        super().__init__(f"{source}: " + "; ".join(errors))


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _is_section(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Section)


def collect_errors(data: Any, cls: type[Section] = Config, path: str = "") -> list[str]:
    """Every problem in ``data`` against the section ``cls``, each prefixed by its key path."""
    if not isinstance(data, dict):
        return [f"{path or '<root>'}: expected a table, got {type(data).__name__}"]
    errors: list[str] = []
    hints = _hints(cls)
    for key, value in data.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key not in hints:
            known = ", ".join(sorted(hints))
            errors.append(f"{key_path}: unknown key (known: {known})")
            continue
        tp = hints[key]
        if _is_section(tp):
            errors.extend(collect_errors(value, tp, key_path))
            continue
        try:
            msgspec.convert(value, tp, strict=True)
        except msgspec.ValidationError as exc:
            errors.append(f"{key_path}: {str(exc).split(' - at ')[0]}")
    return errors


def config_from_dict(data: dict[str, Any], source: str = "config") -> Config:
    """Build a Config from plain data, or raise ConfigError listing every problem."""
    errors = collect_errors(data)
    if errors:
        raise ConfigError(errors, source)
    return msgspec.convert(data, Config, strict=True)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax and file errors into ConfigError."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError([f"cannot read: {exc.strerror}"], str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"invalid TOML: {exc}"], str(path)) from None


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``a.b=value``; the value is read as TOML when it parses, else as a string."""
    if "=" not in text:
        raise ConfigError([f"{text}: expected KEY=VALUE"], "--set")
    key, raw = text.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip(), value


def apply_override(data: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted key inside nested dicts (creating tables as needed)."""
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError([f"{key}: {part} is not a table"], "--set")
    node[parts[-1]] = value


def load_config(path: str | Path | None = None, overrides: list[tuple[str, Any]] | tuple[()] = ()) -> Config:
    """Defaults, then the TOML file, then overrides (CLI flags and --set), validated once."""
    data: dict[str, Any] = read_toml(path) if path else {}
    for key, value in overrides:
        apply_override(data, key, value)
    return config_from_dict(data, str(path) if path else "config")


def config_to_dict(config: Config) -> dict[str, Any]:
    """Plain data of a config, as logged in SessionStarted."""
    return msgspec.to_builtins(config)  # type: ignore[no-any-return]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return msgspec.json.encode(value).decode()
    return repr(value)


def _bounds(tp: Any) -> str:
    metas = [m for m in getattr(tp, "__metadata__", ()) if isinstance(m, msgspec.Meta)]
    parts = []
    for meta in metas:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            bound = getattr(meta, attr)
            if bound is not None:
                parts.append(f"{sym} {bound}")
    return f" ({', '.join(parts)})" if parts else ""


def generate_config_toml() -> str:
    """A commented TOML with every setting at its default."""
    lines = ["# papermm configuration. Every setting is shown at its default.", ""]
    defaults = Config()
    for section_name, section_tp in _hints(Config).items():
        lines.append(f"[{section_name}]")
        section = getattr(defaults, section_name)
        for name, tp in _hints(section_tp).items():
            desc = ""
            for meta in getattr(tp, "__metadata__", ()):
                if isinstance(meta, msgspec.Meta) and meta.description:
                    desc = meta.description
            lines.append(f"# {desc}{_bounds(tp)}")
            lines.append(f"{name} = {_toml_value(getattr(section, name))}")
        lines.append("")
    return "\n".join(lines)
