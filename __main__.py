"""The clearwater-sg stack: security groups for one Clearwater deployment."""

import pulumi

from clearwater_sg import ClearwaterSecurityGroups
from clearwater_sg.settings import load_options

groups = ClearwaterSecurityGroups("clearwater", load_options())

pulumi.export("securityGroupIds", groups.security_group_ids)
pulumi.export("nodeSecurityGroupIds", groups.node_security_group_ids)
