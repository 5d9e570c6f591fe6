package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"

	"hcscan/internal/cli"
	"hcscan/store"
)

// operator adds an operator (PIN from the terminal, asked twice, or one
// line of standard input) or lists them.
func (e env) operator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcscan", "operator", stderr)
	cfgFlag := fs.String("config", "", "configuration file (default $HCSCAN_CONFIG or ~/.config/hcscan/config.toml)")
	dataFlag := fs.String("data", "", "data file (default DATA_DIR/hcscan.db)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcscan operator add NAME | hcscan operator list   [--data FILE]")
		fmt.Fprintln(stderr, "add asks for the PIN twice on a terminal, or reads one line from standard input.")
		fs.PrintDefaults()
	}
	// Flags may come before the action or after it (and after the name).
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return cli.Exit(exitUsage)
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	var names []string
	for len(rest) > 0 {
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		names, rest = append(names, fs.Arg(0)), fs.Args()[1:]
	}
	switch verb {
	case "list", "add":
	default:
		return cli.Usagef("unknown action %q: use add or list", verb)
	}
	if verb == "add" && len(names) != 1 {
		return cli.Usagef("give one operator name, e.g. hcscan operator add 王芳")
	}
	if verb == "list" && len(names) > 0 {
		return cli.Usagef("unexpected argument %q", names[0])
	}
	cfg, err := LoadConfig(configPath(*cfgFlag))
	if err != nil {
		return usage(err)
	}
	st, err := store.Open(dataPath(*dataFlag, cfg), store.Options{})
	if err != nil {
		return usage(err)
	}
	defer st.Close()
	if verb == "list" {
		ops, err := st.Operators()
		if err != nil {
			return usage(err)
		}
		for _, o := range ops {
			fmt.Fprintln(stdout, o.Name)
		}
		return nil
	}
	pin, err := readPIN(e.stdin, stderr)
	if err != nil {
		return usage(err)
	}
	if err := st.AddOperator(names[0], pin); err != nil {
		return usage(err)
	}
	fmt.Fprintf(stdout, "operator %s added\n", names[0])
	return nil
}

// readPIN asks for the PIN twice without echo on a terminal; from
// anything else it reads one line.
func readPIN(in io.Reader, prompt io.Writer) (string, error) {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && line == "" {
			return "", errors.New("no PIN on standard input")
		}
		return strings.TrimSpace(line), nil
	}
	fmt.Fprint(prompt, "PIN: ")
	a, err := term.ReadPassword(f.Fd())
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	fmt.Fprint(prompt, "PIN again: ")
	b, err := term.ReadPassword(f.Fd())
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	if string(a) != string(b) {
		return "", errors.New("the two PINs differ")
	}
	return string(a), nil
}
