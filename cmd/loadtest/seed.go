package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/user"
)

// seedSpec is the data set and the server's settings; the parent hands it to
// the child as JSON.
type seedSpec struct {
	Courses, Users, Progress, Lectures, Enrol int
	// Clients is the number of load clients that sign in: the first Clients
	// students are theirs.
	Clients    int
	Workers    int
	Totals     bool // run RefreshTotals for every course
	BcryptCost int
	CacheTTL   time.Duration
	DataDir    string
}

// instructors is how many of the users are instructors: one in 50, at
// least one.
func (s seedSpec) instructors() int { return max(1, s.Users/50) }

// published is how many courses are published: all but every tenth.
func (s seedSpec) published() int { return s.Courses - s.Courses/10 }

// publishedIndex is the course index of the k-th published course: every
// tenth course (9, 19, …) stays a draft.
func publishedIndex(k int) int { return k + k/9 }

func (s seedSpec) check() error {
	students := s.Users - s.instructors()
	switch {
	case s.Courses < 1 || s.Lectures < 1 || s.Users < 2:
		return errors.New("need at least 1 course, 1 lecture and 2 users")
	case s.published() < 1:
		return errors.New("need a published course")
	case students < s.Clients:
		return fmt.Errorf("-users %d leaves %d students for %d load clients", s.Users, students, s.Clients)
	case s.Progress < s.Clients:
		return fmt.Errorf("-progress must be at least the number of load clients (%d)", s.Clients)
	case s.Progress > students*s.published():
		return fmt.Errorf("-progress %d exceeds students × published courses", s.Progress)
	case s.BcryptCost < bcrypt.MinCost || s.BcryptCost > bcrypt.MaxCost:
		return fmt.Errorf("-bcrypt-cost must be in [%d, %d]", bcrypt.MinCost, bcrypt.MaxCost)
	}
	return nil
}

// progressCourse is the published-course index of student s's j-th progress
// record; records k = 0, 1, … go to student k mod students, as its record
// number k div students, so every pair is distinct.
func progressCourse(s, j, published int) int { return (s*31 + j) % published }

// mediaID names the one thumbnail and video every seeded course points at
// (the files need not exist: the pages only link to them).
const mediaID = "10ad7e5710ad7e5710ad7e5710ad7e57"

// password is every seeded user's password.
const password = "load-test-password"

// fixtures is what the load clients need to know about the seeded data.
type fixtures struct {
	Password string `json:"password"`
	// Clients are the load clients' users, one per client.
	Clients []clientUser `json:"clients"`
	// Courses are the published courses' ids.
	Courses []string `json:"courses"`
	// SearchTerms each match some courses' titles.
	SearchTerms []string `json:"searchTerms"`
}

// clientUser is a load client's user and one course it has a progress
// record of.
type clientUser struct {
	Email    string   `json:"email"`
	Course   string   `json:"course"`
	Lectures []string `json:"lectures"`
}

// phase is one seeding step's count and time.
type phase struct {
	Name     string        `json:"name"`
	Count    int           `json:"count"`
	Duration time.Duration `json:"duration"`
}

var topics = []string{"Go", "Kubernetes", "Photography", "Spanish", "Algebra", "Watercolour", "Marketing", "Piano"}
var levels = []string{course.LevelBeginner, course.LevelIntermediate, course.LevelAdvanced}

// seed fills the database through the repositories, on the service's own
// connection. The repositories insert one document per call, so each phase
// runs spec.Workers calls at once (they take turns on the one connection,
// but encoding and decoding overlap).
func seed(ctx context.Context, db *mongodb.DB, spec seedSpec, progressOut io.Writer) (*fixtures, []phase, error) {
	users, courses := mongodb.NewUserRepo(db), mongodb.NewCourseRepo(db)
	progressRepo, enrolments := mongodb.NewProgressRepo(db), mongodb.NewEnrolmentRepo(db)
	now := time.Now().UTC().Truncate(time.Millisecond)
	var phases []phase
	// step runs f for i in [0, n): each call writes per documents.
	step := func(name string, n, per int, f func(ctx context.Context, i int) error) error {
		start := time.Now()
		err := forEach(ctx, n, spec.Workers, f, func(done int) {
			fmt.Fprintf(progressOut, "loadtest: seed %s: %d/%d (%s)\n", name, done*per, n*per, time.Since(start).Round(time.Second))
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		p := phase{Name: name, Count: n * per, Duration: time.Since(start).Round(time.Millisecond)}
		fmt.Fprintf(progressOut, "loadtest: seed %s: %d in %s (%.0f/s)\n", name, p.Count, p.Duration, float64(p.Count)/p.Duration.Seconds())
		phases = append(phases, p)
		return nil
	}

	// One hash for everyone: bcrypt at the server's cost is the slow part
	// of a sign-in, not of seeding.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), spec.BcryptCost)
	if err != nil {
		return nil, nil, err
	}
	userIDs := make([]string, spec.Users)
	ninstr := spec.instructors()
	err = step("users", spec.Users, 1, func(ctx context.Context, i int) error {
		role, email := auth.RoleStudent, fmt.Sprintf("student%d@load.test", i-ninstr)
		if i < ninstr {
			role, email = auth.RoleInstructor, fmt.Sprintf("instructor%d@load.test", i)
		}
		u := &user.User{
			Name: fmt.Sprintf("Load User %d", i), Email: email, Role: role, PasswordHash: string(hash),
			Bio: "Seeded by the load test.", LastActive: now, CreatedAt: now, UpdatedAt: now,
		}
		if err := users.Create(ctx, u); err != nil {
			return err
		}
		userIDs[i] = u.ID
		return nil
	})
	if err != nil {
		return nil, nil, err
	}

	// Courses are created published (all but every tenth), like
	// SeedCourse may: SetPublished's condition (a lecture exists) is a
	// filter beyond _id, which the embedded database answers by decoding
	// the whole courses collection (200 courses: 56 ms a call). Nobody reads
	// before the seed is done.
	courseIDs := make([]string, spec.Courses)
	lectureIDs := make([][]string, spec.Courses)
	err = step("courses", spec.Courses, 1, func(ctx context.Context, i int) error {
		topic := topics[i%len(topics)]
		c := &course.Course{
			Title:       fmt.Sprintf("%s, part %d", topic, i),
			Subtitle:    fmt.Sprintf("Everything about %s, step by step", topic),
			Description: fmt.Sprintf("Course %d of the load test: %s from the first lesson to the last.", i, topic),
			Category:    topic, Level: levels[i%len(levels)], Price: float64(i%5) * 10,
			Thumbnail: "images/" + mediaID + ".png", InstructorID: userIDs[i%ninstr], IsPublished: i%10 != 9,
			CreatedAt: now.Add(time.Duration(i) * time.Millisecond), UpdatedAt: now,
		}
		if err := courses.Create(ctx, c); err != nil {
			return err
		}
		courseIDs[i] = c.ID
		return nil
	})
	if err != nil {
		return nil, nil, err
	}

	// A course's lectures go in order (AddLecture appends to its list);
	// courses run in parallel.
	err = step("lectures", spec.Courses, spec.Lectures, func(ctx context.Context, i int) error {
		for n := range spec.Lectures {
			l := &course.Lecture{
				CourseID: courseIDs[i], Title: fmt.Sprintf("Lecture %d", n+1), Video: "videos/" + mediaID + ".mp4",
				Duration: 300, IsPreview: n == 0, Order: n + 1, CreatedAt: now, UpdatedAt: now,
			}
			if err := courses.AddLecture(ctx, l); err != nil {
				return err
			}
			lectureIDs[i] = append(lectureIDs[i], l.ID)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// RefreshTotals reads the course's lectures with a filter on the
	// course, which the embedded database answers by decoding the whole
	// lectures collection: this phase grows with courses × lectures
	// (200 courses × 5 lectures: 68 s). AddLecture already counts the
	// lectures and keeps their order, so it only runs with -totals; without
	// it totalDuration stays 0.
	if spec.Totals {
		err = step("totals", spec.Courses, 1, func(ctx context.Context, i int) error {
			ids, err := courses.RefreshTotals(ctx, courseIDs[i], now)
			lectureIDs[i] = ids
			return err
		})
		if err != nil {
			return nil, nil, err
		}
	}
	pub := make([]int, spec.published()) // indexes of the published courses
	for k := range pub {
		pub[k] = publishedIndex(k)
	}

	students := spec.Users - ninstr
	err = step("progress", spec.Progress, 1, func(ctx context.Context, k int) error {
		s, j := k%students, k/students
		c := pub[progressCourse(s, j, len(pub))]
		_, created, err := progressRepo.Create(ctx, userIDs[ninstr+s], courseIDs[c], lectureIDs[c], now)
		if err == nil && !created {
			err = fmt.Errorf("record %d existed already", k)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}

	// The load clients' users are enrolled in up to Enrol of the courses
	// they have progress in, so that their profiles list courses.
	perStudent := spec.Progress / students // records every client's student has at least
	enrol := min(spec.Enrol, max(perStudent, 1))
	err = step("enrolments", spec.Clients*enrol, 1, func(ctx context.Context, k int) error {
		s, j := k/enrol, k%enrol
		c := pub[progressCourse(s, j, len(pub))]
		added, err := enrolments.Enrol(ctx, userIDs[ninstr+s], courseIDs[c], now)
		if err == nil && !added {
			err = fmt.Errorf("enrolment %d not added", k)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}

	fx := &fixtures{Password: password, SearchTerms: topics}
	for _, i := range pub {
		fx.Courses = append(fx.Courses, courseIDs[i])
	}
	for s := range spec.Clients {
		c := pub[progressCourse(s, 0, len(pub))]
		fx.Clients = append(fx.Clients, clientUser{
			Email: fmt.Sprintf("student%d@load.test", s), Course: courseIDs[c], Lectures: lectureIDs[c],
		})
	}
	return fx, phases, nil
}

// forEach calls f(ctx, i) for i in [0, n) on workers goroutines and returns
// the first error, after which it stops handing out work. report is called
// about every ten seconds with the number done.
func forEach(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error, report func(done int)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					cancel(fmt.Errorf("item %d: %w", i, err))
					return
				}
				done.Add(1)
			}
		})
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				report(int(done.Load()))
			}
		}
	}()
	wg.Wait()
	close(stop)
	return context.Cause(ctx)
}
