package mongodb

import (
	"context"
	"fmt"
	"sync"
)

// recordLocks queues this process's writes to one progress record. Without
// it, n concurrent requests on one record would mostly fail their version
// checks and retry, costing O(n²) database round trips; with it they take
// turns. It is only an optimisation: writes from other instances are still
// kept apart by the version check alone.
type recordLocks struct {
	mu    sync.Mutex
	locks map[string]*recordLock
}

type recordLock struct {
	sem  chan struct{} // holds a token while locked
	refs int           // holders and waiters; the entry goes at zero
}

// lock waits for the key's lock or for ctx to end. The returned function
// unlocks.
func (l *recordLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*recordLock{}
	}
	rl := l.locks[key]
	if rl == nil {
		rl = &recordLock{sem: make(chan struct{}, 1)}
		l.locks[key] = rl
	}
	rl.refs++
	l.mu.Unlock()

	select {
	case rl.sem <- struct{}{}:
		return func() {
			<-rl.sem
			l.release(key, rl)
		}, nil
	case <-ctx.Done():
		l.release(key, rl)
		return nil, fmt.Errorf("wait for progress record: %w", ctx.Err())
	}
}

func (l *recordLocks) release(key string, rl *recordLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rl.refs--
	if rl.refs == 0 {
		delete(l.locks, key)
	}
}
