// pulumi-resource-aws, as far as the component needs it: the resources clearwater-sg registers,
// served by Pulumi's Terraform bridge from upstream terraform-provider-aws's own providers, under
// pulumi-aws 7.x's tokens and property names, so the unmodified pulumi_aws SDK drives it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/terraform-provider-aws/internal/provider/framework"
	"github.com/hashicorp/terraform-provider-aws/internal/provider/sdkv2"
	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/x/muxer"
	"github.com/pulumi/pulumi-terraform-bridge/v3/unstable/metadata"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
)

// The pulumi-aws release whose SDK drives this provider (stamped by scripts/engine.sh).
var version = "7.51.1"

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws:", err)
		os.Exit(1)
	}
}

func main() {
	ctx := context.Background()
	// The two providers upstream's own main muxes: SDKv2 serves aws_security_group, the
	// plugin framework the VPC rule resources.
	primary, err := sdkv2.NewProvider(ctx)
	check(err)
	secondary, err := framework.NewProvider(ctx, primary)
	check(err)

	info := tfbridge.ProviderInfo{
		P:            pfbridge.MuxShimWithDisjointgPF(ctx, shimv2.NewProvider(primary), secondary),
		Name:         "aws",
		Version:      version,
		MetadataInfo: tfbridge.NewProviderMetadata(nil),
		Config: map[string]*tfbridge.SchemaInfo{
			"region": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"AWS_REGION", "AWS_DEFAULT_REGION"}}},
		},
		Resources: resources,
	}
	info.SetAutonaming(255, "-") // pulumi-aws's auto-naming: <name>-<random suffix>

	// What a released provider precomputes at build time (`make tfgen`), done at start-up:
	// the mux's dispatch table and the Pulumi schema, both of which MainWithMuxer needs.
	dispatcher, ok := info.P.(interface {
		ResolveDispatch(*tfbridge.ProviderInfo) (muxer.DispatchTable, error)
	})
	if !ok {
		check(fmt.Errorf("the muxed provider cannot resolve its dispatch table"))
	}
	dispatch, err := dispatcher.ResolveDispatch(&info)
	check(err)
	check(metadata.Set(info.GetMetadata(), "mux", dispatch))

	// Only a few of upstream's resources are mapped: tfgen must not refuse the rest.
	check(os.Setenv("PULUMI_SKIP_MISSING_MAPPING_ERROR", "true"))
	quiet := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	generated, err := tfgen.GenerateSchemaWithOptions(tfgen.GenerateSchemaOptions{
		ProviderInfo: info, DiagnosticsSink: quiet, XInMemoryDocs: true,
	})
	check(err)
	schema, err := json.Marshal(generated.PackageSpec)
	check(err)

	pfbridge.MainWithMuxer(ctx, "aws", info, schema)
}
