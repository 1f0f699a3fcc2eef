"""Security groups for Project Clearwater deployments on AWS and OpenStack."""

from clearwater_sg.collector import spare_registered_resources
from clearwater_sg.component import ClearwaterSecurityGroups
from clearwater_sg.errors import ConfigurationError
from clearwater_sg.interrupt import exit_quietly_when_stopped
from clearwater_sg.options import Deployment, DeploymentOptions
from clearwater_sg.roles import Role
from clearwater_sg.types import Cloud, IpVersion

__all__ = [
    "ClearwaterSecurityGroups",
    "Cloud",
    "ConfigurationError",
    "Deployment",
    "DeploymentOptions",
    "IpVersion",
    "Role",
    "exit_quietly_when_stopped",
    "spare_registered_resources",
]
