package media

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// tempPattern names the temporary files uploads stream into.
const tempPattern = "upload-*"

// SweepTemp removes from dir the upload temporary files (upload-*) not
// modified since before cutoff: those a crash, or a shutdown that outlasted
// its drain period, left behind. A live upload writes its file as data
// arrives, and is dropped when it stops for UPLOAD_IDLE_TIMEOUT, so a cutoff
// that far back spares the uploads of another process sharing dir. It
// returns how many files it removed and the first error met.
func SweepTemp(dir string, cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	removed := 0
	var first error
	for _, e := range entries {
		if ok, _ := filepath.Match(tempPattern, e.Name()); !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue // gone meanwhile, or still being written
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			if first == nil {
				first = err
			}
			continue
		}
		removed++
	}
	return removed, first
}
