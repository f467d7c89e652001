package access

import (
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/users"
)

// userFile is the users file as last read, read again when it changes on
// disk (looked at no more than once a second), so that `user add`,
// `passwd` and `remove` take effect in the running collector. A file that
// no longer loads keeps the last good content, with an error in the log.
// Safe for concurrent use.
type userFile struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	file    *users.File
	checked time.Time
	// read is the file as it was when read; nil when there was none.
	// Comparing its identity too catches a rename within the clock's
	// granularity that kept the size (a new password has the same length).
	read os.FileInfo
}

func openUserFile(path string, log *slog.Logger) (*userFile, error) {
	u := &userFile{path: path, log: log, file: &users.File{}}
	if path == "" {
		return u, nil
	}
	f, info, err := users.Read(path)
	if err != nil {
		return nil, err
	}
	u.file, u.read, u.checked = f, info, time.Now()
	return u, nil
}

// current answers the file's content, reading it again if it changed.
func (u *userFile) current(now time.Time) *users.File {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.path == "" || now.Sub(u.checked) < time.Second {
		return u.file
	}
	u.checked = now
	info, err := os.Stat(u.path)
	switch {
	case err != nil && u.read == nil:
		return u.file
	case err == nil && u.read != nil && os.SameFile(info, u.read) && info.ModTime().Equal(u.read.ModTime()) && info.Size() == u.read.Size():
		return u.file
	}
	f, read, err := users.Read(u.path)
	if err != nil {
		u.log.Error("users file changed but does not load; keeping the users read before", "err", err)
		return u.file
	}
	u.file, u.read = f, read
	u.log.Info("users file read again", "users", len(f.Users), "tokens", len(f.Tokens))
	return u.file
}
