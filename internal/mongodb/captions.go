package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
)

// captionDoc is a caption track as stored in its lecture's captions array.
// Entries are removed by their exact value ($pull of the whole element, the
// one form the embedded database matches), so they are always written from
// this struct, in this field order.
type captionDoc struct {
	Language string `bson:"language"`
	Label    string `bson:"label"`
	Key      string `bson:"key"`
}

func captionsOf(docs []captionDoc) []course.Caption {
	if len(docs) == 0 {
		return nil
	}
	out := make([]course.Caption, len(docs))
	for i, d := range docs {
		out[i] = course.Caption(d)
	}
	return out
}

// captionWriteAttempts bounds the rounds of a caption write that keeps
// meeting concurrent writes of the same lecture.
const captionWriteAttempts = 16

var errCaptionsBusy = apperr.New(apperr.Conflict, "captions_busy", "The lecture's captions are being changed by another request; please retry")

// SetCaption adds the track with a conditional push: only to a lecture that
// has no track of the language. When it has one, that track is pulled (by
// its exact value) and the push tried again, so concurrent uploads of a
// language never leave two tracks, and every track pulled is reported, so
// no file is left behind. It returns the keys it pulled, also with an
// error.
func (r *CourseRepo) SetCaption(ctx context.Context, courseID, lectureID string, c course.Caption, now time.Time) ([]string, error) {
	filter, err := lectureFilter(courseID, lectureID)
	if err != nil {
		return nil, err
	}
	filter["$nor"] = bson.A{bson.M{"captions.language": c.Language}}
	push := bson.M{"$push": bson.M{"captions": captionDoc(c)}, "$set": bson.M{"updatedAt": now}}
	var replaced []string
	for range captionWriteAttempts {
		res, err := r.lectures.UpdateOne(ctx, filter, push)
		if err != nil {
			return replaced, fmt.Errorf("add caption: %w", err)
		}
		if res.MatchedCount == 1 {
			return replaced, nil
		}
		old, err := r.caption(ctx, courseID, lectureID, c.Language)
		if err != nil && !errors.Is(err, course.ErrCaptionNotFound) {
			return replaced, err
		}
		if old != nil {
			pulled, err := r.pullCaption(ctx, filter["_id"], *old)
			if err != nil {
				return replaced, err
			}
			if pulled {
				replaced = append(replaced, old.Key)
			}
		}
	}
	return replaced, errCaptionsBusy
}

// RemoveCaption pulls the lecture's track of the language by its exact
// value, reading it again when a concurrent write changed it first.
func (r *CourseRepo) RemoveCaption(ctx context.Context, courseID, lectureID, language string, now time.Time) (*course.Caption, error) {
	filter, err := lectureFilter(courseID, lectureID)
	if err != nil {
		return nil, err
	}
	for range captionWriteAttempts {
		old, err := r.caption(ctx, courseID, lectureID, language)
		if err != nil {
			return nil, err
		}
		pulled, err := r.pullCaption(ctx, filter["_id"], *old)
		if err != nil {
			return nil, err
		}
		if pulled {
			_, err := r.lectures.UpdateOne(ctx, bson.M{"_id": filter["_id"]}, bson.M{"$set": bson.M{"updatedAt": now}})
			if err != nil {
				return nil, fmt.Errorf("remove caption: %w", err)
			}
			return old, nil
		}
	}
	return nil, errCaptionsBusy
}

// caption returns the lecture's track of the language, or
// ErrCaptionNotFound (ErrLectureNotFound when there is no such lecture).
func (r *CourseRepo) caption(ctx context.Context, courseID, lectureID, language string) (*course.Caption, error) {
	l, err := r.Lecture(ctx, courseID, lectureID)
	if err != nil {
		return nil, err
	}
	for _, c := range l.Captions {
		if c.Language == language {
			return &c, nil
		}
	}
	return nil, course.ErrCaptionNotFound
}

// pullCaption removes the track c, as it was read, from the lecture; it
// reports whether it did (not when a concurrent write removed it first).
func (r *CourseRepo) pullCaption(ctx context.Context, lectureID any, c course.Caption) (bool, error) {
	res, err := r.lectures.UpdateOne(ctx, bson.M{"_id": lectureID}, bson.M{"$pull": bson.M{"captions": captionDoc(c)}})
	if err != nil {
		return false, fmt.Errorf("remove caption: %w", err)
	}
	return res.ModifiedCount > 0, nil
}
