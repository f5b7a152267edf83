package payment_test

import (
	"testing"

	"github.com/lms-backend/lms/internal/mongodb/mongotest"
	"github.com/lms-backend/lms/internal/stripe/stripemock"
)

// TestMain starts the test database and, on first use, one stripe-mock for
// every test of this package.
func TestMain(m *testing.M) { mongotest.Main(m, stripemock.StopShared) }
