package course_test

import (
	"testing"

	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// The snapshot tests (catalog_test.go) compare it with the database.
func TestMain(m *testing.M) { mongotest.Main(m) }
