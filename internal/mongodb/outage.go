package mongodb

import (
	"errors"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/x/mongo/driver/topology"
)

// IsUnavailable reports whether err says the database could not be used:
// no server could be selected, a connection failed or broke, or an
// operation ran out of time. Other errors (a duplicate key, a bad query)
// are not outages.
func (d *DB) IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	return mongo.IsTimeout(err) || mongo.IsNetworkError(err) ||
		errors.As(err, &topology.ServerSelectionError{}) ||
		errors.As(err, &topology.ConnectionError{}) ||
		errors.Is(err, mongo.ErrClientDisconnected)
}
