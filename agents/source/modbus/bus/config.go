package bus

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/simonvetter/modbus"
)

// Config is one Modbus bus: a TCP link to a device or gateway, or an
// RS-485 serial line. The serial settings apply to rtu:// buses only and
// must be left unset for tcp:// ones.
type Config struct {
	// URL is tcp://host:port (port 502 when left out) or rtu:// and the
	// absolute path of the serial device, e.g. rtu:///dev/ttyUSB0.
	URL string `yaml:"url"`
	// Baud is the serial line speed; 0 means 9600, the factory setting of
	// most meters.
	Baud int `yaml:"baud"`
	// DataBits is 7 or 8; 0 means 8.
	DataBits int `yaml:"data_bits"`
	// Parity is "none", "even" or "odd"; "" means none.
	Parity string `yaml:"parity"`
	// StopBits is 1 or 2; 0 means 1 (8N1, the common device default).
	StopBits int `yaml:"stop_bits"`
	// Timeout bounds one request, from sending it to the last byte of the
	// answer; 0 means 1 s.
	Timeout time.Duration `yaml:"timeout"`
	// Pause is the silence kept between a request to one unit and the next
	// request to another unit; RS-485 devices need a few tens of
	// milliseconds to release the line.
	Pause time.Duration `yaml:"pause"`
}

// Defaults of a Config's zero fields.
const (
	DefaultBaud    = 9600
	DefaultTimeout = time.Second
	defaultPort    = "502"
)

// The serial speeds a bus accepts.
var bauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400}

// target is a parsed bus URL.
type target struct {
	scheme string // "tcp" or "rtu"
	addr   string // host:port or device path
}

// parseURL checks a bus URL; the error names the url key.
func parseURL(s string) (target, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return target{}, fmt.Errorf("url: %q is not tcp://host:port or rtu:///dev/ttyUSB0", s)
	}
	switch strings.ToLower(scheme) {
	case "tcp":
		if rest == "" || strings.ContainsAny(rest, "/?# \t\r\n") {
			return target{}, fmt.Errorf("url: %q: want tcp://host:port", s)
		}
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			// No port given: the Modbus TCP default.
			host, port = strings.Trim(rest, "[]"), defaultPort
		}
		if host == "" {
			return target{}, fmt.Errorf("url: %q has no host", s)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return target{}, fmt.Errorf("url: %q: port %q is not a number from 1 to 65535", s, port)
		}
		return target{scheme: "tcp", addr: net.JoinHostPort(host, port)}, nil
	case "rtu":
		if !strings.HasPrefix(rest, "/") || len(rest) < 2 {
			return target{}, fmt.Errorf("url: %q: want rtu:// and the absolute path of the serial device, e.g. rtu:///dev/ttyUSB0", s)
		}
		return target{scheme: "rtu", addr: rest}, nil
	}
	return target{}, fmt.Errorf("url: %q: scheme %q is not tcp or rtu", s, scheme)
}

// Serial reports whether c is an RS-485 line (rtu://, in any case), whose
// serial settings apply.
func (c Config) Serial() bool {
	t, err := parseURL(c.URL)
	return err == nil && t.scheme == "rtu"
}

// Validate reports the first thing wrong with c, naming the config key.
// It does no I/O: a missing serial device is found when the bus connects.
func (c Config) Validate() error {
	t, err := parseURL(c.URL)
	if err != nil {
		return err
	}
	if t.scheme == "tcp" {
		for _, k := range []struct {
			key string
			set bool
		}{{"baud", c.Baud != 0}, {"data_bits", c.DataBits != 0}, {"parity", c.Parity != ""}, {"stop_bits", c.StopBits != 0}} {
			if k.set {
				return fmt.Errorf("%s: is a serial setting, for rtu:// buses only", k.key)
			}
		}
	} else {
		if c.Baud != 0 && !slices.Contains(bauds, c.Baud) {
			return fmt.Errorf("baud: %d is not one of %v", c.Baud, bauds)
		}
		if c.DataBits != 0 && c.DataBits != 7 && c.DataBits != 8 {
			return fmt.Errorf("data_bits: %d is not 7 or 8", c.DataBits)
		}
		if _, err := parseParity(c.Parity); err != nil {
			return err
		}
		if c.StopBits != 0 && c.StopBits != 1 && c.StopBits != 2 {
			return fmt.Errorf("stop_bits: %d is not 1 or 2", c.StopBits)
		}
	}
	if c.Timeout < 0 || c.Timeout > time.Minute {
		return fmt.Errorf("timeout: %v is not between 0 (meaning %v) and 1m", c.Timeout, DefaultTimeout)
	}
	if c.Pause < 0 || c.Pause > 10*time.Second {
		return fmt.Errorf("pause: %v is not between 0 and 10s", c.Pause)
	}
	return nil
}

func parseParity(s string) (uint, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return modbus.PARITY_NONE, nil
	case "even":
		return modbus.PARITY_EVEN, nil
	case "odd":
		return modbus.PARITY_ODD, nil
	}
	return 0, fmt.Errorf("parity: %q is not one of none, even, odd", s)
}

// clientConfig turns a valid Config into the library's, defaults applied.
func (c Config) clientConfig() modbus.ClientConfiguration {
	t, _ := parseURL(c.URL)
	cc := modbus.ClientConfiguration{
		URL:     t.scheme + "://" + t.addr,
		Timeout: c.Timeout,
	}
	if cc.Timeout == 0 {
		cc.Timeout = DefaultTimeout
	}
	if t.scheme == "rtu" {
		cc.Speed = uint(c.Baud)
		if cc.Speed == 0 {
			cc.Speed = DefaultBaud
		}
		cc.DataBits = uint(c.DataBits)
		if cc.DataBits == 0 {
			cc.DataBits = 8
		}
		cc.Parity, _ = parseParity(c.Parity)
		// The library would default to 2 stop bits without parity, as the
		// serial line spec says; devices almost all ship as 8N1.
		cc.StopBits = uint(c.StopBits)
		if cc.StopBits == 0 {
			cc.StopBits = 1
		}
	}
	return cc
}
