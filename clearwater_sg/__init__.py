"""Security groups for Project Clearwater deployments on AWS and OpenStack."""

from clearwater_sg.component import ClearwaterSecurityGroups
from clearwater_sg.options import Cloud, Deployment, DeploymentOptions, IpVersion
from clearwater_sg.roles import Role

__all__ = [
    "ClearwaterSecurityGroups",
    "Cloud",
    "Deployment",
    "DeploymentOptions",
    "IpVersion",
    "Role",
]
