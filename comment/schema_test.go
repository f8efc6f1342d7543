// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/invopop/jsonschema"
	sjs "github.com/santhosh-tekuri/jsonschema/v6"

	"lockbot/rules"
)

var updateSchemas = flag.Bool("update-schemas", false, "rewrite schema/*.json from the Go types")

// schemaTypes are the JSON documents lockbot writes, by schema file.
var schemaTypes = map[string]any{
	"scan":  &Report{},
	"check": &ReviewReport{},
	"error": &ErrorReport{},
}

func schemaPath(name string) string {
	return filepath.Join("schema", fmt.Sprintf("%s-%d.json", name, JSONSchemaVersion))
}

// generateSchema reflects a document type into its JSON schema.
func generateSchema(v any) []byte {
	// Definitions named by package: review.Finding (a rules.Finding in a
	// patch) and rules.Finding are two shapes.
	r := &jsonschema.Reflector{ExpandedStruct: true, Namer: func(t reflect.Type) string {
		if t.Name() == "" || t.PkgPath() == "" {
			return t.Name()
		}
		return path.Base(t.PkgPath()) + "." + t.Name()
	}}
	s := r.Reflect(v)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// TestJSONSchemaUpToDate: the checked-in schemas are what the Go types
// give (go test ./comment -run TestJSONSchema -update-schemas rewrites
// them): a change of a document's shape is a change of its schema file,
// seen in review, and a field that changes meaning bumps
// JSONSchemaVersion.
func TestJSONSchemaUpToDate(t *testing.T) {
	for name, v := range schemaTypes {
		got := generateSchema(v)
		if *updateSchemas {
			if err := os.MkdirAll("schema", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(schemaPath(name), got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(schemaPath(name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not what the Go types give (%v): run go test ./comment -run TestJSONSchema -update-schemas", schemaPath(name), err)
		}
	}
}

// validate checks a document against a checked-in schema.
func validate(t *testing.T, name string, doc []byte) {
	t.Helper()
	c := sjs.NewCompiler()
	sch, err := c.Compile(schemaPath(name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	inst, err := sjs.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("%s document: %v", name, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s document does not validate: %v\n%s", name, err, doc)
	}
}

// TestJSONDocumentsValidate: what scan, check and an error write
// validates against the checked-in schemas.
func TestJSONDocumentsValidate(t *testing.T) {
	_, res := sleepReview(t)
	// One cause reached twice: the other way in Also.
	res.Findings[0].Also = []*rules.Finding{sample().Findings[0]}
	var b bytes.Buffer
	if err := ReviewJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	validate(t, "check", b.Bytes())

	b.Reset()
	scan := sample()
	scan.Findings[0].If = []string{"wait"}
	scan.Conditional = 2
	if err := JSON(&b, scan); err != nil {
		t.Fatal(err)
	}
	validate(t, "scan", b.Bytes())

	b.Reset()
	if err := JSONError(&b, fmt.Errorf("diff: no such patch")); err != nil {
		t.Fatal(err)
	}
	validate(t, "error", b.Bytes())
}
