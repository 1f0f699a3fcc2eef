"""The clearwater-sg stack: security groups for one Clearwater deployment."""

import pulumi

from clearwater_sg import ClearwaterSecurityGroups, spare_registered_resources
from clearwater_sg.stack_config import load_options

spare_registered_resources()
groups = ClearwaterSecurityGroups("clearwater", load_options())

pulumi.export("securityGroupIds", groups.security_group_ids)
pulumi.export("nodeSecurityGroupIds", groups.node_security_group_ids)
