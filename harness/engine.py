"""The bundled program as a Pulumi project in a temporary directory, run by the real
engine (.engine/bin: the CLI, the language hosts, pulumi-resource-openstack and
pulumi-resource-aws) through the Automation API, against a local OpenStack project or a
VPC of moto's EC2; or a copy of another project (the YAML and TypeScript examples that
use the component as a package).

The project directory holds a copy of the repository's Pulumi.yaml, the repository's
own __main__.py (linked, not copied) and one stack file; nothing in the repository is
written. The state lives in a local file backend and PULUMI_HOME in the test's temporary
directory, and automatic plugin downloads are off: a missing plugin fails at once.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from pulumi import automation as auto
from pulumi.automation.events import EngineEvent, OpType

from harness import DOC, PROJECT, PROJECT_DIR
from harness.doc_reader import Permission, expected_rules, read_document
from harness.local_aws import AwsTarget

ENGINE_ROOT = PROJECT_DIR / ".engine"
# The package (package/) as the executable plugin scripts/engine.sh writes.
PACKAGE_PLUGIN = ENGINE_ROOT / "plugins" / "clearwater-sg"
DOC_PORTS = read_document(DOC)
PASSPHRASE = "clearwater-engine-tests"


def engine_command(*binaries: str) -> auto.PulumiCommand:
    """The engine `make engine` provides, with the named `binaries` beside the CLI (a
    provider); without them, an error that says how to build them (a test then fails,
    never skips)."""
    missing = [name for name in ("pulumi", *binaries) if not (ENGINE_ROOT / "bin" / name).exists()]
    if missing:
        raise RuntimeError(
            f"no {', '.join(missing)} in {ENGINE_ROOT / 'bin'}: run `make engine` (it builds "
            "the CLI, the language hosts, pulumi-resource-openstack and pulumi-resource-aws "
            "from Go modules)"
        )
    return auto.PulumiCommand(root=str(ENGINE_ROOT))


class Target(Protocol):
    """Where a stack deploys: a Keystone project (harness.local_openstack.Project) or a
    VPC of moto's EC2 (harness.local_aws.AwsTarget)."""

    @property
    def env(self) -> Mapping[str, str]:
        """What the provider reads from its environment (OpenStack's openrc)."""
        ...

    @property
    def settings(self) -> Mapping[str, Any]:
        """The provider's stack settings that point it there (AWS's endpoints and keys):
        they replace a stack's own."""
        ...

    def snapshot(self) -> set[tuple[str, ...]]:
        """Every group and rule there, by id."""
        ...

    def create_group(self, name: str, description: str | None = None) -> str:
        """A group made by hand, outside any stack, with the cloud's default rules; its id."""
        ...

    def add_rule(self, group_id: str, permission: Permission, groups: dict[str, str]) -> str:
        """A rule made by hand for what `permission` says, no description; its id."""
        ...

    def rules_of(self, group_id: str) -> dict[str, int | None]:
        """A group's rules: id -> first port (None: every port)."""
        ...

    def delete_rule(self, group_id: str, rule_id: str) -> None: ...

    def group_ids(self) -> dict[str, str]:
        """Every group there: name -> id."""
        ...


@dataclass(frozen=True)
class Step:
    """One step of an engine operation, as its events report it."""

    op: OpType
    type: str
    name: str
    diffs: tuple[str, ...] = ()
    replace_keys: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.op.value} {self.name}"


@dataclass
class Steps:
    """Collects the resource steps of one operation from its engine events."""

    steps: list[Step] = field(default_factory=list)

    def __call__(self, event: EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is None or pre.metadata.type == "pulumi:pulumi:Stack":
            return
        meta = pre.metadata
        self.steps.append(
            Step(
                op=meta.op,
                type=meta.type,
                name=meta.urn.rsplit("::", 1)[-1],
                diffs=tuple(meta.diffs or ()),
                replace_keys=tuple(meta.keys or ()),
            )
        )

    def changes(self) -> list[Step]:
        """Every step that changes something (not `same`, not a refresh's read)."""
        return [s for s in self.steps if s.op not in (OpType.SAME, OpType.REFRESH, OpType.READ)]

    def named(self, *ops: OpType) -> set[str]:
        return {s.name for s in self.steps if s.op in ops}


def stack_file_config(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    config: dict[str, Any] = loaded["config"]
    return config


def settings(**config: object) -> dict[str, Any]:
    """Stack configuration in the project's namespace, from key=value."""
    return {f"{PROJECT}:{key}": value for key, value in config.items()}


def documented(config: Mapping[str, Any]) -> Counter[Permission]:
    """What the document reader expects a cloud to hold for a stack configuration (keys in
    the project's namespace; other namespaces, such as the provider's, are not its)."""
    ours = {k.removeprefix(f"{PROJECT}:"): v for k, v in config.items() if k.startswith(PROJECT)}
    return expected_rules(ours, DOC_PORTS)


class _Unaliased(yaml.SafeDumper):
    """YAML with a value used twice written twice: Pulumi YAML refuses aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class EngineStack:
    """One stack of the bundled program in its own directory, state and PULUMI_HOME.

    By default the CLI runs the bundled program with its Python language host, as
    `pulumi up` does; a `main` given here (a Python program's text) runs in its place
    the same way; a `program` runs instead, in this process, as an Automation API inline
    program; a `source` project directory is copied and run instead, in its own
    language, its `packages` entry pointed at the package's plugin.
    """

    def __init__(
        self,
        where: Path,
        name: str,
        config: Mapping[str, Any],
        target: Target,
        *,
        program: Callable[[], None] | None = None,
        source: Path | None = None,
        main: str | None = None,
    ) -> None:
        self.dir = where / "program"
        self.home = where / "pulumi-home"
        (where / "state").mkdir(parents=True)
        self.home.mkdir()
        if source is None:
            (self.dir / "stacks").mkdir(parents=True)
            shutil.copy(PROJECT_DIR / "Pulumi.yaml", self.dir / "Pulumi.yaml")
            if main is None:
                (self.dir / "__main__.py").symlink_to(PROJECT_DIR / "__main__.py")
            else:
                (self.dir / "__main__.py").write_text(main, encoding="utf-8")
            self.stack_file = self.dir / "stacks" / f"Pulumi.{name}.yaml"
        else:
            ignored = shutil.ignore_patterns("node_modules", "sdks", "bin", "Pulumi.*.yaml")
            shutil.copytree(source, self.dir, ignore=ignored)
            described = yaml.safe_load((self.dir / "Pulumi.yaml").read_text(encoding="utf-8"))
            described["packages"] = {"clearwater-sg": str(PACKAGE_PLUGIN)}
            self.write_project(described)
            self.stack_file = self.dir / f"Pulumi.{name}.yaml"
        self.name = name
        self.target = target
        self.write_config(config)
        self.env = {
            # The host runs the program with this interpreter: the test's own virtualenv,
            # which has the package and the provider SDKs installed.
            "PULUMI_PYTHON_CMD": sys.executable,
            "CLEARWATER_SG_PYTHON": sys.executable,  # and the package's plugin likewise
            "CLEARWATER_SG_PLUGIN": str(PACKAGE_PLUGIN),  # for a copied project's scripts
            "PATH": f"{ENGINE_ROOT / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_BACKEND_URL": (where / "state").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            **target.env,
        }
        options = auto.LocalWorkspaceOptions(
            work_dir=str(self.dir),
            pulumi_home=str(self.home),
            env_vars=self.env,
            pulumi_command=engine_command(),
        )
        if program is not None:
            self.stack = auto.create_or_select_stack(
                name, project_name=PROJECT, program=program, opts=options
            )
        else:
            self.stack = auto.create_or_select_stack(name, work_dir=str(self.dir), opts=options)

    def write_project(self, described: Mapping[str, Any]) -> None:
        """Replace the project file (a YAML program's resources are in it)."""
        text = yaml.dump(dict(described), Dumper=_Unaliased, sort_keys=False)
        (self.dir / "Pulumi.yaml").write_text(text, encoding="utf-8")

    def write_config(self, config: Mapping[str, Any]) -> None:
        """Replace the stack's configuration, as editing the stack file does; the target's
        provider settings replace the configuration's own."""
        text = yaml.safe_dump({"config": {**config, **self.target.settings}}, sort_keys=True)
        self.stack_file.write_text(text, encoding="utf-8")

    def up(self) -> Steps:
        steps = Steps()
        self.stack.up(on_event=steps, color="never")
        return steps

    def preview(self, **kwargs: Any) -> Steps:
        steps = Steps()
        self.stack.preview(on_event=steps, color="never", diff=True, **kwargs)
        return steps

    def refresh(self) -> Steps:
        steps = Steps()
        self.stack.refresh(on_event=steps, color="never")
        return steps

    def destroy(self) -> Steps:
        steps = Steps()
        self.stack.destroy(on_event=steps, color="never")
        return steps

    def unprotect(self) -> None:
        """`pulumi state unprotect --all`: what an operator runs before destroying a stack
        whose groups are protected (`protect: true`)."""
        engine_command().run(
            ["state", "unprotect", "--all", "--yes", "--stack", self.name],
            str(self.dir),
            self.env,
        )

    def state_resources(self) -> dict[str, dict[str, Any]]:
        """Every resource in the stack's state but the stack itself, by name: its `id`
        and its `outputs`, as the engine recorded them."""
        deployment = self.stack.export_stack().deployment
        return {
            str(r["urn"]).rsplit("::", 1)[-1]: r
            for r in (deployment or {}).get("resources", [])
            if r["type"] != "pulumi:pulumi:Stack"
        }

    def state_urns(self) -> list[str]:
        """Every resource in the stack's state but the stack itself."""
        deployment = self.stack.export_stack().deployment
        resources = (deployment or {}).get("resources", [])
        return [str(r["urn"]) for r in resources if r["type"] != "pulumi:pulumi:Stack"]


# Existing groups and prefix lists in a configuration, as the cloud's ids have them.
GROUP_ID = {"aws": r"sg-[0-9a-f]{8,17}", "openstack": r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"}
PREFIX_LIST_ID = r"pl-[0-9a-f]{8,17}"


def deployable(
    config: Mapping[str, Any], cloud: str, target: Target, made: dict[str, str] | None = None
) -> dict[str, Any]:
    """A stack's configuration as deployed at `target`: on AWS in its VPC, and each
    existing group and prefix list it names (ids of the cloud's form, in keys or values)
    replaced by a stand-in made there under that id's name: an operator's bastion group,
    a peer site's group, a prefix list of the size `prefixLists` gives it. `made` maps
    each replaced id to its stand-in's, and is filled as stand-ins are made."""
    made = {} if made is None else made
    sizes = {str(k): int(v) for k, v in dict(config.get(f"{PROJECT}:prefixLists", {})).items()}

    def stand_in(text: str) -> str:
        if text not in made:
            if re.fullmatch(GROUP_ID[cloud], text):
                made[text] = target.create_group(f"external-{text}")
            elif cloud == "aws" and re.fullmatch(PREFIX_LIST_ID, text):
                assert isinstance(target, AwsTarget)
                made[text] = target.create_prefix_list(f"external-{text}", sizes.get(text, 5))
            else:
                return text
        return made[text]

    def replaced(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {replaced(key): replaced(item) for key, item in value.items()}
        if isinstance(value, list):
            return [replaced(item) for item in value]
        return stand_in(value) if isinstance(value, str) else value

    found = {key: replaced(value) for key, value in config.items()}
    if isinstance(target, AwsTarget):
        found[f"{PROJECT}:vpcId"] = target.vpc_id
    return found
