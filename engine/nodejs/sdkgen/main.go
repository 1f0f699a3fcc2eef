// Command nodejs-sdkgen writes the local Node.js SDK of a Pulumi package from its schema,
// the SDK `pulumi package add` writes to sdks/NAME with a Node.js language host that has
// GeneratePackage; the host engine/nodejs builds (sdk/v3 v3.68.0) predates it, and the CLI
// has no codegen of its own for Node.js. Same generator (pkg/v3 codegen/nodejs), same options
// (a local SDK that supports packing), at the CLI's version.
//
//	pulumi package get-schema PLUGIN > schema.json
//	nodejs-sdkgen schema.json sdks/clearwater-sg
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"

	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "nodejs-sdkgen:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 3 {
		return fmt.Errorf("usage: %s SCHEMA.json OUT_DIR", os.Args[0])
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return err
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return diags
	}
	// As `pulumi package add` generates a local SDK.
	pkg.SupportPack = true
	files, err := nodejs.GeneratePackage("pulumi-language-nodejs", pkg, nil, nil, true, noLoader{})
	if err != nil {
		return err
	}
	out := os.Args[2]
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	for name, content := range files {
		path := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// noLoader refuses every other package: the clearwater-sg schema refers to none.
type noLoader struct{}

func (noLoader) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q, which nodejs-sdkgen cannot load", name)
}

func (l noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, d.Version)
}

func (noLoader) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the schema refers to package %q, which nodejs-sdkgen cannot load", name)
}

func (l noLoader) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, d.Version)
}
