package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Include makes the broker run with the configuration snippet appended to
// its own, in place of its "allow_anonymous true": a snippet that sets
// password_file, acl_file or adds a TLS listener, such as the one
// greenpulse-registry provision writes, is then tested as an operator
// would install it. Call it while the broker is stopped; it takes effect
// at the next Start. The files the snippet names must be readable by the
// broker.
func (m *Mosquitto) Include(snippet string) error {
	confPath := filepath.Join(m.Dir, "mosquitto.conf")
	conf, err := os.ReadFile(confPath)
	if err != nil {
		return fmt.Errorf("read mosquitto config: %w", err)
	}
	out := strings.Replace(string(conf), "allow_anonymous true\n", "", 1) + "\n" + snippet
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	if err := os.WriteFile(confPath, []byte(out), 0o644); err != nil {
		return fmt.Errorf("write mosquitto config: %w", err)
	}
	return nil
}
