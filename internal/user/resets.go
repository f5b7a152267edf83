package user

import (
	"context"
	"fmt"
	"sync"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
)

// maxPendingResets bounds the password-reset requests waiting for the
// worker. Beyond it a request is dropped (and logged); its answer is the
// same.
const maxPendingResets = 100

// resetQueue runs password-reset requests one at a time, off the request
// path, so that a registered and an unknown email answer after the same
// work. Its zero value is ready; a worker runs only while requests wait.
type resetQueue struct {
	mu      sync.Mutex
	pending []string // normalised emails
	running bool
	done    sync.WaitGroup
}

// push queues email for work, starting the worker when none runs. It
// reports false when the queue is full.
func (q *resetQueue) push(email string, work func(email string)) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) >= maxPendingResets {
		return false
	}
	q.pending = append(q.pending, email)
	if !q.running {
		q.running = true
		q.done.Add(1)
		go q.run(work)
	}
	return true
}

func (q *resetQueue) run(work func(email string)) {
	defer q.done.Done()
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		email := q.pending[0]
		q.pending = q.pending[1:]
		q.mu.Unlock()
		work(email)
	}
}

// sendReset stores a new reset token for the user with this email, if
// there is one, and mails the link. Failures are logged: the client was
// answered long ago.
func (s *Service) sendReset(email string) {
	ctx, cancel := context.WithTimeout(context.Background(), mailTimeout)
	defer cancel()
	if err := s.mailReset(ctx, email); err != nil {
		s.d.Logger.Error("send password reset mail", "err", err)
	}
}

func (s *Service) mailReset(ctx context.Context, email string) error {
	u, err := s.d.Repo.ByEmail(ctx, email)
	if apperr.Is(err, apperr.NotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find user: %w", err)
	}
	token, hash, err := auth.NewResetToken()
	if err != nil {
		return err
	}
	if err := s.d.Repo.SetResetToken(ctx, u.ID, hash, s.now().Add(resetTokenTTL)); err != nil {
		return fmt.Errorf("store reset token for user %s: %w", u.ID, err)
	}
	if err := s.d.Mailer.SendPasswordReset(ctx, u.Email, u.Name, s.d.ResetLink(token)); err != nil {
		return fmt.Errorf("user %s: %w", u.ID, err)
	}
	return nil
}
