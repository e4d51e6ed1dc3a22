"""The base of every settings model: SYMPHONY_* variables, frozen, described, named errors.

A subsystem declares its settings as a small model::

    class IncidentSettings(EnvSettings):
        env_section: ClassVar[str] = "incidents"
        slo_window_s: float = Field(300.0, description="Seconds each SLO is evaluated over.")

and reads them with `IncidentSettings.from_env()` (or joins them to `Settings` as a base
class). Constructing a model never reads the environment: `from_env` does, once, in the
composition root, so tests and second front ends get exactly what they pass.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal, Self, get_args, get_origin

from pydantic import BeforeValidator, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

__all__ = ["ENV_PREFIX", "CommaList", "EnvSettings", "SettingsError"]

ENV_PREFIX = "SYMPHONY_"


class SettingsError(ValueError):
    """A setting's value is invalid; the message names each variable and what it expected."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid SYMPHONY_* setting: " + "; ".join(problems))
        self.problems = problems


def _split_commas(value: Any) -> Any:
    """`a, b,c` -> ("a", "b", "c") for tuple settings given as one environment string."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_commas)]
"""A tuple of strings written in the environment as a comma-separated list."""


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of os.environ.

    Only upper-case names count (`SYMPHONY_PORT`, never `symphony_port`), as before.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {
            name.lower(): value
            for name, value in self._environ.items()
            if name == name.upper() and value != ""
        }


class EnvSettings(BaseSettings):
    """Frozen settings read from SYMPHONY_<FIELD> variables (or a field's own alias)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        frozen=True,
        env_ignore_empty=True,  # an empty variable means "use the default"
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        validate_default=True,
    )
    env_section: ClassVar[str] = ""  # the heading of this model's block in .env.example

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Construction takes only what it is given; `from_env` reads the environment."""
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read every variable of this model; an invalid one raises SettingsError naming it."""
        values = _MappingEnvSource(cls, os.environ if environ is None else environ)()
        return cls._build(values)

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` applied and validated (settings are frozen)."""
        unknown = sorted(set(changes) - set(type(self).model_fields))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no setting {', '.join(unknown)}")
        current = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self)._build({**current, **changes})

    @classmethod
    def sections(cls) -> tuple[type[EnvSettings], ...]:
        """The small models this one is made of, in .env.example order (itself, unless joined)."""
        return (cls,)

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable that sets `field`."""
        alias = cls.model_fields[field].validation_alias
        prefix = cls.model_config.get("env_prefix") or ENV_PREFIX
        return alias if isinstance(alias, str) else prefix + field.upper()

    @classmethod
    def env_fields(cls) -> Iterator[tuple[str, str, FieldInfo]]:
        """(field, variable, info) for every setting, in declaration order."""
        for name, info in cls.model_fields.items():
            yield name, cls.env_name(name), info

    @classmethod
    def _build(cls, values: Mapping[str, Any]) -> Self:
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError([cls._problem(error) for error in exc.errors()]) from None

    @classmethod
    def _problem(cls, error: Any) -> str:
        """`SYMPHONY_X: expected …, got '…'` for one pydantic error."""
        loc = error["loc"]
        key = str(loc[0]) if loc else "?"
        name = cls.env_name(key) if key in cls.model_fields else key
        field = cls._field_of(key)
        choices = _literal_choices(field.annotation) if field is not None else None
        if choices is not None:
            expected = "expected " + "|".join(choices)
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            expected = (
                "expected " + message.removeprefix("Input should be ")
                if message.startswith("Input should be ")
                else message
            )
        return f"{name}: {expected}, got {error['input']!r}"

    @classmethod
    def _field_of(cls, key: str) -> FieldInfo | None:
        for name, variable, info in cls.env_fields():
            if key in (name, variable):
                return info
        return None


def _literal_choices(annotation: Any) -> tuple[str, ...] | None:
    if get_origin(annotation) is Literal:
        return tuple(str(a) for a in get_args(annotation))
    return None
