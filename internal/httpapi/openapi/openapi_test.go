package openapi_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"go.yaml.in/yaml/v3"

	"github.com/lms-backend/lms/internal/httpapi/openapi"
)

// TestDocumentIsValidOpenAPI31 checks the document against the OpenAPI 3.1
// schema and that every $ref resolves.
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	doc, err := libopenapi.NewDocument(openapi.YAML())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Errorf("openapi version %q, want 3.1.0", v)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("build model: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s (line %d)", se.Reason, se.KeywordLocation, se.Line)
			}
		}
	}
}

// TestJSONMatchesYAML checks that the served JSON says what the YAML says:
// the same values as a plain YAML decode, in the written key order.
func TestJSONMatchesYAML(t *testing.T) {
	raw, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON any
	if err := json.Unmarshal(raw, &fromJSON); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	var fromYAML any
	if err := yaml.Unmarshal(openapi.YAML(), &fromYAML); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	viaJSON, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(viaJSON, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, want) {
		t.Error("the JSON document differs from the YAML source")
	}
	if i, j := bytes.Index(raw, []byte(`"openapi"`)), bytes.Index(raw, []byte(`"paths"`)); i != 1 || j < i {
		t.Errorf("key order not kept: openapi at %d, paths at %d", i, j)
	}
}

// TestOperationsListed checks every operation has its own operationId (the
// reference page and the generated client key on it).
func TestOperationsListed(t *testing.T) {
	ops, err := openapi.Operations()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, op := range ops {
		if op.ID == "" || seen[op.ID] {
			t.Errorf("%s %s: operationId %q missing or repeated", op.Method, op.Path, op.ID)
		}
		seen[op.ID] = true
	}
	if len(ops) < 30 {
		t.Errorf("%d operations, want every route", len(ops))
	}
}
