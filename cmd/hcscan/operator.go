package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"

	"hcscan/store"
)

func init() {
	register("operator", "add or list the operators who may sign in: `hcscan operator add NAME`", runOperator)
}

func runOperator(args []string) int {
	fs := flag.NewFlagSet("operator", flag.ContinueOnError)
	cfgFlag := fs.String("config", "", "configuration file")
	dataFlag := fs.String("data", "", "data file (default DATA_DIR/hcscan.db)")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: hcscan operator add NAME | hcscan operator list   [--data FILE]")
		fmt.Fprintln(os.Stderr, "add asks for the PIN twice on a terminal, or reads one line from standard input.")
		fs.PrintDefaults()
	}
	if len(args) == 0 {
		fs.Usage()
		return exitUsage
	}
	verb := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	cfg, err := LoadConfig(configPath(*cfgFlag))
	if err != nil {
		fmt.Fprintln(os.Stderr, "hcscan:", err)
		return exitUsage
	}
	data := dataPath(*dataFlag, cfg)
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "hcscan operator:", err)
		return exitUsage
	}
	st, err := store.Open(data, store.Options{})
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	switch verb {
	case "list":
		ops, err := st.Operators()
		if err != nil {
			return fail(err)
		}
		for _, o := range ops {
			fmt.Println(o.Name)
		}
		return exitOK
	case "add":
		if fs.NArg() != 1 {
			return fail(errors.New("give one operator name, e.g. hcscan operator add 王芳"))
		}
		pin, err := readPIN()
		if err != nil {
			return fail(err)
		}
		if err := st.AddOperator(fs.Arg(0), pin); err != nil {
			return fail(err)
		}
		fmt.Printf("operator %s added\n", fs.Arg(0))
		return exitOK
	}
	return fail(fmt.Errorf("unknown action %q: use add or list", verb))
}

func readPIN() (string, error) {
	if !term.IsTerminal(os.Stdin.Fd()) {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("no PIN on standard input")
		}
		return strings.TrimSpace(line), nil
	}
	fmt.Fprint(os.Stderr, "PIN: ")
	a, err := term.ReadPassword(os.Stdin.Fd())
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(os.Stderr, "PIN again: ")
	b, err := term.ReadPassword(os.Stdin.Fd())
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", err
	}
	if string(a) != string(b) {
		return "", errors.New("the two PINs differ")
	}
	return string(a), nil
}
