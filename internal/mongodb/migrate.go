package mongodb

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
)

// Migrate prepares the database for this version of the service: it
// creates the missing indexes (ensureIndexes), then runs the data
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
	if err := d.ensureCollections(ctx); err != nil {
		return err
	}
	if err := d.ensureIndexes(ctx); err != nil {
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
	if d.afterMigrate != nil {
		if err := d.afterMigrate(ctx); err != nil {
			return err
		}
	}
	d.migrated.Store(true)
	return nil
}

// ensureCollections creates the collections of the service that do not
// exist yet, so that whatever runs after Migrate (Options.AfterMigrate)
// finds them all.
func (d *DB) ensureCollections(ctx context.Context) error {
	names, err := d.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("list collections: %w", err)
	}
	for _, c := range allCollections {
		if slices.Contains(names, c) {
			continue
		}
		err := d.db.CreateCollection(ctx, c)
		var ce mongo.CommandError
		if errors.As(err, &ce) && ce.Code == namespaceExists {
			continue // another instance created it meanwhile
		}
		if err != nil {
			return fmt.Errorf("create collection %s: %w", c, err)
		}
	}
	return nil
}

// namespaceExists is the server's error code for creating a collection that
// exists.
const namespaceExists = 48
