package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/lms-backend/lms/internal/config"
	"github.com/lms-backend/lms/internal/payment"
)

// pruneInterval is how often serve prunes when PRUNE_EVENTS_AFTER is set.
const pruneInterval = 24 * time.Hour

// ageFlag is a flag.Value for ages such as 30d or 72h.
type ageFlag struct{ d time.Duration }

func (a *ageFlag) String() string { return a.d.String() }

func (a *ageFlag) Set(v string) error {
	d, err := config.ParseAge(v)
	if err != nil {
		return err
	}
	a.d = d
	return nil
}

// prune deletes the records of webhook events processed longer ago than
// --older-than (required), and prints how many it deleted. Events not yet
// processed, or being processed, are never deleted.
func prune(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("prune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var olderThan ageFlag
	fs.Var(&olderThan, "older-than", "delete events processed longer ago than this (30d, 72h)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if olderThan.d <= 0 {
		return errors.New("--older-than is required, e.g. --older-than 30d")
	}
	a, closeDB, err := open(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	n, err := a.Payments.PruneEvents(ctx, olderThan.d)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %d webhook event records processed more than %s ago\n", n, olderThan.d)
	return nil
}

// pruneDaily prunes webhook event records once at start and then every
// pruneInterval until ctx ends. Several instances may do this at once: a
// delete of what is already gone deletes nothing.
func pruneDaily(ctx context.Context, payments *payment.Service, olderThan time.Duration, logger *slog.Logger) {
	t := time.NewTicker(pruneInterval)
	defer t.Stop()
	for {
		n, err := payments.PruneEvents(ctx, olderThan)
		if err != nil && ctx.Err() == nil {
			logger.Error("prune webhook events", "err", err)
		} else if err == nil {
			logger.Info("pruned webhook events", "deleted", n, "older_than", olderThan.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
