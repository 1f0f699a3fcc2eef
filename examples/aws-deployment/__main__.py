"""A Project Clearwater deployment on AWS built on the `ClearwaterSecurityGroups` component.

A VPC with one public subnet and an internet gateway, and one EC2 instance per Clearwater
role. Each instance is attached to exactly the groups the component gives its role: the
shared all-nodes group and the role's own group.

    pulumi config set aws:region eu-west-1
    pulumi config set ami ami-...          # an Ubuntu image for Clearwater's packages
    pulumi up
"""

import pulumi
import pulumi_aws as aws

from clearwater_sg import ClearwaterSecurityGroups, DeploymentOptions
from clearwater_sg.roles import DISTRIBUTED_ROLES

VPC_CIDR = "10.0.0.0/16"
SUBNET_CIDR = "10.0.1.0/24"

config = pulumi.Config()
ami = config.require("ami")
instance_type = config.get("instanceType") or "t3.medium"

vpc = aws.ec2.Vpc(
    "clearwater-vpc", cidr_block=VPC_CIDR, enable_dns_hostnames=True, tags={"Name": "clearwater"}
)
gateway = aws.ec2.InternetGateway("clearwater-igw", vpc_id=vpc.id)
# Bono, Ellis and the application servers face the internet, so the subnet is public.
subnet = aws.ec2.Subnet(
    "clearwater-public", vpc_id=vpc.id, cidr_block=SUBNET_CIDR, map_public_ip_on_launch=True
)
routes = aws.ec2.RouteTable("clearwater-public-routes", vpc_id=vpc.id)
aws.ec2.Route(
    "internet", route_table_id=routes.id, destination_cidr_block="0.0.0.0/0", gateway_id=gateway.id
)
aws.ec2.RouteTableAssociation(
    "clearwater-public-routes", subnet_id=subnet.id, route_table_id=routes.id
)

groups = ClearwaterSecurityGroups(
    "clearwater",
    DeploymentOptions(
        cloud="aws",
        vpc_id=vpc.id,  # an Output: the groups wait for the VPC
        roles=[role.value for role in DISTRIBUTED_ROLES],
        memento=True,
        # SSH only from inside the VPC (a bastion there), never from the internet.
        ssh_sources=[VPC_CIDR],
        tags={"deployment": pulumi.get_stack()},
    ),
)


def security_group_ids(role: str) -> pulumi.Output[list[str]]:
    """Exactly the groups of a node of `role`: all-nodes plus the role's own."""
    return groups.node_security_group_ids.apply(lambda ids: ids[role])


for role in DISTRIBUTED_ROLES:
    aws.ec2.Instance(
        f"clearwater-{role.value}",
        ami=ami,
        instance_type=instance_type,
        subnet_id=subnet.id,
        vpc_security_group_ids=security_group_ids(role.value),
        tags={"Name": f"clearwater-{role.value}", "clearwater:role": role.value},
    )

pulumi.export("vpcId", vpc.id)
pulumi.export("securityGroupIds", groups.security_group_ids)
