package openapi_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// codeDecl finds the error codes the service declares: apperr.New(kind,
// "code", …) and &apperr.Error{…, Code: "code", …}.
var codeDecl = regexp.MustCompile(`apperr\.New\(apperr\.\w+,\s*"([a-z_]+)"|Code:\s*"([a-z_]+)"`)

// TestEveryErrorCodeIsListed reads the service's source and fails when an
// error code it declares is missing from the document's list of codes
// (the Error schema), so that every code a client can meet is documented.
func TestEveryErrorCodeIsListed(t *testing.T) {
	doc, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	seen := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range codeDecl.FindAllStringSubmatch(string(src), -1) {
			code := m[1] + m[2]
			seen++
			if !strings.Contains(string(doc), "| `"+code+"` |") {
				t.Errorf("%s: error code %q is not listed in openapi.yaml (components.schemas.Error.code)", path, code)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 50 {
		t.Fatalf("found only %d error codes under %s; is the pattern still right?", seen, root)
	}
}
