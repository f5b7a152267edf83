package stripe_test

import (
	"os"
	"testing"

	"github.com/lms-backend/lms/internal/stripe/stripemock"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stripemock.StopShared()
	os.Exit(code)
}
