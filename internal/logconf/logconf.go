// Package logconf is the `log` section shared by the agent's and the
// collector's configuration, and the slog logger it describes.
package logconf

import (
	"fmt"
	"io"
	"log/slog"
)

// Config configures the structured logger.
type Config struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // text (for people) | json (for log shippers)
}

// Default is info-level text.
func Default() Config { return Config{Level: "info", Format: "text"} }

// Validate names the bad key under prefix (such as "log").
func (c Config) Validate(prefix string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return fmt.Errorf("%s.level: %q is not one of debug, info, warn, error", prefix, c.Level)
	}
	if c.Format != "text" && c.Format != "json" {
		return fmt.Errorf("%s.format: %q is not one of text, json", prefix, c.Format)
	}
	return nil
}

// New returns a logger writing to w. The configuration must be valid.
func (c Config) New(w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // checked by Validate
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// CronLogger lets robfig/cron log through slog: its chatter at debug
// level, its errors (a job that panicked) at error level. It is safe for
// concurrent use.
type CronLogger struct{ Log *slog.Logger }

// Info logs cron's routine messages at debug level.
func (l CronLogger) Info(msg string, kv ...any) { l.Log.Debug("cron: "+msg, kv...) }

// Error logs cron's errors.
func (l CronLogger) Error(err error, msg string, kv ...any) {
	l.Log.Error("cron: "+msg, append(kv, "err", err)...)
}
