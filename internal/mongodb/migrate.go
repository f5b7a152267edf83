package mongodb

import (
	"context"
	"fmt"
)

// Migrate prepares the database for this version of the service: it
// creates the missing indexes (EnsureIndexes), then runs the data
// migrations below, in order. Every step is idempotent and safe to run
// concurrently from several instances, so Migrate runs at every start;
// a step that finds nothing to do costs one scan of its collection.
//
// Until Migrate has finished on a handle, the repositories that look
// records up by a derived key fall back to the older query when the key
// finds nothing, so that a service started on old data answers correctly
// while it migrates in the background.
//
// Data steps:
//   - progress records move to the _id derived from their user and course
//     (ProgressRepo.migrateIDs);
//   - every user gets its email key document (UserRepo.migrateEmailKeys).
func (d *DB) Migrate(ctx context.Context) error {
	if err := d.EnsureIndexes(ctx); err != nil {
		return err
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"progress ids", NewProgressRepo(d).migrateIDs},
		{"email keys", NewUserRepo(d).migrateEmailKeys},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("migrate %s: %w", s.name, err)
		}
	}
	d.migrated.Store(true)
	return nil
}
