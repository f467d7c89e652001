package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// rpcBind matches the top-level bind-address of the configuration that
// NewInfluxDB writes: the RPC service, the first bind-address in the file.
var rpcBind = regexp.MustCompile(`(?m)^bind-address = "([^"]+)"$`)

// RPCAddr returns the host:port of the RPC service that `influxd backup`
// and `influxd restore` use (-host), read back from the configuration
// NewInfluxDB wrote into Dir. Safe for concurrent use.
func (i *InfluxDB) RPCAddr() (string, error) {
	path := filepath.Join(i.Dir, "influxdb.conf")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read influxdb config %q: %w", path, err)
	}
	m := rpcBind.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("influxdb config %q: no top-level bind-address", path)
	}
	return string(m[1]), nil
}
