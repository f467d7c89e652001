package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/users"
	"github.com/greenpulse-health/greenpulse/registry"
)

const userUsage = `usage:
  greenpulse-collector user add NAME --role planner|officer|facility|admin [--scope S] [--password-stdin] [--config PATH]
  greenpulse-collector user passwd NAME [--password-stdin] [--config PATH]
  greenpulse-collector user remove NAME [--config PATH]
  greenpulse-collector user list [--config PATH]

  --scope: an officer's governorate (IQ-BG), a facility user's facility id
  (BG-H-001); planners and admins are national. The password is asked
  twice on the terminal, or read as one line from stdin with
  --password-stdin. The running collector sees the change within a second;
  passwd and remove end that user's sessions.
`

const tokenUsage = `usage:
  greenpulse-collector token add NAME [--scope IQ|IQ-BG] --out FILE [--config PATH]
  greenpulse-collector token remove NAME [--config PATH]
  greenpulse-collector token list [--config PATH]

  A token reads (never writes) what its scope holds: send it as
  "Authorization: Bearer <token>". add writes it to FILE (mode 0600) and
  nowhere else: the users file keeps only its SHA-256.
`

// usersCommand is what user and token subcommands share: flags, the
// config, the name they act on.
type usersCommand struct {
	fs       *flag.FlagSet
	config   *string
	name     string
	cfg      config.Config
	lockFile *os.File
}

// parseUsersCommand parses args, where the NAME may come before or after
// the flags, and loads the config.
func parseUsersCommand(fs *flag.FlagSet, args []string, needName bool) (*usersCommand, error) {
	c := &usersCommand{fs: fs, config: fs.String("config", "configs/collector.yaml", "configuration file")}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		c.name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.name == "" && fs.NArg() > 0 {
		// The NAME between flags: the flags after it count too (the flag
		// package stops at the first argument that is not one).
		c.name = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return nil, err
		}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected %q: give one NAME", fs.Arg(0))
	}
	if needName && c.name == "" {
		return nil, errors.New("NAME is required")
	}
	cfg, err := config.Load(*c.config)
	if err != nil {
		return nil, err
	}
	if cfg.Access.UsersFile == "" {
		return nil, fmt.Errorf("%s: access.users_file is empty: set it to where users are kept", *c.config)
	}
	c.cfg = cfg
	if err := c.lock(); err != nil {
		return nil, err
	}
	return c, nil
}

// lock takes the users file's lock for as long as the command runs: two
// `user add` at once would each load, add and save, and one user would
// be lost. The collector only reads the file, which is always replaced
// whole, and needs no lock.
func (c *usersCommand) lock() error {
	path := c.cfg.Access.UsersFile + ".lock"
	fd, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("users file lock: %w", err)
	}
	if err := syscall.Flock(int(fd.Fd()), syscall.LOCK_EX); err != nil {
		fd.Close()
		return fmt.Errorf("users file lock %s: %w", path, err)
	}
	// Held until the command is done (close).
	c.lockFile = fd
	return c.giveToFolderOwner(path)
}

// onUsersFile parses a subcommand's arguments, and under the lock loads
// the users file and hands it to do. When do changed it, do answers what
// to say once it is saved.
func onUsersFile(fs *flag.FlagSet, args []string, needName bool, stdout io.Writer, do func(*usersCommand, *users.File) (done string, err error)) error {
	c, err := parseUsersCommand(fs, args, needName)
	if err != nil {
		return err
	}
	defer c.close()
	f, err := c.load()
	if err != nil {
		return err
	}
	done, err := do(c, f)
	if err != nil || done == "" {
		return err
	}
	if err := c.save(f); err != nil {
		return err
	}
	fmt.Fprintln(stdout, done)
	return nil
}

func (c *usersCommand) load() (*users.File, error) { return users.Load(c.cfg.Access.UsersFile) }

// save writes the users file. Run as root (sudo), the file takes the
// owner of its folder, /var/lib/greenpulse's greenpulse in the package:
// a root-owned 0600 file is one the collector's service cannot read.
func (c *usersCommand) save(f *users.File) error {
	path := c.cfg.Access.UsersFile
	if err := f.Save(path); err != nil {
		return err
	}
	return c.giveToFolderOwner(path)
}

// close lets the next command at the users file go.
func (c *usersCommand) close() {
	if c.lockFile != nil {
		c.lockFile.Close() // closing the descriptor drops its flock
	}
}

// giveToFolderOwner chowns path to its folder's owner when run as root.
func (c *usersCommand) giveToFolderOwner(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	dir, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("users file folder: %w", err)
	}
	if st, ok := dir.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
		if err := os.Chown(path, int(st.Uid), int(st.Gid)); err != nil {
			return fmt.Errorf("give %s to its folder's owner: %w", path, err)
		}
	}
	return nil
}

// checkScope refuses a scope the registry does not have: a facility
// user's facility, an officer's or a token's governorate.
func (c *usersCommand) checkScope(role users.Role, scope string) error {
	if scope == "" || scope == users.National {
		return nil
	}
	reg, err := registry.Load(c.cfg.Registry)
	if err != nil {
		return fmt.Errorf("registry %s: %w", c.cfg.Registry, err)
	}
	if role == users.Facility {
		if _, ok := reg.Lookup(scope); !ok {
			return fmt.Errorf("--scope %q: not a facility of the registry %s", scope, c.cfg.Registry)
		}
		return nil
	}
	if !slices.ContainsFunc(reg.Facilities(), func(f registry.Facility) bool { return f.Governorate == scope }) {
		return fmt.Errorf("--scope %q: no facility of the registry is in that governorate", scope)
	}
	return nil
}

func runUser(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return errors.New("user: no subcommand given")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch sub {
	case "add":
		role := fs.String("role", "", "planner, officer, facility or admin")
		scope := fs.String("scope", "", "officer: governorate code; facility: facility id")
		fromStdin := fs.Bool("password-stdin", false, "read the password as one line from stdin")
		return onUsersFile(fs, args, true, stdout, func(c *usersCommand, f *users.File) (string, error) {
			r := users.Role(*role)
			normal, err := users.NormalScope(r, *scope)
			if err != nil {
				return "", fmt.Errorf("--%w", err)
			}
			if err := c.checkScope(r, normal); err != nil {
				return "", err
			}
			// Before the password is asked for, which would be for nothing.
			if _, ok := f.User(c.name); ok {
				return "", fmt.Errorf("user %q exists already (user passwd changes the password)", c.name)
			}
			pw, err := readPassword(c.name, *fromStdin, stdin, stderr)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("user %s added: %s, scope %s (%s)", c.name, r, normal, c.cfg.Access.UsersFile),
				f.AddUser(c.name, r, normal, pw, time.Now())
		})
	case "passwd":
		fromStdin := fs.Bool("password-stdin", false, "read the password as one line from stdin")
		return onUsersFile(fs, args, true, stdout, func(c *usersCommand, f *users.File) (string, error) {
			if _, ok := f.User(c.name); !ok {
				return "", fmt.Errorf("user %q: %w", c.name, users.ErrNotFound)
			}
			pw, err := readPassword(c.name, *fromStdin, stdin, stderr)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("password of %s changed; its sessions end", c.name), f.SetPassword(c.name, pw, time.Now())
		})
	case "remove":
		return onUsersFile(fs, args, true, stdout, func(c *usersCommand, f *users.File) (string, error) {
			return fmt.Sprintf("user %s removed; its sessions end", c.name), f.RemoveUser(c.name)
		})
	case "list":
		return onUsersFile(fs, args, false, stdout, func(_ *usersCommand, f *users.File) (string, error) {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tSCOPE\tPASSWORD SET")
			for _, u := range f.Users {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, u.Scope, u.Changed.Format(time.DateTime+" MST"))
			}
			return "", tw.Flush()
		})
	case "help", "-h", "--help":
		fmt.Fprint(stdout, userUsage)
		return nil
	}
	fmt.Fprint(stderr, userUsage)
	return fmt.Errorf("user: unknown subcommand %q", sub)
}

// readPassword asks for a password twice on the terminal, or reads one
// line from stdin. It never echoes or prints it.
func readPassword(name string, fromStdin bool, stdin io.Reader, stderr io.Writer) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("--password-stdin: read a line: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		return pw, users.CheckPassword(name, pw)
	}
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no terminal to ask the password on: pipe it with --password-stdin")
	}
	fmt.Fprintf(stderr, "password for %s (at least %d characters): ", name, users.MinPasswordLength)
	first, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if err := users.CheckPassword(name, string(first)); err != nil {
		return "", err
	}
	fmt.Fprint(stderr, "again: ")
	second, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(first) != string(second) {
		return "", errors.New("the two passwords differ")
	}
	return string(first), nil
}

func runToken(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errors.New("token: no subcommand given")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch sub {
	case "add":
		scope := fs.String("scope", users.National, "IQ (national) or a governorate code")
		out := fs.String("out", "", "file to write the token to (mode 0600); must not exist")
		return onUsersFile(fs, args, true, stdout, func(c *usersCommand, f *users.File) (string, error) {
			if *out == "" {
				return "", errors.New("--out FILE is required: the token is written there and nowhere else")
			}
			if _, err := os.Lstat(*out); err == nil {
				return "", fmt.Errorf("--out %s exists: choose a new file", *out)
			}
			normal, err := users.TokenScope(*scope)
			if err != nil {
				return "", fmt.Errorf("--%w", err)
			}
			if err := c.checkScope("", normal); err != nil {
				return "", err
			}
			secret, err := f.AddToken(c.name, normal, time.Now())
			if err != nil {
				return "", err
			}
			// The token file first: a users file naming a token nobody
			// holds is harmless, a token the collector does not know is a
			// lost one.
			if err := writeNew(*out, secret+"\n"); err != nil {
				return "", fmt.Errorf("write token: %w", err)
			}
			return fmt.Sprintf("token %s (read-only, scope %s) written to %s; send it as \"Authorization: Bearer <the file's content>\"", c.name, normal, *out), nil
		})
	case "remove":
		return onUsersFile(fs, args, true, stdout, func(c *usersCommand, f *users.File) (string, error) {
			return fmt.Sprintf("token %s removed; it no longer works", c.name), f.RemoveToken(c.name)
		})
	case "list":
		return onUsersFile(fs, args, false, stdout, func(_ *usersCommand, f *users.File) (string, error) {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSCOPE\tCREATED")
			for _, t := range f.Tokens {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.Scope, t.Created.Format(time.DateTime+" MST"))
			}
			return "", tw.Flush()
		})
	case "help", "-h", "--help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	}
	fmt.Fprint(stderr, tokenUsage)
	return fmt.Errorf("token: unknown subcommand %q", sub)
}

// writeNew writes data to a file that must not exist yet, mode 0600: a
// token never replaces a file, not even one made a moment ago.
func writeNew(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// printAccessCheck says who can get in, for check-config: the users file
// must load, and a mode that needs users should have some.
func printAccessCheck(stdout io.Writer, cfg config.Config) error {
	a := cfg.Access
	if a.Mode == config.AccessOpen {
		fmt.Fprintf(stdout, "access: open: anyone reaching %s sees every facility\n", cfg.HTTP.Listen)
		return nil
	}
	f, err := users.Load(a.UsersFile)
	if err != nil {
		return fmt.Errorf("access.users_file: %w", err)
	}
	fmt.Fprintf(stdout, "access: %s: %d users, %d tokens (%s)\n", a.Mode, len(f.Users), len(f.Tokens), a.UsersFile)
	if len(f.Users) == 0 && a.Proxy.Header == "" {
		fmt.Fprintln(stdout, "warning: nobody can sign in yet: add a user with greenpulse-collector user add NAME --role admin")
	}
	return nil
}
