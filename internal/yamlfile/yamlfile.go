// Package yamlfile reads the agent's and the collector's YAML configuration
// files the same strict way: over the defaults already in the target,
// unknown keys rejected, an empty file meaning "all defaults", and paths in
// the file taken relative to the file's folder.
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Decode decodes data over v, whose fields hold the defaults.
func Decode(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("parse YAML: %w", err)
	}
	return nil
}

// Resolve makes each relative path in paths relative to the folder of the
// configuration file at file.
func Resolve(file string, paths ...*string) {
	for _, p := range paths {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(filepath.Dir(file), *p)
		}
	}
}
