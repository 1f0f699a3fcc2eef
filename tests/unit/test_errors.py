"""`ConfigurationError` (`clearwater_sg.errors`): what a Python caller catches when options
are not valid, a ValueError of this package listing every problem with its setting."""

from __future__ import annotations

import pytest

from clearwater_sg import DeploymentOptions


def test_bad_options_raise_the_projects_own_error_with_every_problem() -> None:
    """Callers catch a ValueError of this package, never pydantic's; pydantic's error
    stays the cause, and each problem names its setting."""
    from pydantic import ValidationError

    from clearwater_sg import ConfigurationError

    with pytest.raises(ConfigurationError) as raised:
        DeploymentOptions(cloud="aws", roles=["sprot"], hss="maybe")
    error = raised.value
    assert isinstance(error, ValueError)
    assert [key for key, _ in error.problems] == ["vpcId", "roles[0]", "hss"]
    assert "did you mean 'sprout'?" in str(error) and "https://errors.pydantic.dev" not in str(
        error
    )
    assert isinstance(error.__cause__, ValidationError)
