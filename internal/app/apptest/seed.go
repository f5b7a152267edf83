package apptest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/progress"
	"github.com/lms-backend/lms/internal/user"
)

// Seeding arranges what the API cannot (or not quickly): courses of any
// shape, enrolments without a payment, progress, purchases. Every helper
// writes through the service's own repositories on the service's own
// connection, so tests never depend on how documents are stored and never
// race the service's writes on a second connection. A failure is fatal to
// tb.

// seedNow is the time of seeded records: now, at the database's precision.
func seedNow() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// SeedCourse stores c through the course repository and returns it with its
// id. Zero fields get defaults: title "Seeded course", category "testing",
// level beginner, a new instructor id, creation and update times now. c is
// stored as given otherwise, published or not; its lecture list and totals
// start empty (SeedLecture adds lectures).
func (s *Server) SeedCourse(tb testing.TB, c course.Course) course.Course {
	tb.Helper()
	now := seedNow()
	defaults(&c.Title, "Seeded course")
	defaults(&c.Category, "testing")
	defaults(&c.Level, course.LevelBeginner)
	defaults(&c.InstructorID, primitive.NewObjectID().Hex())
	defaults(&c.CreatedAt, now)
	defaults(&c.UpdatedAt, c.CreatedAt)
	c.LectureIDs = []string{}
	if err := mongodb.NewCourseRepo(s.App.DB).Create(context.Background(), &c); err != nil {
		tb.Fatalf("apptest: seed course: %v", err)
	}
	return c
}

// SeedLecture stores l through the course repository and refreshes its
// course's lecture list and totals, as adding a lecture does; it returns l
// with its id. Zero fields get defaults: title "Lecture <order>", video
// "videos/seed.mp4", creation and update times now.
func (s *Server) SeedLecture(tb testing.TB, l course.Lecture) course.Lecture {
	tb.Helper()
	ctx := context.Background()
	now := seedNow()
	defaults(&l.Title, fmt.Sprintf("Lecture %d", l.Order))
	defaults(&l.Video, "videos/seed.mp4")
	defaults(&l.CreatedAt, now)
	defaults(&l.UpdatedAt, l.CreatedAt)
	repo := mongodb.NewCourseRepo(s.App.DB)
	if err := repo.AddLecture(ctx, &l); err != nil {
		tb.Fatalf("apptest: seed lecture: %v", err)
	}
	if _, err := repo.RefreshTotals(ctx, l.CourseID, now); err != nil {
		tb.Fatalf("apptest: seed lecture: refresh totals: %v", err)
	}
	return l
}

// SetPublished publishes or unpublishes a course through the course
// repository (publishing needs a lecture).
func (s *Server) SetPublished(tb testing.TB, courseID string, published bool) {
	tb.Helper()
	if _, err := mongodb.NewCourseRepo(s.App.DB).SetPublished(context.Background(), courseID, published, seedNow()); err != nil {
		tb.Fatalf("apptest: set published %v: %v", published, err)
	}
}

// DeleteCourse removes a course nobody is enrolled in through the course
// repository (its lectures, progress and media stay).
func (s *Server) DeleteCourse(tb testing.TB, courseID string) {
	tb.Helper()
	if err := mongodb.NewCourseRepo(s.App.DB).Delete(context.Background(), courseID); err != nil {
		tb.Fatalf("apptest: delete course: %v", err)
	}
}

// Enrol enrols a user in a course now through the enrolment repository, as
// a purchase does: an entry in the user's enrolments and one more in the
// course's enrolledCount (when the course exists). It fails tb unless the
// user existed and was not enrolled yet.
func (s *Server) Enrol(tb testing.TB, userID, courseID string) {
	tb.Helper()
	s.EnrolAt(tb, userID, courseID, seedNow())
}

// EnrolAt is Enrol at a given time.
func (s *Server) EnrolAt(tb testing.TB, userID, courseID string, at time.Time) {
	tb.Helper()
	added, err := mongodb.NewEnrolmentRepo(s.App.DB).Enrol(context.Background(), userID, courseID, at)
	if err != nil || !added {
		tb.Fatalf("apptest: enrol user %s in course %s: added %v, %v", userID, courseID, added, err)
	}
}

// Unenrol is Enrol's inverse; it fails tb unless the user was enrolled.
func (s *Server) Unenrol(tb testing.TB, userID, courseID string) {
	tb.Helper()
	removed, err := mongodb.NewEnrolmentRepo(s.App.DB).Unenrol(context.Background(), userID, courseID, seedNow())
	if err != nil || !removed {
		tb.Fatalf("apptest: unenrol user %s from course %s: removed %v, %v", userID, courseID, removed, err)
	}
}

// SeedProgress stores a user's progress record of a course with an entry
// per lecture, through the progress repository; with completed, every
// lecture is watched and completed now.
func (s *Server) SeedProgress(tb testing.TB, userID, courseID string, lectureIDs []string, completed bool) *progress.Record {
	tb.Helper()
	ctx := context.Background()
	repo := mongodb.NewProgressRepo(s.App.DB)
	rec, created, err := repo.Create(ctx, userID, courseID, lectureIDs, seedNow())
	if err != nil || !created {
		tb.Fatalf("apptest: seed progress: created %v, %v", created, err)
	}
	if completed {
		now := seedNow()
		rec, err = repo.Update(ctx, userID, courseID, lectureIDs, now, func(r *progress.Record) error {
			for _, l := range lectureIDs {
				if err := r.SetLecture(l, true, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("apptest: seed progress: complete: %v", err)
		}
	}
	return rec
}

// SeedPurchase stores p through the purchase repository and returns it with
// its id. Zero fields get defaults: currency "usd", AmountCents from
// Amount, creation and update times now.
func (s *Server) SeedPurchase(tb testing.TB, p payment.Purchase) payment.Purchase {
	tb.Helper()
	defaults(&p.Currency, "usd")
	defaults(&p.AmountCents, payment.AmountCents(p.Amount))
	defaults(&p.CreatedAt, seedNow())
	defaults(&p.UpdatedAt, p.CreatedAt)
	if err := mongodb.NewPurchaseRepo(s.App.DB).Create(context.Background(), &p); err != nil {
		tb.Fatalf("apptest: seed purchase: %v", err)
	}
	return p
}

// ClaimWebhookEvent makes the delivery holding token take event id until
// now+lease, through the webhook event repository, as a delivery that then
// dies would.
func (s *Server) ClaimWebhookEvent(tb testing.TB, id, eventType, token string, now time.Time, lease time.Duration) {
	tb.Helper()
	claim, err := mongodb.NewWebhookEventRepo(s.App.DB).Claim(context.Background(), payment.Event{ID: id, Type: eventType}, token, now, lease)
	if err != nil || claim != payment.ClaimAcquired {
		tb.Fatalf("apptest: claim webhook event %s: %v, %v", id, claim, err)
	}
}

// SetAvatar sets a user's stored avatar key through the user repository.
func (s *Server) SetAvatar(tb testing.TB, userID, key string) {
	tb.Helper()
	if _, _, err := mongodb.NewUserRepo(s.App.DB).UpdateProfile(context.Background(), userID, user.ProfileChanges{Avatar: &key}, seedNow()); err != nil {
		tb.Fatalf("apptest: set avatar: %v", err)
	}
}

// SetResetToken gives a user the password-reset token token, valid until
// expires, through the user repository (a past time makes it expired).
func (s *Server) SetResetToken(tb testing.TB, userID, token string, expires time.Time) {
	tb.Helper()
	if err := mongodb.NewUserRepo(s.App.DB).SetResetToken(context.Background(), userID, auth.HashResetToken(token), expires); err != nil {
		tb.Fatalf("apptest: set reset token: %v", err)
	}
}

// defaults sets *v to def when *v is its type's zero value.
func defaults[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
