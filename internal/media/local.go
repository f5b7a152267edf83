package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Local is a Backend that keeps objects as files under a directory, in
// subdirectories images/ and videos/. Its objects are served by
// Store.Handler.
type Local struct {
	dir string
}

var (
	_ Backend = (*Local)(nil)
	_ Opener  = (*Local)(nil)
)

// NewLocal returns a Local backend storing under dir, creating the
// directories it needs.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local media dir: %w", err)
	}
	for _, sub := range []string{imagePrefix, videoPrefix, captionPrefix} {
		if err := os.MkdirAll(filepath.Join(abs, sub), 0o750); err != nil {
			return nil, fmt.Errorf("local media dir: %w", err)
		}
	}
	return &Local{dir: abs}, nil
}

// path returns the file path of key, which must be a key Store generates.
func (l *Local) path(key string) (string, error) {
	if _, _, ok := parseKey(key); !ok {
		return "", fmt.Errorf("invalid media key %q", key)
	}
	return filepath.Join(l.dir, filepath.FromSlash(key)), nil
}

// Put stores src under key: as a hard link when src is on the same
// filesystem, otherwise as a copy that appears under key only once complete.
func (l *Local) Put(ctx context.Context, key string, src *os.File, size int64, _ string) error {
	dst, err := l.path(key)
	if err != nil {
		return err
	}
	if err := src.Sync(); err != nil {
		return fmt.Errorf("sync upload: %w", err)
	}
	err = os.Link(src.Name(), dst)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("put %s: %w", key, err)
	}
	return copyInto(ctx, dst, io.NewSectionReader(src, 0, size))
}

// copyInto writes r to a temporary file beside dst and renames it to dst.
func copyInto(ctx context.Context, dst string, r io.Reader) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".put-*")
	if err != nil {
		return fmt.Errorf("create file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	buf := make([]byte, copyBufferSize)
	if _, err := io.CopyBuffer(writerOnly{tmp}, ctxReader{ctx: ctx, r: r}, buf); err != nil {
		return fmt.Errorf("copy file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close file: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("rename file: %w", err)
	}
	return nil
}

// Delete removes the file of key. A missing file is an error matching
// fs.ErrNotExist.
func (l *Local) Delete(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

// Open opens the file of key for reading, refusing anything that would
// resolve outside the storage directory (symbolic links included).
func (l *Local) Open(key string) (*os.File, error) {
	if _, _, ok := parseKey(key); !ok {
		return nil, fmt.Errorf("open %q: %w", key, os.ErrNotExist)
	}
	f, err := os.OpenInRoot(l.dir, filepath.FromSlash(key))
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return f, nil
}
