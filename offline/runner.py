"""The one offline runner: run a Pulumi program under the SDK's mock engine and record
what it registers.

The mock monitor receives every resource exactly as the Pulumi engine would (type, name,
parent, inputs, options), so a recording is what `pulumi preview` would be asked to
create, minus the cloud. Used by the CLI (`python -m offline`), the bench and the tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import runpy
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.settings import ROOT, SETTINGS

from clearwater_sg.resources import AWS_GROUP
from clearwater_sg.stack_file import (
    StackConfig,
    StackFileError,
    read_stack,
    stack_file_path,
    stack_file_problems,
)


@dataclass(frozen=True)
class Registered:
    """One resource registration as the engine received it."""

    type: str
    name: str
    urn: str
    parent: str
    id: str
    inputs: dict[str, Any]
    protect: bool
    delete_before_replace: bool


@dataclass
class Recording:
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    root: pulumi.Resource | None = None  # the program's Stack resource, once it has run
    # Every resource object the program constructed, in order: how tools read what a
    # component decided (its plan) besides what it registered.
    objects: list[pulumi.Resource] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Registered]:
        return [resource for resource in self.resources if resource.type == type_]

    def by_id(self) -> dict[str, Registered]:
        return {resource.id: resource for resource in self.resources if resource.id}


def fake_id(type_: str, name: str) -> str:
    """A deterministic id shaped like the real cloud's, so a render is stable."""
    digest = hashlib.sha256(f"{type_}/{name}".encode()).hexdigest()
    if type_ == AWS_GROUP:
        return f"sg-{digest[:17]}"
    if type_.startswith("openstack:"):
        return str(uuid.UUID(digest[:32]))
    return f"{name}-id"


class _Mocks(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        return fake_id(args.typ, args.name), dict(args.inputs)

    def call(self, args: MockCallArgs) -> dict[Any, Any]:  # type: ignore[override]
        # A dict alone: the SDK's mock monitor reads a tuple's second item as a list of
        # failures, and None there would fail every invoke.
        return {}


class _RecordingMonitor(MockMonitor):
    def __init__(self, recording: Recording) -> None:
        super().__init__(_Mocks())
        self.recording = recording

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        try:
            response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        finally:
            _close_this_threads_loop()
        if request.type != "pulumi:pulumi:Stack":
            self.recording.resources.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    id=response.id,
                    inputs=self.resources[response.urn].state,
                    protect=bool(request.protect),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                )
            )
        return response


def run_project(
    project_dir: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    recording: Recording | None = None,
    root_directory: Path | None = None,
) -> Recording:
    """Run the project's own `__main__.py` as `run_program` runs any program."""

    def main() -> None:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")

    return run_program(
        main,
        project=project,
        stack=stack,
        config=config,
        recording=recording,
        root_directory=root_directory,
    )


def run_stack(stack_file: Path) -> tuple[StackConfig, Recording]:
    """Run the project's program with a stack file's config, as `pulumi up` would: where
    the CLI would read this file, the program is told the project's directory too, reads
    its stack file itself as it does under the CLI, and reports the file's problems with
    the rest; elsewhere, they are a StackFileError."""
    stack, problems = read_stack(stack_file)
    cli_reads_it = stack_file_path(stack.project_dir, stack.stack) == stack_file.resolve()
    if problems and not cli_reads_it:
        raise StackFileError(stack_file_problems(stack_file, problems))
    recording = run_project(
        stack.project_dir,
        project=stack.project,
        stack=stack.stack,
        config=stack.config,
        root_directory=stack.project_dir if cli_reads_it else None,
    )
    if problems:  # the program reads them itself; were it ever not to, they still refuse
        raise StackFileError(stack_file_problems(stack_file, problems))
    return stack, recording


def run_program(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    recording: Recording | None = None,
    root_directory: Path | None = None,
) -> Recording:
    """Run `program` as stack `project`/`stack` with `config` (full "ns:key" -> string),
    and `root_directory` as the project's directory (`pulumi.get_root_directory()`, which
    a language host passes), where the program reads its stack file; none by default.

    Exceptions the program raises (a pulumi.RunError for bad config) propagate unchanged;
    pass `recording` to see what was registered before one.
    """
    recording = Recording() if recording is None else recording
    ROOT.set(None)  # each run gets a fresh root Stack, as each `pulumi up` does
    # And its own event loop, closed when it ends (see _close_this_threads_loop).
    _close_this_threads_loop()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(
        _Mocks(), project=project, stack=stack, preview=False, monitor=_RecordingMonitor(recording)
    )
    pulumi.runtime.set_all_config(dict(config))
    # set_mocks leaves the root directory as it was (a placeholder, or an earlier run's);
    # "" says there is none, where None would send the program to its working directory.
    SETTINGS.root_directory = "" if root_directory is None else str(root_directory)

    def collect(outputs: dict[str, Any]) -> None:
        recording.outputs.update(outputs)

    def keep(args: pulumi.ResourceTransformationArgs) -> None:
        recording.objects.append(args.resource)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> pulumi.Output[None]:
        pulumi.runtime.register_stack_transformation(keep)
        program()
        stack_resource = recording.root = pulumi.runtime.get_root_resource()
        exported = getattr(stack_resource, "outputs", {})
        return pulumi.Output.from_input(exported).apply(collect)

    try:
        run()
    finally:
        loop.close()
    return recording


def _close_this_threads_loop() -> None:
    """Close this thread's event loop unless something runs on it.

    The SDK never closes the loops it makes: the main thread's, and one per executor
    thread that registers a resource. A loop left to the interpreter's exit can print an
    "Exception ignored in BaseEventLoop.__del__" traceback.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # no current loop, on 3.12+
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            return
    if not loop.is_running():
        loop.close()
        asyncio.set_event_loop(None)
