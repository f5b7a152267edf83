package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/lms-backend/lms/internal/payment"
)

// reconcile asks Stripe once about every purchase pending for longer than
// --older-than and applies what it learns, then prints a one-line summary.
// It is safe to run repeatedly (from cron, say) and next to running servers.
// It fails when some purchase could not be checked, so that a scheduler
// notices; the next run retries those.
func reconcile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	olderThan := fs.Duration("older-than", payment.DefaultReconcileAfter, "check purchases pending for longer than this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *olderThan <= 0 {
		return errors.New("--older-than must be positive")
	}
	a, closeDB, err := open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	if !a.Payments.Configured() {
		return errors.New("payments are not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET")
	}
	if err := a.DB.Migrate(ctx); err != nil {
		return err
	}
	report, err := a.Payments.Reconcile(ctx, *olderThan)
	fmt.Fprintln(stdout, report)
	if err != nil {
		return err
	}
	if report.Errors > 0 {
		return fmt.Errorf("%d purchases could not be checked (see the log); the next run retries them", report.Errors)
	}
	return nil
}
