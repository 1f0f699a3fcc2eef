import * as clearwater from "@pulumi/clearwater-sg";

// Every role's group and the shared all-nodes group, as the Python program's
// ClearwaterSecurityGroups("clearwater", DeploymentOptions(cloud="openstack")).
// From the package, each setting whose absence would open more is written out
// (docs/configuration-inputs.md); here, the Python program's defaults.
const groups = new clearwater.ClearwaterSecurityGroups("clearwater", {
    cloud: "openstack",
    roles: ["ellis", "bono", "sprout", "dime", "homer", "vellum"],
    worldCidrs: ["0.0.0.0/0"], // the document's "the world"
    sshSources: ["0.0.0.0/0"], // the document opens SSH to the world; a bastion is narrower
    egress: "all",
});

// group key ("all-nodes" and each role) -> Neutron security group id
export const securityGroupIds = groups.securityGroupIds;
