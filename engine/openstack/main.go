// pulumi-resource-openstack for the engine tests: the bridge serving terraform-provider-openstack
// under pulumi-openstack's package name and resource tokens, for the resources the component
// registers. Only the token mapping is ours; what is sent to Neutron, how a diff is computed and
// what is read back are the bridge's and the Terraform provider's.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-provider-openstack/terraform-provider-openstack/v3/openstack"
)

// version is stamped at build time with the pulumi-openstack release whose modules this is.
var version = "5.4.1"

func main() {
	tfbridge.Main("openstack", version, tfbridge.ProviderInfo{
		P:       shimv2.NewProvider(openstack.Provider()),
		Name:    "openstack",
		Version: version,
		Resources: map[string]*tfbridge.ResourceInfo{
			"openstack_networking_secgroup_v2":      {Tok: "openstack:networking/secGroup:SecGroup"},
			"openstack_networking_secgroup_rule_v2": {Tok: "openstack:networking/secGroupRule:SecGroupRule"},
		},
	}, nil)
}
