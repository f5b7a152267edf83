package mongodb_test

import (
	"testing"

	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// TestMain starts the test database once for every test of this package
// (internal and external); do not declare another TestMain here.
func TestMain(m *testing.M) { mongotest.Main(m) }
