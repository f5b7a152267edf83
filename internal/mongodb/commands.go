package mongodb

import (
	"context"
	"maps"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
)

// CommandCounts counts the database commands run on behalf of one context
// (one request), by command name (find, update, …), and among them the
// unkeyed ones: reads and writes whose filter is anything but an exact
// {_id: <string or ObjectId>}. The embedded database answers an unkeyed
// command by decoding every document of its collection (only that exact
// filter reaches SQL), so a route that runs one slows down as the
// collection grows. It is safe for concurrent use.
type CommandCounts struct {
	mu      sync.Mutex
	n       map[string]int
	unkeyed map[string]int
}

type commandCountsKey struct{}

// CountCommands returns a context whose database commands are counted in
// the returned CommandCounts.
func CountCommands(ctx context.Context) (context.Context, *CommandCounts) {
	c := &CommandCounts{n: map[string]int{}, unkeyed: map[string]int{}}
	return context.WithValue(ctx, commandCountsKey{}, c), c
}

// Counts returns the number of commands run so far, by command name.
func (c *CommandCounts) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// Unkeyed returns the number of unkeyed commands run so far, by command
// name.
func (c *CommandCounts) Unkeyed() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.unkeyed)
}

// commandMonitor counts every command the driver starts in the
// CommandCounts of its operation's context, if it has one.
func commandMonitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			if c, ok := ctx.Value(commandCountsKey{}).(*CommandCounts); ok {
				unkeyed := isUnkeyed(e.CommandName, e.Command)
				c.mu.Lock()
				c.n[e.CommandName]++
				if unkeyed {
					c.unkeyed[e.CommandName]++
				}
				c.mu.Unlock()
			}
		},
	}
}

// isUnkeyed reports whether a command selects documents by anything but an
// exact _id: a find, count, distinct or findAndModify whose filter is not
// one; an update or delete with such a statement; any aggregation.
// Inserts, getMore and server commands select nothing.
func isUnkeyed(name string, cmd bson.Raw) bool {
	switch name {
	case "find", "count", "distinct":
		return !exactID(cmd.Lookup("filter"), cmd.Lookup("query"))
	case "findAndModify":
		return !exactID(cmd.Lookup("query"))
	case "update", "delete":
		field, key := "updates", "q"
		if name == "delete" {
			field = "deletes"
		}
		stmts, _ := cmd.Lookup(field).Array().Values()
		for _, st := range stmts {
			if doc, ok := st.DocumentOK(); !ok || !exactID(doc.Lookup(key)) {
				return true
			}
		}
		return false
	case "aggregate":
		return true
	}
	return false
}

// exactID reports whether the first of these that is present is a filter
// of exactly {_id: <string or ObjectId>}.
func exactID(filters ...bson.RawValue) bool {
	for _, f := range filters {
		if f.Type == 0 {
			continue
		}
		doc, ok := f.DocumentOK()
		if !ok {
			return false
		}
		elems, err := doc.Elements()
		if err != nil || len(elems) != 1 || elems[0].Key() != "_id" {
			return false
		}
		t := elems[0].Value().Type
		return t == bson.TypeString || t == bson.TypeObjectID
	}
	return false
}
