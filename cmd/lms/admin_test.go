package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/user"
)

// adminEnv is the environment of a command run on the embedded database in
// dir.
func adminEnv(dir string) func(string) string {
	env := map[string]string{
		"APP_ENV":     "test",
		"DATA_DIR":    dir,
		"SECRET_KEY":  "test-secret-key-0123456789abcdef0123456789",
		"BCRYPT_COST": "4",
		"LOG_LEVEL":   "warn",
	}
	return func(k string) string { return env[k] }
}

// runCreateAdmin runs `lms create-admin args` with password on stdin.
func runCreateAdmin(t *testing.T, dir, password string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"create-admin"}, args...), adminEnv(dir), strings.NewReader(password+"\n"), &out, &errOut)
	return code, out.String(), errOut.String()
}

// withService opens the service on the embedded database in dir, runs f
// and closes it again, as a second process would.
func withService(t *testing.T, dir string, f func(users *user.Service)) {
	t.Helper()
	a, closeDB, err := open(context.Background(), adminEnv(dir), io.Discard)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer closeDB()
	if err := a.DB.Migrate(context.Background()); err != nil {
		t.Fatalf("indexes: %v", err)
	}
	f(a.Users)
}

func TestCreateAdmin(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	code, out, errOut := runCreateAdmin(t, dir, "admin password 1", "--email", " Root@Example.com ", "--name", "Root")
	if code != 0 || out != "created admin root@example.com\n" {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if strings.Contains(out+errOut, "admin password 1") {
		t.Error("the password was echoed")
	}

	// Again for the same address: promoted (already admin), password unchanged.
	code, out, errOut = runCreateAdmin(t, dir, "another password", "--email", "root@example.com")
	if code != 0 || out != "promoted root@example.com to admin (password unchanged)\n" {
		t.Fatalf("again: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// A student who signed up through the API is promoted, keeping their password.
	withService(t, dir, func(users *user.Service) {
		a, err := users.SignIn(ctx, "root@example.com", "admin password 1")
		if err != nil || a.User.Role != auth.RoleAdmin || a.User.Name != "Root" {
			t.Fatalf("sign in as the created admin: %v, %+v", err, a)
		}
		if _, err := users.SignIn(ctx, "root@example.com", "another password"); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("the second run changed the password: %v", err)
		}
		if _, err := users.SignUp(ctx, user.SignUpInput{Name: "Stu", Email: "stu@example.com", Password: "student password"}); err != nil {
			t.Fatalf("sign up: %v", err)
		}
	})
	code, out, errOut = runCreateAdmin(t, dir, "ignored password", "--email", "STU@example.com", "--name", "Ignored")
	if code != 0 || out != "promoted stu@example.com to admin (password unchanged)\n" {
		t.Fatalf("promote: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	withService(t, dir, func(users *user.Service) {
		a, err := users.SignIn(ctx, "stu@example.com", "student password")
		if err != nil || a.User.Role != auth.RoleAdmin || a.User.Name != "Stu" {
			t.Fatalf("promoted student: %v, %+v", err, a)
		}
	})
}

func TestCreateAdminRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, password string
		args           []string
		stderr         []string
	}{
		{"short password", "short", []string{"--email", "new@example.com", "--name", "New"}, []string{"Validation failed", "password: Password must be at least 8 characters"}},
		{"73-byte password", strings.Repeat("p", 73), []string{"--email", "new@example.com", "--name", "New"}, []string{"password: Password must be at most 72 bytes"}},
		{"no name", "admin password 1", []string{"--email", "new@example.com"}, []string{"name: Name must be between 2 and 50 characters"}},
		{"bad email", "admin password 1", []string{"--email", "not-an-email", "--name", "New"}, []string{"email: Please provide a valid email"}},
		{"no email", "admin password 1", []string{"--name", "New"}, []string{"--email is required"}},
		{"unknown flag", "admin password 1", []string{"--email", "new@example.com", "--role", "admin"}, []string{"flag provided but not defined: -role"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCreateAdmin(t, dir, tc.password, tc.args...)
			if code != 1 || out != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q lacks %q", errOut, want)
				}
			}
			if strings.Contains(errOut, tc.password) {
				t.Errorf("stderr shows the password: %q", errOut)
			}
		})
	}
	// None of them created an account.
	withService(t, dir, func(users *user.Service) {
		if _, err := users.SignIn(context.Background(), "new@example.com", "admin password 1"); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("an account was created: %v", err)
		}
	})
}
