package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/greenpulse-health/greenpulse/internal/atomicfile"
	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/importer"
)

// newFlagSet returns a flag set whose -h prints usage and the flags to
// stderr.
func (c cli) newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: greenpulse-registry %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// loadMerge loads the merge file, or returns nil if path is "".
func loadMerge(path string) (*registry.Registry, error) {
	if path == "" {
		return nil, nil
	}
	reg, err := registry.Load(path)
	if err != nil {
		return nil, fmt.Errorf("merge file: %w", err)
	}
	return reg, nil
}

// finish merges src with the merge file, writes the list to out
// atomically and prints the report.
func (c cli) finish(src importer.Source, mergePath, out string, opt importer.Options) error {
	base, err := loadMerge(mergePath)
	if err != nil {
		return err
	}
	opt.BaseName = mergePath
	res, err := importer.Merge(src, base, opt)
	if err != nil {
		return err
	}
	data, err := importer.Encode(res.Facilities, out)
	if err != nil {
		return err
	}
	mode := os.FileMode(0o644) // the list is no secret: the collector's user reads it
	// Stat, not Lstat: if out is a symlink, the mode readers had is its
	// target's (a link's own mode is 0777 on Linux). The rename replaces
	// the link itself by the new file.
	if st, err := os.Stat(out); err == nil {
		mode = st.Mode().Perm()
	}
	if err := atomicfile.WritePerm(out, data, mode); err != nil {
		return fmt.Errorf("write facility list: %w", err)
	}
	return res.WriteReport(c.stdout, out)
}

// secretFile reads a secret from path, refusing a file that other users
// may read: a token in a world-readable file is a leaked token.
func secretFile(path string) (string, error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		// The path is not quoted: it may be the token, given by mistake.
		return "", errors.New("--token-file: no such file")
	}
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("token file %s has mode %04o: group or others may read it; run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	return s, nil
}

// credentials returns the DHIS2 token, or the username and password, from
// the flags and the environment. It never puts a secret in an error.
func (c cli) credentials(tokenFile, username string, log *slog.Logger) (token, user, pass string, err error) {
	switch {
	case tokenFile != "" && username != "":
		return "", "", "", errors.New("give either --token-file or --username, not both")
	case username != "":
		pass = c.getenv(dhis2api.EnvPassword)
		if pass == "" {
			return "", "", "", fmt.Errorf("--username %s: set the password in the environment variable %s", username, dhis2api.EnvPassword)
		}
		if c.getenv(dhis2api.EnvToken) != "" {
			log.Warn("logging in with --username; the token in " + dhis2api.EnvToken + " is not used")
		}
		return "", username, pass, nil
	case tokenFile != "":
		token, err = secretFile(tokenFile)
		return token, "", "", err
	case c.getenv(dhis2api.EnvToken) != "":
		return strings.TrimSpace(c.getenv(dhis2api.EnvToken)), "", "", nil
	}
	return "", "", "", fmt.Errorf("no DHIS2 credentials: set %s to a personal access token, or give --token-file FILE, or --username NAME with the password in %s", dhis2api.EnvToken, dhis2api.EnvPassword)
}

// parsePairs reads "a=b,c=d" into a map; key normalises each key.
func parsePairs(flagName, spec string, key func(string) string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(spec, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--%s: %q: want KEY=VALUE", flagName, part)
		}
		out[key(k)] = v
	}
	return out, nil
}

// noArgs rejects stray positional arguments.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (flags go before it?)", fs.Name(), fs.Arg(0))
	}
	return nil
}
