"""The project's own error for options that are not valid: a ValueError that lists every
problem with the setting it is about. pydantic's ValidationError stays its cause, for
whoever wants the details; callers never need to import pydantic to catch it."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError
from pydantic_core import ErrorDetails


class ConfigurationError(ValueError):
    """Every problem of one set of options, each as (setting, what is wrong)."""

    def __init__(self, problems: list[tuple[str, str]], heading: str = "invalid options") -> None:
        self.problems = problems
        lines = "\n  ".join(f"{key}: {message}" for key, message in problems)
        super().__init__(f"{heading}:\n  {lines}")

    @classmethod
    def from_validation_error(
        cls, exc: ValidationError, describe: Callable[[ErrorDetails], tuple[str, str]]
    ) -> ConfigurationError:
        error = cls([describe(detail) for detail in exc.errors()])
        error.__cause__ = exc
        return error
