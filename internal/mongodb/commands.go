package mongodb

import (
	"context"
	"maps"
	"sync"

	"go.mongodb.org/mongo-driver/event"
)

// CommandCounts counts the database commands run on behalf of one context
// (one request), by command name (find, update, …). It is safe for
// concurrent use.
type CommandCounts struct {
	mu sync.Mutex
	n  map[string]int
}

type commandCountsKey struct{}

// CountCommands returns a context whose database commands are counted in
// the returned CommandCounts.
func CountCommands(ctx context.Context) (context.Context, *CommandCounts) {
	c := &CommandCounts{n: map[string]int{}}
	return context.WithValue(ctx, commandCountsKey{}, c), c
}

// Counts returns the number of commands run so far, by command name.
func (c *CommandCounts) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// commandMonitor counts every command the driver starts in the
// CommandCounts of its operation's context, if it has one.
func commandMonitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			if c, ok := ctx.Value(commandCountsKey{}).(*CommandCounts); ok {
				c.mu.Lock()
				c.n[e.CommandName]++
				c.mu.Unlock()
			}
		},
	}
}
