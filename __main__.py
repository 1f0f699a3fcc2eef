"""The clearwater-sg stack: security groups for one Clearwater deployment."""

import pulumi

from clearwater_sg import (
    ClearwaterSecurityGroups,
    exit_quietly_when_stopped,
    spare_registered_resources,
)
from clearwater_sg.options import Networks
from clearwater_sg.stack_config import load_options

exit_quietly_when_stopped()
spare_registered_resources()
options = load_options()
groups = ClearwaterSecurityGroups("clearwater", options)

pulumi.export("securityGroupIds", groups.security_group_ids)
if options.networks is Networks.SPLIT:
    # role -> {"management": [ids], "signaling": [ids]}: one list per interface.
    pulumi.export("interfaceSecurityGroupIds", groups.interface_security_group_ids)
else:
    pulumi.export("nodeSecurityGroupIds", groups.node_security_group_ids)
