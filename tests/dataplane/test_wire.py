"""`python -m harness.wire` (`make wire`): what it refuses before starting anything. Its
report of a real proof is checked by tests/dataplane/test_proof.py on the bundled stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import PROJECT_DIR
from harness.wire import main


def test_an_aws_stack_is_refused_naming_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    stack = PROJECT_DIR / "stacks" / "Pulumi.aws-prod.yaml"
    assert main([str(stack), "--out", str(tmp_path)]) == 2
    assert "cloud is 'aws'; only OpenStack has a data plane here" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
