"""`ClearwaterSecurityGroups` as a Pulumi package, for programs in every language.

Pulumi infers the package schema from this class: its inputs from `args`
(`clearwater_sg.package_args`, generated from `DeploymentOptions`), its outputs from the
three the component annotates, the same names in every language. What arrives is validated by
`DeploymentOptions`, so a bad input from any language gets the message a stack's
configuration gets, naming the setting, before anything is registered.
`package/PulumiPlugin.yaml` hosts it with `component_provider_host`.
"""

# No `from __future__ import annotations`: the schema analyzer reads the annotations as
# types, not as strings.
from importlib.metadata import version

import pulumi

from clearwater_sg import component
from clearwater_sg.options import DeploymentOptions
from clearwater_sg.package_args import ClearwaterSecurityGroupsArgs

PACKAGE = "clearwater-sg"  # the package's name, the first part of the component's type


class ClearwaterSecurityGroups(component.ClearwaterSecurityGroups):
    # The outputs are the base class's annotations, which the analyzer reads too.
    __doc__ = component.ClearwaterSecurityGroups.__doc__

    def __init__(
        self,
        name: str,
        args: ClearwaterSecurityGroupsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # The options model's own constructor: a ConfigurationError naming each setting.
        super().__init__(name, DeploymentOptions(**args), opts)


def main() -> None:
    """Serve the component to the Pulumi engine, as the package's plugin."""
    from pulumi.provider.experimental import component_provider_host

    # The schema's version is the installed package's, the one CHANGELOG.md describes.
    component_provider_host(
        name=PACKAGE, components=[ClearwaterSecurityGroups], version=version(PACKAGE)
    )
