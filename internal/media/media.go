// Package media stores uploaded images and videos on local disk or in
// S3-compatible object storage, checks their type by content, enforces size
// caps while streaming, reads video durations from the files' own metadata,
// and builds public and signed URLs for them.
//
// Uploads are streamed into a temporary file (fixed-size buffers only, so
// memory stays flat whatever the size) and then handed to a Backend under a
// generated key such as "images/<32 hex>.png" or "videos/<32 hex>.mp4".
// Names sent by clients are never used.
package media

import (
	"context"
	"os"
	"time"
)

// Object describes a stored upload.
type Object struct {
	Key         string  // generated storage key, e.g. "videos/<32 hex>.mp4"
	ContentType string  // sniffed from the content, e.g. "video/mp4"
	Size        int64   // bytes
	Duration    float64 // seconds, videos only; 0 when the file does not say
}

// Backend stores and deletes objects under keys chosen by Store.
type Backend interface {
	// Put stores the complete content of src (size bytes, read from offset
	// 0) under key. src is a temporary file that Store removes afterwards;
	// Put must not close or remove it.
	Put(ctx context.Context, key string, src *os.File, size int64, contentType string) error
	// Delete removes the object stored under key.
	Delete(ctx context.Context, key string) error
}

// Linker is implemented by backends whose objects clients fetch from the
// backend itself (such as S3). Store uses it for ImageURL and VideoURL
// instead of its own /media/ URLs.
type Linker interface {
	// PublicURL returns the URL under which anyone may fetch key.
	PublicURL(key string) string
	// PresignedURL returns a URL for key that expires after ttl.
	PresignedURL(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// Opener is implemented by backends whose objects Store.Handler serves
// (such as Local).
type Opener interface {
	// Open opens the object stored under key for reading. A missing object
	// gives an error matching fs.ErrNotExist.
	Open(key string) (*os.File, error)
}
