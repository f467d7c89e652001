// Command greenpulse-registry generates and checks master facility lists.
//
//	greenpulse-registry generate -n 2000 -seed 1 [-o file]
//	greenpulse-registry check FILE
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/greenpulse-health/greenpulse/registry"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: greenpulse-registry generate -n N -seed S [-o FILE] | check FILE")
	}
	switch args[0] {
	case "generate":
		return generate(args[1:], stdout)
	case "check":
		return check(args[1:], stdout)
	}
	return fmt.Errorf("unknown subcommand %q: want generate or check", args[0])
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
