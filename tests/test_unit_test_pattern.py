"""The README's unit-test pattern runs as written: `set_mocks` once per module, several
`@pulumi.runtime.test` tests that each build the component, in pytest, in a process of
its own (as a platform team's test suite runs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import PROJECT_DIR

SECTION = "### Unit-testing a program that uses the component"


def readme_example() -> str:
    section = (PROJECT_DIR / "README.md").read_text().split(SECTION, 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def pytest_on(directory: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    """`text` as test file `name`, run by pytest in a process of its own."""
    (directory / name).write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_readme_unit_test_pattern_passes(tmp_path: Path) -> None:
    example = readme_example()
    assert example.count("@pulumi.runtime.test") == 2
    assert example.count("set_mocks(") == 1
    ran = pytest_on(tmp_path, "test_ims.py", example)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "2 passed" in ran.stdout


def test_two_components_in_one_test_still_may_not_claim_the_same_names(tmp_path: Path) -> None:
    clash = (
        readme_example().split("@pulumi.runtime.test", 1)[0]
        + """
@pulumi.runtime.test
def test_clash():
    ClearwaterSecurityGroups("ims", DeploymentOptions(cloud="openstack"))
    ClearwaterSecurityGroups("other", DeploymentOptions(cloud="openstack", name_prefix="ims-test"))
"""
    )
    ran = pytest_on(tmp_path, "test_clash.py", clash)
    assert ran.returncode == 1
    assert "group 'ims-test-all-nodes' is also created by component 'ims'" in ran.stdout
