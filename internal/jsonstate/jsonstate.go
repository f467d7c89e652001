// Package jsonstate keeps small JSON files of state (the agent's lists of
// waste entries and meter readings beside its outbox, the collector's
// facility alerts): one document with a "format" number, read whole at
// start and rewritten whole, crash-safely (atomicfile, mode 0600).
//
// Such a file helps, but must never keep an agent from sending readings or
// the collector from ingesting: one that cannot be parsed, fails its own
// check, or is written in a format this version does not know, is renamed
// to <path>.bad for a person to look at, with a warning, and the caller
// starts without it.
package jsonstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/greenpulse-health/greenpulse/internal/atomicfile"
)

// BadSuffix is added to the name of a file that Load could not use.
const BadSuffix = ".bad"

// Load reads the document at path into v, a pointer, and reports whether
// it did. The document's "format" must be format. With no file, v is left
// alone and Load returns false, nil. A file that is not JSON, does not fit
// v, or has another format is renamed to path+BadSuffix and logged with
// log as "<what> unreadable; <then>"; so is one whose v, if it has a
// Check() error method, fails it. v may then hold part of it, and Load
// returns false, nil. Only a file it cannot read is an error.
func Load(path string, format int, v any, log *slog.Logger, what, then string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var head struct {
		Format int `json:"format"`
	}
	err = json.Unmarshal(data, &head)
	if err == nil && head.Format != format {
		err = fmt.Errorf("unknown format %d", head.Format)
	}
	if err == nil {
		err = json.Unmarshal(data, v)
	}
	if c, ok := v.(interface{ Check() error }); ok && err == nil {
		err = c.Check()
	}
	if err != nil {
		bad := path + BadSuffix
		renameErr := os.Rename(path, bad)
		log.Warn(what+" unreadable; "+then, "path", path, "err", err, "kept_as", bad, "rename_err", renameErr)
		return false, nil
	}
	return true, nil
}

// Save replaces the file at path by v as indented JSON, crash-safely: a
// crash leaves the old file or the new one. v should carry the format
// that Load is given.
func Save(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'))
}
