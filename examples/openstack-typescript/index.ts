import * as clearwater from "@pulumi/clearwater-sg";

// Every role's group and the shared all-nodes group, as the Python program's
// ClearwaterSecurityGroups("clearwater", DeploymentOptions(cloud="openstack")).
const groups = new clearwater.ClearwaterSecurityGroups("clearwater", { cloud: "openstack" });

// group key ("all-nodes" and each role) -> Neutron security group id
export const securityGroupIds = groups.securityGroupIds;
