package main

import "path/filepath"

// dataPath is the scanner's data file: the --data flag when given, else
// hcscan.db in the configuration's data directory (whose default is
// $XDG_DATA_HOME/hcscan or ~/.local/share/hcscan). Every command finds the
// file the same way.
func dataPath(flagValue string, cfg Config) string {
	if flagValue != "" {
		return flagValue
	}
	return filepath.Join(cfg.Data.Dir, "hcscan.db")
}
