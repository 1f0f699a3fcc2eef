package main

import "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

// The upstream resources served, under pulumi-aws 7.x's tokens. The group keeps pulumi-aws's
// default description and its singular `ingress`/`egress` names (the bridge would pluralise them).
var resources = map[string]*tfbridge.ResourceInfo{
	"aws_security_group": {
		Tok: "aws:ec2/securityGroup:SecurityGroup",
		Fields: map[string]*tfbridge.SchemaInfo{
			"description": {Default: &tfbridge.DefaultInfo{Value: "Managed by Pulumi"}},
			"ingress":     {Name: "ingress"},
			"egress":      {Name: "egress"},
		},
	},
	"aws_vpc_security_group_ingress_rule": {Tok: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"},
	"aws_vpc_security_group_egress_rule":  {Tok: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"},
	// exclusiveRules: the group's rules are exactly the ones the program manages.
	"aws_vpc_security_group_rules_exclusive": {
		Tok: "aws:ec2/vpcSecurityGroupRulesExclusive:VpcSecurityGroupRulesExclusive",
	},
}
