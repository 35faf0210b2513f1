"""Exception hierarchy. Only `copyplate.cli` turns these into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal


class ExitCode(IntEnum):
    """Documented exit codes of every `copyplate` command (see README)."""

    OK = 0
    ASSET_FAILED = 1  # some asset failed validation
    INVALID_INPUT = 2  # campaign, copy deck, manifest or arguments unusable
    MISSING_CAPABILITY = 3  # a font, language pack or library is not installed
    RENDER_FAILED = 4  # a stage broke while producing an asset
    INTERRUPTED = 130
    INTERNAL = 70  # a bug in copyplate: the message asks for a report


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as the file allows."""

    file: str
    pointer: str  # RFC 6901 JSON pointer, "" for the whole document
    message: str
    line: int | None = None
    column: int | None = None
    severity: Severity = "error"
    # A machine-readable kind for problems a caller may treat differently ("coverage").
    code: str = ""

    def format(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        tag = "" if self.severity == "error" else "warning: "
        ptr = f"{self.pointer}: " if self.pointer else ""
        return f"{where}: {tag}{ptr}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "pointer": self.pointer,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
        }


class CopyplateError(Exception):
    """Base of every error copyplate raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL
    # True when no later job can succeed either: the batch stops instead of failing each job.
    fatal: bool = False


class LayoutError(CopyplateError):
    """A campaign or copy deck is invalid. Carries every problem found, not just the first."""

    exit_code = ExitCode.INVALID_INPUT

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        first = errors[0].format() if errors else "invalid input"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)


class InputError(CopyplateError):
    """An argument or file that is not a campaign is unusable (bad size string, missing file)."""

    exit_code = ExitCode.INVALID_INPUT


class MissingCapability(CopyplateError):
    """A system part needed for this job is absent: raqm, a font, a tesseract language."""

    exit_code = ExitCode.MISSING_CAPABILITY


class RenderError(CopyplateError):
    """A stage could not produce its output."""

    exit_code = ExitCode.RENDER_FAILED


class ServiceError(RenderError):
    """A hosted model's call failed for good (after its retries); this region or job only."""

    def __init__(self, message: str, call: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.call = call  # the failed call's record (latency, tries), for the report


class ServiceRefused(InputError):
    """The hosted service refuses every call of this run: a rejected key, an unknown model,
    no quota left. The batch stops (finished assets stay in the ledger) instead of paying
    for, or waiting on, the same refusal once per asset."""

    fatal = True


class StackFitError(RenderError):
    """A stack's copy does not fit its group box even with every region at its
    min_font_px: this job fails, named, instead of a region being clipped."""
