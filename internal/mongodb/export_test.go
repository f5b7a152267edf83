package mongodb

import "go.mongodb.org/mongo-driver/mongo"

// CollectionForTest exposes a collection handle to the external tests of this
// package, which cannot be internal tests: they use mongotest, which imports
// this package.
func (d *DB) CollectionForTest(name string) *mongo.Collection { return d.collection(name) }
