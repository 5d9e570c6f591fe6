package main

import (
	"os"
	"path/filepath"
)

// dataFile is the path of the scanner's data file: the --data flag when
// given, else $XDG_DATA_HOME/hcscan/hcscan.db, else
// ~/.local/share/hcscan/hcscan.db. (Config loading will slot in here.)
func dataFile(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "hcscan", "hcscan.db")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "hcscan", "hcscan.db")
	}
	return "hcscan.db"
}
