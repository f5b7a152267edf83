package httpapi_test

import (
	"testing"

	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

func TestMain(m *testing.M) { mongotest.Main(m) }
