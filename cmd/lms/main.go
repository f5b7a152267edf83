// Command lms is the learning-management backend: `lms serve` (the default)
// runs the API, `lms create-admin` creates or promotes an admin, and
// `lms reconcile` settles purchases whose webhook never arrived, and
// `lms prune` deletes old webhook event records.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/lms-backend/lms/internal/apperr"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, getenv, stdout)
	case "create-admin":
		err = createAdmin(ctx, args, getenv, stdin, stdout, stderr)
	case "reconcile":
		err = reconcile(ctx, args, getenv, stdout, stderr)
	case "prune":
		err = prune(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "lms: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "lms %s: %v\n", cmd, err)
		if e, ok := apperr.As(err); ok {
			for _, f := range e.Fields {
				fmt.Fprintf(stderr, "  %s: %s\n", f.Field, f.Message)
			}
		}
		return 1
	}
	return 0
}

const usage = `usage: lms [command]

commands:
  serve          run the API (default)
  create-admin   --email E --name N: create an admin, or promote the user
                 with that email; the password is read from stdin
  reconcile      [--older-than 1h]: ask Stripe about purchases pending for
                 longer than that and settle them (safe to repeat; cron it)
  prune          --older-than 30d: delete the records of webhook events
                 processed longer ago than that (never unprocessed ones)
  help           show this text
`
