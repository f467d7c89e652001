// Command greenpulse-registry generates, checks and imports master facility
// lists.
//
//	greenpulse-registry generate -n 2000 -seed 1 [-o file]
//	greenpulse-registry check FILE
//	greenpulse-registry import-dhis2 --url URL --root UID [--merge FILE] --out FILE
//	greenpulse-registry import-herams --in EXPORT.csv [--columns …] [--merge FILE] --out FILE
//	greenpulse-registry provision --registry FILE --out DIR [--broker URL] [--tls] [--rotate ID] [--topic-root greenpulse]
//
// The imports are described in docs/registry-import.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/greenpulse-health/greenpulse/registry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	c := cli{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now}
	err := c.run(ctx, os.Args[1:])
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// cli is the command's environment: where it writes, and where it reads
// secrets and the time from, so that tests can give their own.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
}

// run runs the command with the process's environment, printing to stdout.
func run(args []string, stdout io.Writer) error {
	c := cli{stdout: stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now}
	return c.run(context.Background(), args)
}

const usage = "usage: greenpulse-registry generate -n N -seed S [-o FILE] | check FILE | import-dhis2 … | import-herams … | provision … (-h for each)"

func (c cli) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	switch args[0] {
	case "generate":
		return generate(args[1:], c.stdout)
	case "check":
		return check(args[1:], c.stdout)
	case "import-dhis2":
		return c.importDHIS2(ctx, args[1:])
	case "import-herams":
		return c.importHeRAMS(args[1:])
	case "provision":
		return c.provision(args[1:])
	}
	return fmt.Errorf("unknown subcommand %q: want generate, check, import-dhis2, import-herams or provision", args[0])
}

func generate(args []string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	n := fs.Int("n", 2000, "number of facilities")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same list")
	out := fs.String("o", "", "output file (default standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || fs.NArg() > 0 {
		return fmt.Errorf("generate: want -n > 0 and no arguments")
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("create %q: %w", *out, err)
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("close %q: %w", *out, cerr)
			}
		}()
		w = f
	}
	bw := bufio.NewWriter(w)
	if err := registry.WriteCSV(bw, registry.Synthesize(*n, *seed)); err != nil {
		return err
	}
	return bw.Flush()
}

func check(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: greenpulse-registry check FILE")
	}
	reg, err := registry.Load(args[0])
	if err != nil {
		return err
	}
	govs, districts := map[string]bool{}, map[string]bool{}
	for _, f := range reg.Facilities() {
		govs[f.Governorate], districts[f.District] = true, true
	}
	_, err = fmt.Fprintf(stdout, "%d facilities in %d governorates, %d districts\n", reg.Len(), len(govs), len(districts))
	return err
}
